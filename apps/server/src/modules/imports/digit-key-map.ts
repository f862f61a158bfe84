/**
 * Row numbers by a key of up to 17 decimal digits (the first 17 characters of a validated
 * ID number, which fix its check character; an 11-digit phone), in typed arrays: a million
 * keys take about 24 MB instead of the ~250 MB of a Map of strings, so the in-file duplicate
 * checks of a million-row roster stay within the import's memory budget. Keys are stored
 * exactly (as two integers), so there are no false duplicates.
 *
 * Sized for the rows the file is expected to hold, filled to at most 80 % (linear probing
 * stays short there) and grown by half: doubling power-of-two tables took 48 MB for a
 * million keys in the two maps, and 72 MB while both grew at once.
 */
const MAX_LOAD = 0.8;

export class DigitKeyMap {
  private hi: Uint32Array;
  private lo: Uint32Array;
  /** Row number + 1 (0 marks an empty slot). */
  private val: Int32Array;
  private size = 0;

  constructor(expectedKeys = 1024) {
    const cap = Math.max(16, Math.ceil(expectedKeys / MAX_LOAD) + 1);
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.val = new Int32Array(cap);
  }

  /** The key's two halves: the last 8 digits and the ones before (at most 9). */
  private static split(key: string): [number, number] {
    const digits = key.length > 17 ? key.slice(0, 17) : key;
    const cut = Math.max(0, digits.length - 8);
    return [cut === 0 ? 0 : Number(digits.slice(0, cut)), Number(digits.slice(cut))];
  }

  private slot(hi: number, lo: number): number {
    const cap = this.val.length;
    let h = Math.imul(hi ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(lo, 0xc2b2ae35);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    // The hash scaled onto [0, cap): any table size, not only powers of two.
    let i = Math.floor((h >>> 0) * (cap / 4294967296));
    while (this.val[i] !== 0 && (this.hi[i] !== hi || this.lo[i] !== lo)) i = i + 1 === cap ? 0 : i + 1;
    return i;
  }

  get(key: string): number | undefined {
    const [hi, lo] = DigitKeyMap.split(key);
    const v = this.val[this.slot(hi, lo)]!;
    return v === 0 ? undefined : v - 1;
  }

  set(key: string, row: number): void {
    const [hi, lo] = DigitKeyMap.split(key);
    let i = this.slot(hi, lo);
    if (this.val[i] === 0) {
      if (this.size + 1 > this.val.length * MAX_LOAD) {
        this.grow();
        i = this.slot(hi, lo);
      }
      this.size++;
      this.hi[i] = hi;
      this.lo[i] = lo;
    }
    this.val[i] = row + 1;
  }

  private grow(): void {
    const { hi, lo, val } = this;
    const cap = Math.ceil(val.length * 1.5);
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.val = new Int32Array(cap);
    for (let j = 0; j < val.length; j++) {
      if (val[j] === 0) continue;
      const i = this.slot(hi[j]!, lo[j]!);
      this.hi[i] = hi[j]!;
      this.lo[i] = lo[j]!;
      this.val[i] = val[j]!;
    }
  }
}
