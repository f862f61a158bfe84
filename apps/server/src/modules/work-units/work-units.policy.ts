import {
  type CreditCodeProblem,
  FOUNDING_REQUIRED_MIN_EMPLOYEES,
  type OrgType,
  UNIT_UNION_TYPES,
} from '@zhgh/contracts';
import { AppError } from '../../core/app-error.ts';
import type { OrganizationTable, WorkUnitTable } from '../../db/schema.ts';

/**
 * Rules for work units (DOMAIN §3.1):
 * - a unit of FOUNDING_REQUIRED_MIN_EMPLOYEES or more employees must found a union (应建尽建);
 * - the union covering a unit is an active grassroots or joint union;
 * - a credit code passes GB 32100 and belongs to one unit;
 * - a unit's founding date is not in the future.
 * (That the organizations named lie in the actor's scope is the scope helper's check.)
 */

/** 应建尽建: the threshold is the policy constant statistics count with too. */
export function foundingRequired(unit: Pick<WorkUnitTable, 'employee_count'>): boolean {
  return unit.employee_count >= FOUNDING_REQUIRED_MIN_EMPLOYEES;
}

export function checkUnion(union: Pick<OrganizationTable, 'type' | 'status'>, field: string): void {
  if (!(UNIT_UNION_TYPES as readonly OrgType[]).includes(union.type as OrgType)) {
    throw AppError.invalid(field, 'invalid', {
      'zh-CN': '覆盖单位的工会必须是基层工会或联合基层工会',
      en: 'The union covering a unit must be a grassroots or joint union',
    });
  }
  if (union.status !== 'active') throw new AppError('ORG_NOT_ACTIVE');
}

const CREDIT_CODE_PROBLEMS: Record<CreditCodeProblem, { 'zh-CN': string; en: string }> = {
  empty: { 'zh-CN': '统一社会信用代码为空', en: 'The unified social credit code is empty' },
  length: { 'zh-CN': '统一社会信用代码应为 18 位', en: 'A unified social credit code has 18 characters' },
  format: {
    'zh-CN': '统一社会信用代码含有不允许的字符（不使用 I、O、S、V、Z），或第 3–8 位不是行政区划代码',
    en: 'The code has characters outside the GB 32100 alphabet (no I, O, S, V, Z) or no 6-digit region code at positions 3–8',
  },
  checksum: {
    'zh-CN': '统一社会信用代码校验位不正确，请核对',
    en: 'The check character does not match (GB 32100); check the code',
  },
};

export function creditCodeProblem(field: string, problem: CreditCodeProblem): AppError {
  return AppError.invalid(field, problem === 'checksum' ? 'invalid' : 'format', CREDIT_CODE_PROBLEMS[problem]);
}

export function checkFoundedOn(foundedOn: string | null | undefined, today: string, field: string): void {
  if (foundedOn && foundedOn > today) {
    throw AppError.invalid(field, 'too_big', {
      'zh-CN': '成立日期不能晚于今天',
      en: 'The founding date cannot be in the future',
    });
  }
}

/** The credit code belongs to another unit; named only when the actor may see that unit. */
export function creditCodeTaken(field: string, existing: Pick<WorkUnitTable, 'name'> | null): AppError {
  return new AppError('WORK_UNIT_CREDIT_CODE_TAKEN', [
    {
      field,
      rule: 'invalid',
      message: existing
        ? {
            'zh-CN': `该统一社会信用代码已登记给「${existing.name}」`,
            en: `This code is already registered to "${existing.name}"`,
          }
        : {
            'zh-CN': '该统一社会信用代码已登记给其他单位',
            en: 'This code is already registered to another unit',
          },
    },
  ]);
}
