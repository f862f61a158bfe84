/**
 * Pure helpers of the statistics page: number and rate formatting, the drill-down path, the
 * order of code lists and of the children table. No Vue, no API: unit-tested on their own.
 */

const percentFormats = new Map<string, Intl.NumberFormat>();
const countFormats = new Map<string, Intl.NumberFormat>();

/** A rate of 0–1 (or above: members can outnumber the employees on record) as `12.3%`; `—` for none. */
export function formatRate(rate: number | null | undefined, locale: string): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return '—';
  let f = percentFormats.get(locale);
  if (!f) {
    f = new Intl.NumberFormat(locale, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
    percentFormats.set(locale, f);
  }
  // Round in tenths of a percent first, so 0.12345 is 12.3% everywhere rather than by float luck.
  return f.format(Math.round(rate * 1000) / 1000);
}

/** A count with the locale's grouping: `12,345`. */
export function formatCount(n: number | null | undefined, locale: string): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  let f = countFormats.get(locale);
  if (!f) {
    f = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
    countFormats.set(locale, f);
  }
  return f.format(n);
}

/** The ids of a materialized path (`/a/b/c/` → `a, b, c`). */
export function pathIds(path: string): string[] {
  return path.split('/').filter(Boolean);
}

/**
 * The drill-down path to an organization: its ancestors from the top of the user's scope (the
 * outermost scope organization whose path contains it) down to itself. Ancestors above the
 * scope are left out: the user may not open them. Outside every scope, just the organization.
 */
export function breadcrumbIds(path: string, scopePaths: readonly string[]): string[] {
  const ids = pathIds(path);
  if (ids.length === 0) return [];
  const tops = scopePaths.filter((p) => path.startsWith(p)).sort((a, b) => a.length - b.length);
  const top = tops[0];
  if (!top) return ids.slice(-1);
  return ids.slice(pathIds(top).length - 1);
}

export interface Crumb {
  id: string;
  name: string;
  /** The organization shown now: not a link. */
  current: boolean;
}

/** The breadcrumb items of a path, named by `nameOf` (an unknown name shows the id until known). */
export function buildBreadcrumb(
  path: string,
  scopePaths: readonly string[],
  nameOf: (id: string) => string | undefined,
): Crumb[] {
  const ids = breadcrumbIds(path, scopePaths);
  return ids.map((id, i) => ({ id, name: nameOf(id) ?? id, current: i === ids.length - 1 }));
}

/**
 * A count record in a fixed order: every known code (zeros kept, so bars line up between
 * organizations), then any code the list does not know, by count.
 */
export function orderedCounts(
  counts: Readonly<Record<string, number>>,
  known: readonly string[],
): { code: string; value: number }[] {
  const knownSet = new Set(known);
  const extra = Object.entries(counts)
    .filter(([code]) => !knownSet.has(code))
    .sort((a, b) => b[1] - a[1])
    .map(([code, value]) => ({ code, value }));
  return [...known.map((code) => ({ code, value: counts[code] ?? 0 })), ...extra];
}

/** The sum of a count record. */
export function sumCounts(counts: Readonly<Record<string, number>>): number {
  return Object.values(counts).reduce((s, n) => s + n, 0);
}

export type SortOrder = 'ascending' | 'descending' | null;

/**
 * Rows sorted by one numeric field; rows without a value (a rate with nothing to divide) go
 * last in either direction, and ties keep their order. No order: the rows as given.
 */
export function sortRows<T>(rows: readonly T[], value: (row: T) => number | null, order: SortOrder): T[] {
  if (!order) return [...rows];
  const sign = order === 'ascending' ? 1 : -1;
  return rows
    .map((row, index) => ({ row, index, v: value(row) }))
    .sort((a, b) => {
      if (a.v === null && b.v === null) return a.index - b.index;
      if (a.v === null) return 1;
      if (b.v === null) return -1;
      return (a.v - b.v) * sign || a.index - b.index;
    })
    .map((x) => x.row);
}
