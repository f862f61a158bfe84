import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config.ts';
import type { KeyRing } from './field-cipher.ts';

export interface Keys {
  fieldRing: KeyRing;
  blindIndexKey: Buffer;
  auditKey: Buffer;
}

interface KeyFile {
  field: { kid: string; key: string }[];
  blindIndex: string;
  audit: string;
}

/**
 * Keys come from configuration. When none is configured (the embedded default) they are
 * generated once into DATA_DIR/keys.json, readable by the owner only. Keys are never logged.
 */
export function loadKeys(config: Config): Keys {
  const file = path.join(config.DATA_DIR, 'keys.json');
  let stored: KeyFile | null = null;
  const needFile = !config.FIELD_KEYS || !config.BLIND_INDEX_KEY || !config.AUDIT_KEY;
  if (needFile) {
    if (fs.existsSync(file)) {
      stored = JSON.parse(fs.readFileSync(file, 'utf8')) as KeyFile;
    } else {
      if (config.NODE_ENV === 'production') {
        throw new Error('FIELD_KEYS, BLIND_INDEX_KEY and AUDIT_KEY must be configured in production');
      }
      stored = {
        field: [{ kid: 'k1', key: randomBytes(32).toString('base64') }],
        blindIndex: randomBytes(32).toString('base64'),
        audit: randomBytes(32).toString('base64'),
      };
      fs.mkdirSync(config.DATA_DIR, { recursive: true });
      fs.writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
    }
  }
  const fieldEntries = config.FIELD_KEYS
    ? config.FIELD_KEYS.split(',').map((pair) => {
        const [kid, key] = pair.split(':') as [string, string];
        return { kid, key };
      })
    : stored!.field;
  const keys = new Map(fieldEntries.map((e) => [e.kid, Buffer.from(e.key, 'base64')]));
  return {
    fieldRing: { activeKid: fieldEntries[0]!.kid, keys },
    blindIndexKey: Buffer.from(config.BLIND_INDEX_KEY ?? stored!.blindIndex, 'base64'),
    auditKey: Buffer.from(config.AUDIT_KEY ?? stored!.audit, 'base64'),
  };
}
