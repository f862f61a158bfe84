import { randomFillSync } from 'node:crypto';

let lastMs = 0;
let seq = 0;

/**
 * Random bytes drawn from a pool: one `randomFillSync` per 4 KiB instead of one CSPRNG call
 * per id, which a million-row import paid twice per row. Every id takes bytes of the pool no
 * other id got, so ids are exactly as random as with a call each (the field cipher's IVs come
 * from a pool the same way).
 */
const POOL_BYTES = 4096;
const RANDOM_BYTES = 8;
let pool = randomFillSync(Buffer.allocUnsafeSlow(POOL_BYTES));
let poolAt = 0;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * UUIDv7 (RFC 9562): 48-bit millisecond time, then randomness. Ids sort by creation time,
 * which keeps B-tree inserts at the right edge. A 12-bit counter (rand_a) keeps ids minted in
 * the same millisecond in order; rand_b is 62 random bits.
 */
export function newId(): string {
  let ms = Date.now();
  if (ms <= lastMs) {
    ms = lastMs;
    seq++;
    if (seq > 0xfff) {
      ms = ++lastMs;
      seq = 0;
    }
  } else {
    seq = 0;
  }
  lastMs = ms;
  if (poolAt + RANDOM_BYTES > POOL_BYTES) {
    pool = randomFillSync(Buffer.allocUnsafeSlow(POOL_BYTES));
    poolAt = 0;
  }
  const r = poolAt;
  poolAt += RANDOM_BYTES;
  // 48-bit time as hex: the high 16 bits and the low 32 bits (bit operations are 32-bit).
  const high = Math.floor(ms / 0x1_0000_0000);
  const low = ms >>> 0;
  const time =
    HEX[(high >>> 8) & 0xff]! +
    HEX[high & 0xff]! +
    HEX[low >>> 24]! +
    HEX[(low >>> 16) & 0xff]! +
    HEX[(low >>> 8) & 0xff]! +
    HEX[low & 0xff]!;
  const version = HEX[0x70 | ((seq >> 8) & 0x0f)]! + HEX[seq & 0xff]!;
  const variant = HEX[(pool[r]! & 0x3f) | 0x80]! + HEX[pool[r + 1]!]!;
  let tail = '';
  for (let i = r + 2; i < r + RANDOM_BYTES; i++) tail += HEX[pool[i]!]!;
  return `${time.slice(0, 8)}-${time.slice(8)}-${version}-${variant}-${tail}`;
}

/** Current time as an ISO-8601 UTC string, the one timestamp format of the platform. */
export function nowIso(): string {
  return new Date().toISOString();
}
