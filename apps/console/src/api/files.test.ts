import { describe, expect, it } from 'vitest';
import { dispositionFilename } from './files.ts';

describe('dispositionFilename', () => {
  it('prefers the exact UTF-8 name the server sends', () => {
    const header = `attachment; filename="____.xlsx"; filename*=UTF-8''${encodeURIComponent('错误报告.xlsx')}`;
    expect(dispositionFilename(header, 'x')).toBe('错误报告.xlsx');
  });

  it('falls back to the plain name, then to the given one', () => {
    expect(dispositionFilename('attachment; filename="report.csv"', 'x')).toBe('report.csv');
    expect(dispositionFilename("attachment; filename*=UTF-8''%E0%A4%A", 'x')).toBe('x');
    expect(dispositionFilename(null, 'fallback.xlsx')).toBe('fallback.xlsx');
  });
});
