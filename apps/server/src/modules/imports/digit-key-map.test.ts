import { describe, expect, it } from 'vitest';
import { DigitKeyMap } from './digit-key-map.ts';

describe('DigitKeyMap', () => {
  it('keeps row numbers of many keys exactly, as a Map would', () => {
    const map = new DigitKeyMap(4);
    const ref = new Map<string, number>();
    for (let i = 0; i < 50_000; i++) {
      const id = `${610113 + (i % 7)}${String(19_600_101 + i * 37).padStart(8, '0')}${String(i % 1000).padStart(3, '0')}X`;
      const phone = `1${String(3_000_000_000 + i * 7919).slice(0, 10)}`;
      for (const k of [id, phone]) {
        if (!ref.has(k)) {
          ref.set(k, i + 2);
          map.set(k, i + 2);
        }
      }
    }
    for (const [k, v] of ref) expect(map.get(k)).toBe(v);
    expect(map.get('61011319000101000X')).toBeUndefined();
    expect(map.get('13900000000')).toBeUndefined();
  });

  it('holds as many keys as it was sized for without growing, and grows past them', () => {
    const map = new DigitKeyMap(10_000);
    const size = () => (map as unknown as { val: Int32Array }).val.length;
    const initial = size();
    expect(initial).toBeLessThanOrEqual(12_600);
    for (let i = 0; i < 10_000; i++) map.set(String(13_000_000_000 + i * 13), i);
    expect(size()).toBe(initial);
    for (let i = 10_000; i < 30_000; i++) map.set(String(13_000_000_000 + i * 13), i);
    expect(size()).toBeGreaterThan(initial);
    for (let i = 0; i < 30_000; i += 7) expect(map.get(String(13_000_000_000 + i * 13))).toBe(i);
  });

  it('tells apart keys differing only in the check character’s digits before it', () => {
    const map = new DigitKeyMap();
    map.set('610113199001011234', 5);
    expect(map.get('61011319900101123X')).toBe(5); // same first 17: the same person
    expect(map.get('610113199001011244')).toBeUndefined();
  });
});
