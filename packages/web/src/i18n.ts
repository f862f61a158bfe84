import type { Locale } from '@zhgh/contracts';
import { watch } from 'vue';
import { createI18n } from 'vue-i18n';
import { readStored, setDocumentLang, writeStored } from './browser.ts';

/** Chinese first: the platform's users read Chinese; English is for everyone else. */
export const LOCALES = ['zh-CN', 'en'] as const satisfies readonly Locale[];
export const DEFAULT_LOCALE: Locale = 'zh-CN';
/** Shared by the three ends, which live on one origin: a choice made in one carries to the others. */
export const LOCALE_STORAGE_KEY = 'zhgh.locale';

export function isLocale(value: unknown): value is Locale {
  return (LOCALES as readonly unknown[]).includes(value);
}

/** The stored choice, else Chinese; never the browser's language, so the default is predictable. */
export function initialLocale(): Locale {
  const stored = readStored(LOCALE_STORAGE_KEY);
  return isLocale(stored) ? stored : DEFAULT_LOCALE;
}

/** A message tree: nested objects whose leaves are strings. */
export interface MessageTree {
  [key: string]: string | MessageTree;
}

/**
 * One app's i18n. `en` must have exactly the keys of `zh-CN`, so an untranslated string is a
 * compile error rather than a blank on screen.
 */
export function createI18nFor<Schema extends MessageTree>(messages: { 'zh-CN': Schema; en: NoInfer<Schema> }) {
  // Explicit schema: without it vue-i18n checks the messages against an app's global
  // `DefineLocaleMessage` augmentation, which this generic function cannot know.
  const i18n = createI18n<[Schema], Locale, false>({
    legacy: false,
    locale: initialLocale(),
    fallbackLocale: 'en',
    messages: messages as Record<Locale, Schema>,
  });
  const global = i18n.global;

  function locale(): Locale {
    const current = global.locale.value;
    return isLocale(current) ? current : DEFAULT_LOCALE;
  }

  function setLocale(next: Locale): void {
    global.locale.value = next;
  }

  // Whoever changes the locale, it is remembered and announced to the page (screen readers, fonts).
  watch(
    () => global.locale.value,
    (next) => {
      writeStored(LOCALE_STORAGE_KEY, next);
      setDocumentLang(next);
    },
  );
  setDocumentLang(locale());

  return { i18n, locale, setLocale };
}

export type AppI18n = ReturnType<typeof createI18nFor>;
