import type { ModelWorkerLevel } from '@zhgh/contracts';
import { AppError, fieldError } from '../../core/app-error.ts';

/**
 * Generated certificate numbers: the level's letter (N national, P provincial, C city), the
 * year awarded, a dash and a five-digit sequence within that level and year: `P2024-00017`.
 * A number a cadre typed is kept as typed; generation skips any that is taken.
 */
const LEVEL_LETTER: Record<ModelWorkerLevel, string> = { national: 'N', provincial: 'P', city: 'C' };

export function certificatePrefix(level: ModelWorkerLevel, year: number): string {
  return `${LEVEL_LETTER[level]}${year}-`;
}

export function formatCertificateNo(prefix: string, seq: number): string {
  return `${prefix}${String(seq).padStart(5, '0')}`;
}

/** The sequence of a generated number with this prefix, or 0 when it is not one. */
export function certificateSeq(prefix: string, no: string | undefined): number {
  if (!no?.startsWith(prefix)) return 0;
  const rest = no.slice(prefix.length);
  return /^\d{1,9}$/.test(rest) ? Number(rest) : 0;
}

export function awardTaken(): AppError {
  return new AppError('MODEL_WORKER_AWARD_TAKEN', [
    fieldError('body.yearAwarded', 'invalid', {
      'zh-CN': '此人在该年度已登记过同一类别、同一级别的荣誉',
      en: 'This person already has an honour of this category and level in this year',
    }),
  ]);
}

export function certificateTaken(): AppError {
  return new AppError('MODEL_WORKER_CERTIFICATE_TAKEN', [
    fieldError('body.certificateNo', 'invalid', {
      'zh-CN': '该证书编号已被其他荣誉使用',
      en: 'This certificate number belongs to another honour',
    }),
  ]);
}

export function nameMismatch(): AppError {
  return AppError.invalid('body.name', 'invalid', {
    'zh-CN': '姓名与该身份证号已登记的姓名不一致',
    en: 'The name differs from the one on record for this ID number',
  });
}

export function honorState(kept: boolean): AppError {
  return new AppError('MODEL_WORKER_HONOR_STATE', undefined, kept ? 'honour is kept' : 'honour is revoked');
}
