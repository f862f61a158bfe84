import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  type KeyObject,
  randomFillSync,
  timingSafeEqual,
} from 'node:crypto';

/**
 * Field encryption for ID numbers, phones and bank cards.
 *
 * Ciphertext text form: `<kid>.<alg>.<base64url payload>`. The key id travels with every
 * value, so keys can rotate: new writes use the active key, old values still decrypt with
 * theirs until a re-encryption job rewrites them. The context (e.g. `member.id_number`) is
 * bound into the authentication tag, so a ciphertext copied into another column fails.
 */
export type CipherName = 'aes-256-gcm' | 'sm4-cbc-hmac-sm3';

export interface KeyRing {
  /** Key id used for new encryptions. */
  activeKid: string;
  /** Every key that may still decrypt, 32 bytes each. */
  keys: Map<string, Buffer>;
}

const ALG_TAG: Record<CipherName, string> = { 'aes-256-gcm': 'g1', 'sm4-cbc-hmac-sm3': 's1' };

export class FieldCipherError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FieldCipherError';
  }
}

export interface FieldCipher {
  readonly name: CipherName;
  /**
   * What builds the same cipher on a worker thread (`createFieldCipher(spec.name, spec.ring)`).
   * A worker gets a copy of the keys in memory; they never leave the process.
   */
  readonly spec: { name: CipherName; ring: KeyRing };
  encrypt(plaintext: string, context: string): string;
  decrypt(ciphertext: string, context: string): string;
  /** The key id a stored value was written with (for rotation jobs). */
  keyIdOf(ciphertext: string): string;
  /** True when a value was written with a key other than the active one. */
  needsRotation(ciphertext: string): boolean;
}

/**
 * Random IVs drawn from a pool: one `randomFillSync` per 4 KiB instead of one CSPRNG call per
 * value, which dominated encryption in bulk imports. Each IV is a fresh slice of the pool that
 * is never handed out twice, so IVs are exactly as random and as unique as before.
 */
const IV_POOL_BYTES = 4096;
let ivPool = Buffer.alloc(0);
let ivPoolAt = 0;

function freshIv(length: number): Buffer {
  if (ivPoolAt + length > ivPool.length) {
    // A new buffer, not a refill: slices handed out earlier must keep their bytes.
    ivPool = randomFillSync(Buffer.allocUnsafeSlow(IV_POOL_BYTES));
    ivPoolAt = 0;
  }
  const iv = ivPool.subarray(ivPoolAt, ivPoolAt + length);
  ivPoolAt += length;
  return iv;
}

export function createFieldCipher(name: CipherName, ring: KeyRing): FieldCipher {
  for (const [kid, key] of ring.keys) {
    if (key.length !== 32) throw new FieldCipherError(`key ${kid} must be 32 bytes`);
    if (!/^[A-Za-z0-9_-]+$/.test(kid)) throw new FieldCipherError(`key id ${kid} has characters outside [A-Za-z0-9_-]`);
  }
  if (!ring.keys.has(ring.activeKid)) throw new FieldCipherError(`active key ${ring.activeKid} is not in the ring`);
  const tag = ALG_TAG[name];
  // Key objects made once per key: a raw Buffer is turned into one on every cipher created.
  const keyObjects = new Map<Buffer, KeyObject>();
  const keyObjectOf = (key: Buffer): KeyObject => {
    let k = keyObjects.get(key);
    if (!k) keyObjects.set(key, (k = createSecretKey(key)));
    return k;
  };
  const aadCache = new Map<string, Buffer>();
  const aadOf = (text: string): Buffer => {
    let aad = aadCache.get(text);
    if (!aad) {
      if (aadCache.size >= 256) aadCache.clear();
      aad = Buffer.from(text);
      aadCache.set(text, aad);
    }
    return aad;
  };

  const keyFor = (kid: string): Buffer => {
    const key = ring.keys.get(kid);
    if (!key) throw new FieldCipherError(`no key with id ${kid}`);
    return key;
  };

  const split = (ciphertext: string): { kid: string; alg: string; payload: Buffer } => {
    const parts = ciphertext.split('.');
    if (parts.length !== 3) throw new FieldCipherError('malformed ciphertext');
    return { kid: parts[0]!, alg: parts[1]!, payload: Buffer.from(parts[2]!, 'base64url') };
  };

  return {
    name,
    spec: { name, ring },
    encrypt(plaintext, context) {
      const kid = ring.activeKid;
      const key = keyFor(kid);
      const header = `${kid}.${tag}`;
      const aad = aadOf(`${header}|${context}`);
      if (name === 'aes-256-gcm') {
        const iv = freshIv(12);
        const c = createCipheriv('aes-256-gcm', keyObjectOf(key), iv);
        c.setAAD(aad);
        const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
        return `${header}.${Buffer.concat([iv, ct, c.getAuthTag()]).toString('base64url')}`;
      }
      // SM4 has a 128-bit key: the first half of the 32-byte key encrypts, the second half
      // keys the HMAC-SM3 over header, context, IV and ciphertext (encrypt-then-MAC).
      const iv = freshIv(16);
      const c = createCipheriv('sm4-cbc', key.subarray(0, 16), iv);
      const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
      const mac = createHmac('sm3', key.subarray(16)).update(aad).update(iv).update(ct).digest();
      return `${header}.${Buffer.concat([iv, ct, mac]).toString('base64url')}`;
    },
    decrypt(ciphertext, context) {
      const { kid, alg, payload } = split(ciphertext);
      const key = keyFor(kid);
      const aad = Buffer.from(`${kid}.${alg}|${context}`);
      try {
        if (alg === ALG_TAG['aes-256-gcm']) {
          const iv = payload.subarray(0, 12);
          const authTag = payload.subarray(payload.length - 16);
          const d = createDecipheriv('aes-256-gcm', key, iv);
          d.setAAD(aad);
          d.setAuthTag(authTag);
          return Buffer.concat([d.update(payload.subarray(12, payload.length - 16)), d.final()]).toString('utf8');
        }
        if (alg === ALG_TAG['sm4-cbc-hmac-sm3']) {
          const iv = payload.subarray(0, 16);
          const mac = payload.subarray(payload.length - 32);
          const ct = payload.subarray(16, payload.length - 32);
          const expected = createHmac('sm3', key.subarray(16)).update(aad).update(iv).update(ct).digest();
          if (mac.length !== 32 || !timingSafeEqual(mac, expected)) throw new Error('mac mismatch');
          const d = createDecipheriv('sm4-cbc', key.subarray(0, 16), iv);
          return Buffer.concat([d.update(ct), d.final()]).toString('utf8');
        }
      } catch {
        throw new FieldCipherError('ciphertext failed authentication');
      }
      throw new FieldCipherError(`unknown algorithm tag ${alg}`);
    },
    keyIdOf(ciphertext) {
      return split(ciphertext).kid;
    },
    needsRotation(ciphertext) {
      return split(ciphertext).kid !== ring.activeKid;
    },
  };
}
