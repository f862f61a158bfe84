import { createI18nFor } from '@zhgh/web';
import { Locale as VantLocale } from 'vant';
import vantEn from 'vant/es/locale/lang/en-US';
import vantZh from 'vant/es/locale/lang/zh-CN';
import { watch } from 'vue';
import en from './en.ts';
import zhCN, { type MerchantMessages } from './zh-CN.ts';

export const { i18n, locale, setLocale } = createI18nFor({ 'zh-CN': zhCN, en });

/** Every dotted path to a string in the message tree: 'login.title', 'services.items.join.name'. */
type Leaves<T> = {
  [K in keyof T & string]: T[K] extends string ? K : `${K}.${Leaves<T[K]>}`;
}[keyof T & string];
export type MessageKey = Leaves<MerchantMessages>;

/**
 * The merchant end's translate function: a misspelt key is a compile error, not a raw key on
 * screen. (Typing vue-i18n's own `t` through its DefineLocaleMessage augmentation breaks the
 * shared createI18nFor, so the check lives here.) Reactive: templates re-render on a switch.
 */
export function t(key: MessageKey, named: Record<string, unknown> = {}): string {
  return i18n.global.t(key, named);
}

// Vant's own strings (dialog buttons, loading text) follow the app's language.
watch(
  () => locale(),
  (next) => (next === 'en' ? VantLocale.use('en-US', vantEn) : VantLocale.use('zh-CN', vantZh)),
  { immediate: true },
);
