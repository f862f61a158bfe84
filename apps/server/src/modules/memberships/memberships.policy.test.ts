import { describe, expect, it } from 'vitest';
import { AppError } from '../../core/app-error.ts';
import {
  beijingDayStart,
  checkActivityRecord,
  checkRequest,
  checkTransferTarget,
  inactivitySince,
  isOpen,
  monthsBefore,
} from './memberships.policy.ts';

const codeOf = (f: () => void) => {
  try {
    f();
    return null;
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return { code: err.code, fields: (err.fields ?? []).map((x) => x.field) };
  }
};

describe('membership change rules', () => {
  it('counts six calendar months back, a missing day falling on the month’s end', () => {
    expect(monthsBefore('2026-11-23', 6)).toBe('2026-05-23');
    expect(monthsBefore('2026-03-10', 6)).toBe('2025-09-10');
    expect(monthsBefore('2026-08-31', 6)).toBe('2026-02-28');
    expect(monthsBefore('2028-08-31', 6)).toBe('2028-02-29');
    expect(monthsBefore('2026-01-15', 13)).toBe('2024-12-15');
    expect(inactivitySince('2026-07-09')).toBe('2026-01-09');
  });

  it('starts a Beijing day at 16:00 UTC the day before', () => {
    expect(beijingDayStart('2026-01-09')).toBe('2026-01-08T16:00:00.000Z');
  });

  it('an open membership is active or retained and not ended', () => {
    expect(isOpen({ status: 'active', ended_on: null })).toBe(true);
    expect(isOpen({ status: 'retained', ended_on: null })).toBe(true);
    expect(isOpen({ status: 'withdrawn', ended_on: '2026-01-01' })).toBe(false);
  });

  it('transfers to an active union that registers members, other than the present one', () => {
    const here = { org_id: 'a' };
    expect(codeOf(() => checkTransferTarget({ id: 'b', type: 'grassroots', status: 'active' }, here))).toBeNull();
    expect(codeOf(() => checkTransferTarget({ id: 'b', type: 'joint', status: 'dissolved' }, here))).toEqual({
      code: 'ORG_NOT_ACTIVE',
      fields: [],
    });
    expect(codeOf(() => checkTransferTarget({ id: 'b', type: 'federation', status: 'active' }, here))).toEqual({
      code: 'VALIDATION_FAILED',
      fields: ['body.toOrgId'],
    });
    expect(codeOf(() => checkTransferTarget({ id: 'a', type: 'grassroots', status: 'active' }, here))).toEqual({
      code: 'MEMBERSHIP_TRANSFER_SAME_UNION',
      fields: ['body.toOrgId'],
    });
  });

  it('retention needs its reason and an active member; withdrawal takes none', () => {
    expect(codeOf(() => checkRequest('retain', undefined, { status: 'active' }))?.fields).toEqual(['body.reasonCode']);
    expect(codeOf(() => checkRequest('retain', 'retired', { status: 'retained' }))?.code).toBe(
      'MEMBERSHIP_STATUS_NOT_ALLOWED',
    );
    expect(codeOf(() => checkRequest('withdraw', 'retired', { status: 'active' }))?.fields).toEqual([
      'body.reasonCode',
    ]);
    expect(codeOf(() => checkRequest('withdraw', undefined, { status: 'retained' }))).toBeNull();
  });

  it('dues name a month not after this one; activities a title; no day in the future', () => {
    const today = '2026-03-10';
    expect(codeOf(() => checkActivityRecord({ kind: 'dues', month: '2026-03', occurredOn: today }, today))).toBeNull();
    expect(codeOf(() => checkActivityRecord({ kind: 'dues', occurredOn: today }, today))?.fields).toEqual([
      'body.month',
    ]);
    expect(
      codeOf(() => checkActivityRecord({ kind: 'dues', month: '2026-04', occurredOn: today }, today))?.fields,
    ).toEqual(['body.month']);
    expect(codeOf(() => checkActivityRecord({ kind: 'activity', occurredOn: today }, today))?.fields).toEqual([
      'body.title',
    ]);
    expect(
      codeOf(() => checkActivityRecord({ kind: 'activity', title: '健步走', occurredOn: '2026-03-11' }, today))?.fields,
    ).toEqual(['body.occurredOn']);
  });
});
