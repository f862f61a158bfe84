import { INACTIVITY_MONTHS, type RetentionReason } from '@zhgh/contracts';
import { AppError, fieldError } from '../../core/app-error.ts';
import type { MembershipTable, OrganizationTable } from '../../db/schema.ts';

/**
 * The rules of membership changes (DOMAIN §3.2, decision 0017), pure so they read like the
 * rulebook and are unit-tested without a database.
 */

const t = (zh: string, en: string) => ({ 'zh-CN': zh, en });

/** A membership that still counts: active or retained (ended_on not set). */
export function isOpen(m: Pick<MembershipTable, 'status' | 'ended_on'>): boolean {
  return m.ended_on === null && (m.status === 'active' || m.status === 'retained');
}

/**
 * The same day `months` calendar months earlier (YYYY-MM-DD); a day the shorter month lacks
 * falls on its last day (31 August − 6 months = 28/29 February).
 */
export function monthsBefore(day: string, months: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const index = y * 12 + (m - 1) - months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
}

/**
 * The first day that still counts for the inactivity rule run on `today`: a member with any
 * sign of life (dues, activity, card check, application, a dismissed proposal) on or after it,
 * or whose membership started on or after it, is not proposed.
 */
export function inactivitySince(today: string): string {
  return monthsBefore(today, INACTIVITY_MONTHS);
}

/** Start of a Beijing day as an instant, for comparing with timestamps. */
export function beijingDayStart(day: string): string {
  return new Date(`${day}T00:00:00+08:00`).toISOString();
}

/** The union a member transfers to: an active union that registers members (not a federation), not the present one. */
export function checkTransferTarget(
  target: Pick<OrganizationTable, 'id' | 'type' | 'status'>,
  current: Pick<MembershipTable, 'org_id'>,
): void {
  if (target.status !== 'active') throw new AppError('ORG_NOT_ACTIVE');
  if (target.type === 'federation') {
    throw new AppError('VALIDATION_FAILED', [
      fieldError(
        'body.toOrgId',
        'invalid',
        t(
          '请选择基层工会、联合基层工会等接收会员的工会，不能转入总工会',
          'Choose a union that registers members (grassroots, joint …), not a federation',
        ),
      ),
    ]);
  }
  if (target.id === current.org_id) {
    throw new AppError('MEMBERSHIP_TRANSFER_SAME_UNION', [fieldError('body.toOrgId', 'invalid')]);
  }
}

/** Retention is for an active member and needs its reason; withdrawal for any open membership. */
export function checkRequest(
  kind: 'retain' | 'withdraw',
  reasonCode: RetentionReason | undefined,
  membership: Pick<MembershipTable, 'status'>,
): void {
  if (kind === 'retain' && !reasonCode) throw AppError.invalid('body.reasonCode', 'required');
  if (kind === 'withdraw' && reasonCode) {
    throw AppError.invalid(
      'body.reasonCode',
      'invalid',
      t('退会申请无需选择保留原因', 'only retention takes a reason code'),
    );
  }
  if (kind === 'retain' && membership.status !== 'active') {
    throw new AppError('MEMBERSHIP_STATUS_NOT_ALLOWED', [
      fieldError('body.kind', 'invalid', t('会籍已是保留状态', 'The membership is retained already')),
    ]);
  }
}

/**
 * Checks of a dues or activity record before any row is read: dues name a month not after
 * this one, activities a title; the day is not in the future.
 */
export function checkActivityRecord(
  input: { kind: 'dues' | 'activity'; month?: string | undefined; title?: string | undefined; occurredOn: string },
  today: string,
): void {
  if (input.occurredOn > today) {
    throw AppError.invalid('body.occurredOn', 'too_big', t('日期不能晚于今天', 'The day cannot be in the future'));
  }
  if (input.kind === 'dues') {
    if (!input.month) throw AppError.invalid('body.month', 'required');
    if (input.month > today.slice(0, 7)) {
      throw AppError.invalid(
        'body.month',
        'too_big',
        t('不能登记未来月份的会费', 'Dues cannot be recorded for a future month'),
      );
    }
    if (input.title) throw AppError.invalid('body.title', 'invalid', t('会费无需填写活动名称', 'dues take no title'));
  } else {
    if (!input.title) throw AppError.invalid('body.title', 'required');
    if (input.month) throw AppError.invalid('body.month', 'invalid', t('活动无需填写月份', 'activities take no month'));
  }
}

/** Retained members pay no dues (DOMAIN §3.2): their dues are not recorded. */
export function duesAllowed(m: Pick<MembershipTable, 'status'>): boolean {
  return m.status === 'active';
}
