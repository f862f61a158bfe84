/**
 * Row numbers by a key of up to 17 decimal digits (the first 17 characters of a validated
 * ID number, which fix its check character; an 11-digit phone), in typed arrays: a million
 * keys take about 24 MB instead of the ~250 MB of a Map of strings, so the in-file duplicate
 * checks of a million-row roster stay within the import's memory budget. Keys are stored
 * exactly (as two integers), so there are no false duplicates.
 */
export class DigitKeyMap {
  private hi: Uint32Array;
  private lo: Uint32Array;
  /** Row number + 1 (0 marks an empty slot). */
  private val: Int32Array;
  private size = 0;

  constructor(capacity = 1024) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
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
    const mask = this.val.length - 1;
    let h = Math.imul(hi ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(lo, 0xc2b2ae35);
    h ^= h >>> 15;
    let i = h & mask;
    while (this.val[i] !== 0 && (this.hi[i] !== hi || this.lo[i] !== lo)) i = (i + 1) & mask;
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
      if ((this.size + 1) * 2 > this.val.length) {
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
    this.hi = new Uint32Array(val.length * 2);
    this.lo = new Uint32Array(val.length * 2);
    this.val = new Int32Array(val.length * 2);
    for (let j = 0; j < val.length; j++) {
      if (val[j] === 0) continue;
      const i = this.slot(hi[j]!, lo[j]!);
      this.hi[i] = hi[j]!;
      this.lo[i] = lo[j]!;
      this.val[i] = val[j]!;
    }
  }
}
