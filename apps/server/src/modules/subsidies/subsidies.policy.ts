import type { FieldError } from '@zhgh/contracts';
import { fieldError } from '../../core/app-error.ts';
import type { ModelWorkerTable, PersonTable, SubsidyKind, SubsidyPolicyTable } from '../../db/schema.ts';

/**
 * The subsidy rules as the seed states them (Xi'an's 市级劳模专项补助资金管理暂行办法, in force
 * from 2019-01-01 for five years), and who is eligible.
 *
 * "City model workers" (市级劳模): the fund is the city's own, "专项用于本市市级劳模", while
 * national and provincial model workers are looked after by the national and provincial funds
 * the rules were modelled on. So only registry entries of category `model_worker` and level
 * `city`, living and keeping the honour, count; a national model worker who is also a city
 * model worker has a city entry of their own.
 */

/** The seed's period: from 2019-01-01, five years. */
export const SEED_PERIOD = { from: '2019-01-01', to: '2023-12-31' } as const;
/** The renewal the demo needs to pay in 2026: the same amounts from 2024-01-01, open-ended. */
export const RENEWAL_FROM = '2024-01-01';
/** Days of public notice; the seed names none, five is the common practice of the unions. */
export const DEFAULT_NOTICE_DAYS = 5;

export type PolicyRule = Pick<
  SubsidyPolicyTable,
  'kind' | 'amount_min_fen' | 'amount_max_fen' | 'men_min_age' | 'women_min_age' | 'times_per_year' | 'notice_days'
>;

/** The seed's amounts per kind (fen) and the farmer allowance's ages. */
export const SEED_RULES: Record<SubsidyKind, PolicyRule> = {
  // ¥300 per person per year (New Year + Spring Festival).
  festival: {
    kind: 'festival',
    amount_min_fen: 30_000,
    amount_max_fen: 30_000,
    men_min_age: null,
    women_min_age: null,
    times_per_year: 1,
    notice_days: DEFAULT_NOTICE_DAYS,
  },
  // ¥1,000–5,000 per time, once a year.
  hardship: {
    kind: 'hardship',
    amount_min_fen: 100_000,
    amount_max_fen: 500_000,
    men_min_age: null,
    women_min_age: null,
    times_per_year: 1,
    notice_days: DEFAULT_NOTICE_DAYS,
  },
  // ¥2,000 per person per year; men ≥ 60, women ≥ 55, or lost work capacity.
  farmer: {
    kind: 'farmer',
    amount_min_fen: 200_000,
    amount_max_fen: 200_000,
    men_min_age: 60,
    women_min_age: 55,
    times_per_year: 1,
    notice_days: DEFAULT_NOTICE_DAYS,
  },
};

/** The built-in versions: the seed period and its renewal. */
export function seedVersions(kind: SubsidyKind): { from: string; to: string | null; rule: PolicyRule }[] {
  return [
    { from: SEED_PERIOD.from, to: SEED_PERIOD.to, rule: SEED_RULES[kind] },
    { from: RENEWAL_FROM, to: null, rule: SEED_RULES[kind] },
  ];
}

/** Full years of age on `onDate` (both YYYY-MM-DD): the birthday itself counts. */
export function ageOn(birthDate: string, onDate: string): number {
  const [by, bm, bd] = birthDate.split('-').map(Number) as [number, number, number];
  const [y, m, d] = onDate.split('-').map(Number) as [number, number, number];
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}

/** Whether a rule version is in force on a date. */
export const inForce = (p: Pick<SubsidyPolicyTable, 'effective_from' | 'effective_to'>, date: string) =>
  p.effective_from <= date && (p.effective_to === null || p.effective_to >= date);

const t = (zh: string, en: string) => ({ 'zh-CN': zh, en });

/**
 * Why a registry entry may not receive a kind on a date; empty when it may. Pure, so the
 * farmer age boundary is unit-tested without a database.
 */
export function eligibilityProblems(
  kind: SubsidyKind,
  worker: Pick<
    ModelWorkerTable,
    'category' | 'level' | 'honor_status' | 'deceased_on' | 'farmer' | 'lost_work_capacity'
  >,
  person: Pick<PersonTable, 'gender' | 'birth_date'>,
  rule: Pick<PolicyRule, 'men_min_age' | 'women_min_age'>,
  onDate: string,
): FieldError[] {
  const problems: FieldError[] = [];
  if (worker.category !== 'model_worker' || worker.level !== 'city') {
    problems.push(fieldError('modelWorker.level', 'invalid', t('仅限市级劳模', 'for city model workers only')));
  }
  if (worker.deceased_on !== null) {
    problems.push(
      fieldError('modelWorker.deceasedOn', 'invalid', t('仅限健在的劳模', 'for living model workers only')),
    );
  }
  if (worker.honor_status !== 'kept') {
    problems.push(fieldError('modelWorker.honorStatus', 'invalid', t('劳模荣誉已撤销', 'the honour was revoked')));
  }
  if (kind === 'farmer') {
    if (worker.farmer !== 1) {
      problems.push(fieldError('modelWorker.farmer', 'invalid', t('仅限农民劳模', 'for farmer model workers only')));
    } else if (worker.lost_work_capacity !== 1) {
      const min = person.gender === 'male' ? rule.men_min_age : rule.women_min_age;
      if (min !== null && ageOn(person.birth_date, onDate) < min) {
        problems.push(
          fieldError(
            'person.birthDate',
            'too_small',
            t(
              `须${person.gender === 'male' ? '男' : '女'}满 ${min} 周岁或丧失劳动能力`,
              `${person.gender === 'male' ? 'men' : 'women'} from ${min}, or lost work capacity`,
            ),
          ),
        );
      }
    }
  }
  return problems;
}
