import { createI18nFor } from '@zhgh/web';
import en from './en.ts';
import zhCN, { type ConsoleMessages } from './zh-CN.ts';

export const { i18n, locale, setLocale } = createI18nFor({ 'zh-CN': zhCN, en });

declare module 'vue-i18n' {
  // Completion for keys in editors that read vue-i18n's own types.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- augmentation has to be an interface
  export interface DefineLocaleMessage extends ConsoleMessages {}
}

/** Every leaf of the message tree as a dotted path: `modules.orgs`, `orgs.types.federation`. */
type Leaves<T, Prefix extends string = ''> = {
  [K in keyof T & string]: T[K] extends string ? `${Prefix}${K}` : Leaves<T[K], `${Prefix}${K}.`>;
}[keyof T & string];

export type MessageKey = Leaves<ConsoleMessages>;

/**
 * Translate a key of the console's messages. vue-i18n's own `t` takes any string, so a typo
 * would show the raw key on screen; this one makes it a compile error. It reads the global
 * locale, so templates that call it re-render on a language switch.
 */
export function t(key: MessageKey, named?: Record<string, string | number>): string {
  return named ? i18n.global.t(key, named) : i18n.global.t(key);
}
