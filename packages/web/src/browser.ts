/**
 * The few browser globals this package touches, reached through `globalThis` so the package
 * also loads (and is tested) under Node, where they are missing.
 */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

interface BrowserGlobals {
  localStorage?: StorageLike;
  document?: { documentElement: { lang: string }; title: string };
}

const browser = globalThis as BrowserGlobals;

export function storage(): StorageLike | undefined {
  try {
    return browser.localStorage;
  } catch {
    // Reading localStorage throws when the user blocks site data; carry on without it.
    return undefined;
  }
}

export function readStored(key: string): string | null {
  try {
    return storage()?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

export function writeStored(key: string, value: string): void {
  try {
    storage()?.setItem(key, value);
  } catch {
    // Private mode or a full quota: the choice then lasts only for this page.
  }
}

export function setDocumentLang(lang: string): void {
  if (browser.document) browser.document.documentElement.lang = lang;
}

export function setDocumentTitle(title: string): void {
  if (browser.document) browser.document.title = title;
}
