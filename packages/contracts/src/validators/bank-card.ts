/**
 * Bank card numbers (银行卡号): 12–19 digits whose last digit is a Luhn check digit (ISO/IEC
 * 7812), as UnionPay debit cards carry. Benefits are paid to this card, so a typo caught at
 * registration is a payment that does not bounce later. Spaces and dashes, as printed on
 * cards and typed by hand, are removed first.
 */

export type BankCardProblem = 'empty' | 'format' | 'length' | 'checksum';

export type BankCardResult = { ok: true; value: string } | { ok: false; problem: BankCardProblem };

export const BANK_CARD_MIN_DIGITS = 12;
export const BANK_CARD_MAX_DIGITS = 19;

/** Full-width digits to ASCII; spaces and dashes removed. */
export function normalizeBankCard(raw: string): string {
  return raw
    .replace(/[\uFF10-\uFF19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/[\s\u3000\-\uFF0D]/g, '');
}

/** True when the digit string passes the Luhn (mod 10) check. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** The Luhn check digit to append to `payload`. */
export function luhnCheckDigit(payload: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(payload + d)) return String(d);
  throw new Error('unreachable');
}

export function parseBankCard(raw: string): BankCardResult {
  const v = normalizeBankCard(raw);
  if (v.length === 0) return { ok: false, problem: 'empty' };
  if (!/^\d+$/.test(v)) return { ok: false, problem: 'format' };
  if (v.length < BANK_CARD_MIN_DIGITS || v.length > BANK_CARD_MAX_DIGITS) return { ok: false, problem: 'length' };
  if (!luhnValid(v)) return { ok: false, problem: 'checksum' };
  return { ok: true, value: v };
}
