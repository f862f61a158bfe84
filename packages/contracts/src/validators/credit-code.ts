/**
 * Unified social credit codes (统一社会信用代码), GB 32100-2015: 18 characters from a
 * 31-character alphabet (no I, O, S, V, Z): registering authority, entity type, 6-digit region
 * code, 9-character organization code, and a check character (MOD 31).
 */

const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;

export type CreditCodeProblem = 'empty' | 'length' | 'format' | 'checksum';

export type CreditCodeResult =
  { ok: true; value: string; regionCode: string } | { ok: false; problem: CreditCodeProblem };

export function creditCodeCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += ALPHABET.indexOf(first17[i]!) * WEIGHTS[i]!;
  return ALPHABET[(31 - (sum % 31)) % 31]!;
}

export function parseCreditCode(raw: string): CreditCodeResult {
  const v = raw
    .replace(/[\uFF10-\uFF19\uFF21-\uFF3A\uFF41-\uFF5A]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/[\s\u3000-]/g, '')
    .toUpperCase();
  if (v.length === 0) return { ok: false, problem: 'empty' };
  if (v.length !== 18) return { ok: false, problem: 'length' };
  if (![...v].every((c) => ALPHABET.includes(c)) || !/^\d{6}$/.test(v.slice(2, 8))) {
    return { ok: false, problem: 'format' };
  }
  if (creditCodeCheckChar(v.slice(0, 17)) !== v[17]) return { ok: false, problem: 'checksum' };
  return { ok: true, value: v, regionCode: v.slice(2, 8) };
}
