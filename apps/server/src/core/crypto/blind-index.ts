import { createHmac } from 'node:crypto';
import type { CipherName } from './field-cipher.ts';

/**
 * Keyed blind index: a deterministic HMAC of the normalised value, so an encrypted column can
 * be searched exactly and made unique without storing the plaintext. The context keeps the
 * index of a phone from matching the index of an ID number with the same digits.
 */
export interface BlindIndexer {
  index(value: string, context: string): string;
  /** What builds the same indexer on a worker thread (see FieldCipher's `spec`). */
  readonly spec: { key: Buffer; cipher: CipherName };
}

export function createBlindIndexer(key: Buffer, cipher: CipherName): BlindIndexer {
  if (key.length !== 32) throw new Error('blind index key must be 32 bytes');
  const digest = cipher === 'sm4-cbc-hmac-sm3' ? 'sm3' : 'sha256';
  return {
    spec: { key, cipher },
    index(value, context) {
      // 128 bits are plenty against collisions at national scale and halve the index size.
      return createHmac(digest, key).update(context).update('\0').update(value).digest('base64url').slice(0, 22);
    },
  };
}
