import { describe, expect, it } from 'vitest';
import { creditCodeCheckChar, parseCreditCode } from './credit-code.ts';
import { ageOn, idNumberCheckChar, normalizeIdNumber, parseIdNumber, upgradeIdNumber15 } from './id-number.ts';

const today = new Date('2026-11-23T00:00:00Z');

describe('ID numbers (GB 11643)', () => {
  it('accepts the standard’s own example and derives date and gender', () => {
    // The worked example of GB 11643-1999, Annex A.
    expect(parseIdNumber('11010519491231002X', today)).toEqual({
      ok: true,
      value: '11010519491231002X',
      regionCode: '110105',
      birthDate: '1949-12-31',
      gender: 'female',
    });
  });

  it('normalizes full-width digits, lowercase x, spaces and dashes', () => {
    expect(normalizeIdNumber('１１０１０５ 1949-1231 002ｘ')).toBe('11010519491231002X');
    expect(parseIdNumber(' 110105-19491231-002x ', today)).toMatchObject({ ok: true, value: '11010519491231002X' });
  });

  it('converts 15-digit numbers to 18', () => {
    expect(upgradeIdNumber15('110105491231002')).toBe('11010519491231002X');
    expect(parseIdNumber('110105491231002', today)).toMatchObject({ ok: true, value: '11010519491231002X' });
  });

  it('names what is wrong', () => {
    expect(parseIdNumber('', today)).toEqual({ ok: false, problem: 'empty' });
    expect(parseIdNumber('1101051949123100', today)).toEqual({ ok: false, problem: 'length' });
    expect(parseIdNumber('11010519491231A02X', today)).toEqual({ ok: false, problem: 'format' });
    expect(parseIdNumber('99010519491231002X', today)).toEqual({ ok: false, problem: 'region' });
    const feb30 = '61010219900230001';
    expect(parseIdNumber(feb30 + idNumberCheckChar(feb30), today)).toEqual({ ok: false, problem: 'date' });
    const future = '61010220301201001';
    expect(parseIdNumber(future + idNumberCheckChar(future), today)).toEqual({ ok: false, problem: 'date' });
    expect(parseIdNumber('110105194912310021', today)).toEqual({ ok: false, problem: 'checksum' });
  });

  it('tells men from women by the sequence digit', () => {
    const man = '61010219900101001';
    expect(parseIdNumber(man + idNumberCheckChar(man), today)).toMatchObject({ gender: 'male' });
  });

  it('counts age in whole years', () => {
    expect(ageOn('2010-11-24', today)).toBe(15);
    expect(ageOn('2010-11-23', today)).toBe(16);
  });
});

describe('unified social credit codes (GB 32100)', () => {
  it('accepts a valid code and reads its region', () => {
    const first17 = '91610113MA6U0X0A0';
    const code = first17 + creditCodeCheckChar(first17);
    expect(parseCreditCode(code)).toEqual({ ok: true, value: code, regionCode: '610113' });
    expect(parseCreditCode(code.toLowerCase())).toMatchObject({ ok: true });
  });

  it('accepts published codes', () => {
    // Codes printed on public business licences.
    expect(parseCreditCode('91350100M000100Y43')).toMatchObject({ ok: true });
    expect(parseCreditCode('91110000802100433B')).toMatchObject({ ok: true });
  });

  it('names what is wrong', () => {
    expect(parseCreditCode('')).toEqual({ ok: false, problem: 'empty' });
    expect(parseCreditCode('9161011')).toEqual({ ok: false, problem: 'length' });
    expect(parseCreditCode('91610113MA6U0X0AOI')).toEqual({ ok: false, problem: 'format' });
    expect(parseCreditCode('91350100M000100Y44')).toEqual({ ok: false, problem: 'checksum' });
  });
});
