import type { Locale } from '@zhgh/contracts';
import { locale } from '../i18n/index.ts';

const cache = new Map<string, Intl.DateTimeFormat>();

function formatter(loc: Locale, withTime: boolean): Intl.DateTimeFormat {
  const key = `${loc}|${withTime}`;
  let f = cache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(loc, {
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      ...(withTime ? { hour: '2-digit', minute: '2-digit', hour12: false } : {}),
    });
    cache.set(key, f);
  }
  return f;
}

/** Local date and time of an ISO timestamp; `—` for none. Reads the locale, so templates follow a switch. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : formatter(locale(), true).format(d);
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : formatter(locale(), false).format(d);
}

/** Role and permission labels come in both languages; pick the UI's. */
export function localized(text: { 'zh-CN': string; en: string }): string {
  return text[locale()];
}
