import { describe, expect, it } from 'vitest';
import { formatYuan, parseYuan } from './finance-data.ts';

describe('money in the console', () => {
  it('shows fen as yuan with two decimals and thousands separators', () => {
    expect(formatYuan(0)).toBe('0.00');
    expect(formatYuan(5)).toBe('0.05');
    expect(formatYuan(123_456)).toBe('1,234.56');
    expect(formatYuan(-100_000_000)).toBe('-1,000,000.00');
  });

  it('reads typed yuan as integer fen, refusing what is not a positive amount', () => {
    expect(parseYuan('1234.5')).toBe(123_450);
    expect(parseYuan('1,234.56')).toBe(123_456);
    expect(parseYuan(' 0.01 ')).toBe(1);
    expect(parseYuan('0.1')).toBe(10);
    for (const bad of ['', '0', '0.00', '1.234', '-5', 'abc', '1e3']) expect(parseYuan(bad), bad).toBeNull();
  });
});
