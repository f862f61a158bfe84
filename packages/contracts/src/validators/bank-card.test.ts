import { describe, expect, it } from 'vitest';
import { luhnCheckDigit, luhnValid, parseBankCard } from './bank-card.ts';

describe('bank card numbers (Luhn)', () => {
  it('accepts published test numbers and the Luhn worked example', () => {
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('79927398710')).toBe(false);
    expect(parseBankCard('4111 1111 1111 1111')).toEqual({ ok: true, value: '4111111111111111' });
  });

  it('appends the digit that makes a number valid', () => {
    const payload = '622202123456789012';
    const card = payload + luhnCheckDigit(payload);
    expect(card).toHaveLength(19);
    expect(parseBankCard(card)).toEqual({ ok: true, value: card });
    expect(parseBankCard('６２２２-' + card.slice(4))).toEqual({ ok: true, value: card });
  });

  it('names what is wrong', () => {
    expect(parseBankCard('  ')).toEqual({ ok: false, problem: 'empty' });
    expect(parseBankCard('6222abc1234567')).toEqual({ ok: false, problem: 'format' });
    expect(parseBankCard('41111111111')).toEqual({ ok: false, problem: 'length' });
    expect(parseBankCard('41111111111111111111')).toEqual({ ok: false, problem: 'length' });
    expect(parseBankCard('4111111111111112')).toEqual({ ok: false, problem: 'checksum' });
  });
});
