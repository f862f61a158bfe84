import { afterEach, describe, expect, it } from 'vitest';
import { nextTick } from 'vue';
import { createI18nFor, LOCALE_STORAGE_KEY } from './i18n.ts';

const memory = new Map<string, string>();
const fakeStorage = {
  getItem: (k: string) => memory.get(k) ?? null,
  setItem: (k: string, v: string) => void memory.set(k, v),
};
const messages = {
  'zh-CN': { hello: '你好', only: { nested: '嵌套' } },
  en: { hello: 'Hello', only: { nested: 'Nested' } },
};

describe('createI18nFor', () => {
  afterEach(() => {
    memory.clear();
    Reflect.deleteProperty(globalThis, 'localStorage');
  });

  it('starts in Chinese when nothing is stored', () => {
    const { i18n, locale } = createI18nFor(messages);
    expect(locale()).toBe('zh-CN');
    expect(i18n.global.t('hello')).toBe('你好');
  });

  it('restores and persists the chosen locale', async () => {
    Object.assign(globalThis, { localStorage: fakeStorage });
    memory.set(LOCALE_STORAGE_KEY, 'en');
    const first = createI18nFor(messages);
    expect(first.locale()).toBe('en');
    expect(first.i18n.global.t('only.nested')).toBe('Nested');
    first.setLocale('zh-CN');
    await nextTick();
    expect(memory.get(LOCALE_STORAGE_KEY)).toBe('zh-CN');
  });

  it('ignores a stored value that is not a locale', () => {
    Object.assign(globalThis, { localStorage: fakeStorage });
    memory.set(LOCALE_STORAGE_KEY, 'fr');
    expect(createI18nFor(messages).locale()).toBe('zh-CN');
  });

  it('rejects an English table that misses a key, at compile time', () => {
    // @ts-expect-error `only.nested` is missing in en
    createI18nFor({ 'zh-CN': { hello: '你好', only: { nested: '嵌套' } }, en: { hello: 'Hello', only: {} } });
  });
});
