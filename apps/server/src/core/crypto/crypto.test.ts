import { createCipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import { createBlindIndexer } from './blind-index.ts';
import { type CipherName, createFieldCipher, FieldCipherError, type KeyRing } from './field-cipher.ts';
import { loadKeys } from './keys.ts';
import { maskBankCard, maskIdNumber, maskName, maskPhone } from './mask.ts';

const hex = (s: string) => Buffer.from(s, 'hex');
const ring = (...kids: string[]): KeyRing => ({
  activeKid: kids[0]!,
  keys: new Map(kids.map((k) => [k, randomBytes(32)])),
});

describe('primitives against published test vectors', () => {
  it('AES-256-GCM: GCM specification test case 16', () => {
    const c = createCipheriv(
      'aes-256-gcm',
      hex('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308'),
      hex('cafebabefacedbaddecaf888'),
    );
    c.setAAD(hex('feedfacedeadbeeffeedfacedeadbeefabaddad2'));
    const ct = Buffer.concat([
      c.update(
        hex(
          'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39',
        ),
      ),
      c.final(),
    ]);
    expect(ct.toString('hex')).toBe(
      '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662',
    );
    expect(c.getAuthTag().toString('hex')).toBe('76fc6ece0f4e1768cddf8853bb2d551b');
  });

  it('SM4: GB/T 32907-2016 example 1 (one block, which CBC with a zero IV equals)', () => {
    const key = hex('0123456789abcdeffedcba9876543210');
    const c = createCipheriv('sm4-cbc', key, Buffer.alloc(16));
    c.setAutoPadding(false);
    const ct = Buffer.concat([c.update(key), c.final()]);
    expect(ct.toString('hex')).toBe('681edf34d206965e86b3e94f536e4246');
  });

  it('SM3: GB/T 32905-2016 examples 1 and 2', () => {
    expect(createHash('sm3').update('abc').digest('hex')).toBe(
      '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0',
    );
    expect(createHash('sm3').update('abcd'.repeat(16)).digest('hex')).toBe(
      'debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732',
    );
  });

  it('HMAC-SM3 follows RFC 2104 over SM3 (64-byte block)', () => {
    const key = Buffer.from('key');
    const msg = Buffer.from('The quick brown fox jumps over the lazy dog');
    const k = Buffer.concat([key, Buffer.alloc(64 - key.length)]);
    const ipad = Buffer.from(k.map((b) => b ^ 0x36));
    const opad = Buffer.from(k.map((b) => b ^ 0x5c));
    const inner = createHash('sm3').update(ipad).update(msg).digest();
    const manual = createHash('sm3').update(opad).update(inner).digest('hex');
    expect(createHmac('sm3', key).update(msg).digest('hex')).toBe(manual);
  });
});

describe.each<CipherName>(['aes-256-gcm', 'sm4-cbc-hmac-sm3'])('field cipher %s', (name) => {
  it('round-trips Chinese text and digits, with fresh randomness each time', () => {
    const f = createFieldCipher(name, ring('k1'));
    const a = f.encrypt('610102199001011234', 'member.id_number');
    const b = f.encrypt('610102199001011234', 'member.id_number');
    expect(a).not.toBe(b);
    expect(a).not.toContain('610102');
    expect(f.decrypt(a, 'member.id_number')).toBe('610102199001011234');
    expect(f.decrypt(f.encrypt('王小明', 'c'), 'c')).toBe('王小明');
  });

  it('refuses a tampered ciphertext', () => {
    const f = createFieldCipher(name, ring('k1'));
    const ct = f.encrypt('13812341234', 'member.phone');
    const [kid, alg, payload] = ct.split('.') as [string, string, string];
    const bytes = Buffer.from(payload, 'base64url');
    bytes[bytes.length - 20]! ^= 0x01;
    expect(() => f.decrypt(`${kid}.${alg}.${bytes.toString('base64url')}`, 'member.phone')).toThrow(FieldCipherError);
  });

  it('refuses a ciphertext moved to another column', () => {
    const f = createFieldCipher(name, ring('k1'));
    const ct = f.encrypt('13812341234', 'member.phone');
    expect(() => f.decrypt(ct, 'member.bank_card')).toThrow(FieldCipherError);
  });

  it('rotates keys: old values decrypt, new values use the active key', () => {
    const old = ring('k1');
    const ct1 = createFieldCipher(name, old).encrypt('secret', 'x');
    const rotated: KeyRing = { activeKid: 'k2', keys: new Map([...old.keys, ['k2', randomBytes(32)]]) };
    const f = createFieldCipher(name, rotated);
    expect(f.decrypt(ct1, 'x')).toBe('secret');
    expect(f.keyIdOf(ct1)).toBe('k1');
    expect(f.needsRotation(ct1)).toBe(true);
    const ct2 = f.encrypt('secret', 'x');
    expect(f.keyIdOf(ct2)).toBe('k2');
    expect(f.needsRotation(ct2)).toBe(false);
  });

  it('names a missing key', () => {
    const ct = createFieldCipher(name, ring('gone')).encrypt('v', 'x');
    expect(() => createFieldCipher(name, ring('k1')).decrypt(ct, 'x')).toThrow(/no key with id gone/);
  });
});

describe('blind index', () => {
  it('is deterministic per value and context, different across them and keys', () => {
    const key = randomBytes(32);
    const b = createBlindIndexer(key, 'aes-256-gcm');
    expect(b.index('13812341234', 'phone')).toBe(b.index('13812341234', 'phone'));
    expect(b.index('13812341234', 'phone')).not.toBe(b.index('13812341234', 'id'));
    expect(b.index('13812341234', 'phone')).not.toBe(
      createBlindIndexer(randomBytes(32), 'aes-256-gcm').index('13812341234', 'phone'),
    );
    expect(createBlindIndexer(key, 'sm4-cbc-hmac-sm3').index('1', 'p')).not.toBe(b.index('1', 'p'));
  });
});

describe('masking', () => {
  it('masks as the rulebook shows', () => {
    expect(maskIdNumber('610102199001011234')).toBe('6101**********1234');
    expect(maskPhone('13812341234')).toBe('138****1234');
    expect(maskName('王小明')).toBe('王*明');
    expect(maskName('王明')).toBe('王*');
    expect(maskName('欧阳小明')).toBe('欧**明');
    expect(maskName('李')).toBe('*');
    expect(maskBankCard('6222 0212 3456 7890 123')).toBe('6222***********0123');
    expect(maskPhone('123')).toBe('***');
  });
});

describe('keys', () => {
  it('generates keys into the data folder once, owner-readable only, and reuses them', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhgh-keys-'));
    const config = loadConfig({ DATA_DIR: dir });
    const a = loadKeys(config);
    const b = loadKeys(config);
    expect(a.auditKey.equals(b.auditKey)).toBe(true);
    expect(fs.statSync(path.join(dir, 'keys.json')).mode & 0o777).toBe(0o600);
    fs.rmSync(dir, { recursive: true });
  });

  it('takes a configured key ring, first key active', () => {
    const k1 = randomBytes(32).toString('base64');
    const k2 = randomBytes(32).toString('base64');
    const config = loadConfig({
      DATA_DIR: os.tmpdir(),
      FIELD_KEYS: `new:${k2},old:${k1}`,
      BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
      AUDIT_KEY: randomBytes(32).toString('base64'),
    });
    const keys = loadKeys(config);
    expect(keys.fieldRing.activeKid).toBe('new');
    expect([...keys.fieldRing.keys.keys()]).toEqual(['new', 'old']);
  });

  it('refuses to invent keys in production', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhgh-keys-'));
    expect(() => loadKeys(loadConfig({ DATA_DIR: dir, NODE_ENV: 'production' }))).toThrow(/must be configured/);
    fs.rmSync(dir, { recursive: true });
  });
});
