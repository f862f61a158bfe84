import { describe, expect, it } from 'vitest';
import {
  breadcrumbIds,
  buildBreadcrumb,
  formatCount,
  formatRate,
  orderedCounts,
  pathIds,
  sortRows,
  sumCounts,
} from './stats-format.ts';

describe('formatRate', () => {
  it('shows a share as a percentage with one decimal', () => {
    expect(formatRate(0.1234, 'zh-CN')).toBe('12.3%');
    expect(formatRate(0.1235, 'en')).toBe('12.4%');
    expect(formatRate(0, 'zh-CN')).toBe('0.0%');
    expect(formatRate(1, 'en')).toBe('100.0%');
  });

  it('keeps shares above one (more members than employees on record)', () => {
    expect(formatRate(1.0526, 'zh-CN')).toBe('105.3%');
  });

  it('shows a dash when there is nothing to divide', () => {
    expect(formatRate(null, 'zh-CN')).toBe('—');
    expect(formatRate(undefined, 'en')).toBe('—');
    expect(formatRate(Number.NaN, 'en')).toBe('—');
  });
});

describe('formatCount', () => {
  it('groups thousands', () => {
    expect(formatCount(1234567, 'zh-CN')).toBe('1,234,567');
    expect(formatCount(0, 'en')).toBe('0');
    expect(formatCount(null, 'en')).toBe('—');
  });
});

describe('breadcrumb', () => {
  it('splits a materialized path', () => {
    expect(pathIds('/a/b/c/')).toEqual(['a', 'b', 'c']);
    expect(pathIds('')).toEqual([]);
  });

  it('starts at the top of the scope, not at the root of the tree', () => {
    expect(breadcrumbIds('/root/prov/city/county/', ['/root/prov/city/'])).toEqual(['city', 'county']);
  });

  it('is the organization alone at the top of the scope', () => {
    expect(breadcrumbIds('/root/prov/city/', ['/root/prov/city/'])).toEqual(['city']);
  });

  it('starts at the outermost scope organization when scopes nest', () => {
    expect(breadcrumbIds('/r/a/b/c/', ['/r/a/b/', '/r/a/'])).toEqual(['a', 'b', 'c']);
  });

  it('does not take a sibling with a longer id for an ancestor', () => {
    // `/r/a1/` is not inside `/r/a/`: the trailing slash keeps prefixes honest.
    expect(breadcrumbIds('/r/a1/x/', ['/r/a/'])).toEqual(['x']);
  });

  it('names each step and marks the last one as current', () => {
    const names: Record<string, string> = { city: '西安市总工会', county: '碑林区总工会' };
    expect(buildBreadcrumb('/root/prov/city/county/x/', ['/root/prov/city/'], (id) => names[id])).toEqual([
      { id: 'city', name: '西安市总工会', current: false },
      { id: 'county', name: '碑林区总工会', current: false },
      { id: 'x', name: 'x', current: true },
    ]);
  });
});

describe('orderedCounts', () => {
  it('lists every known code in order, then unknown codes by count', () => {
    expect(orderedCounts({ female: 3, x: 1, y: 5 }, ['male', 'female'])).toEqual([
      { code: 'male', value: 0 },
      { code: 'female', value: 3 },
      { code: 'y', value: 5 },
      { code: 'x', value: 1 },
    ]);
  });

  it('sums a record', () => {
    expect(sumCounts({ a: 2, b: 3 })).toBe(5);
    expect(sumCounts({})).toBe(0);
  });
});

describe('sortRows', () => {
  const rows = [
    { id: 'a', rate: 0.5 },
    { id: 'b', rate: null },
    { id: 'c', rate: 0.9 },
    { id: 'd', rate: 0.5 },
  ];
  const ids = (xs: typeof rows) => xs.map((x) => x.id);

  it('sorts both ways with rows without a value last', () => {
    expect(ids(sortRows(rows, (r) => r.rate, 'ascending'))).toEqual(['a', 'd', 'c', 'b']);
    expect(ids(sortRows(rows, (r) => r.rate, 'descending'))).toEqual(['c', 'a', 'd', 'b']);
  });

  it('keeps the given order without a sort, and does not touch the input', () => {
    expect(ids(sortRows(rows, (r) => r.rate, null))).toEqual(['a', 'b', 'c', 'd']);
    sortRows(rows, (r) => r.rate, 'descending');
    expect(ids(rows)).toEqual(['a', 'b', 'c', 'd']);
  });
});
