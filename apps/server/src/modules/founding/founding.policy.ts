import type { FieldError } from '@zhgh/contracts';
import { fieldError } from '../../core/app-error.ts';

/**
 * The rules of union founding (网上建会), as the rulebook states them. Pure functions: the
 * service and the workflow definition call them, the unit tests read them.
 */

const t = (zh: string, en: string) => ({ 'zh-CN': zh, en });

/** Working days each step may take (the engine sets `due_at` on entering the step). */
export const FOUNDING_DEADLINES = {
  /** The higher union reviews the application and the business licence. */
  applicationReview: 10,
  /** The workplace prepares and files its member-assembly request. */
  preparing: 30,
  /** The higher union reviews the assembly request. */
  assemblyReview: 5,
  /** The workplace holds the assembly and files the election results. */
  electing: 30,
  /** The higher union reviews the results; approving them founds the union. */
  resultsReview: 10,
  /** The union above decides an appeal. */
  appealReview: 15,
} as const;

/** The kinds of union that may handle a founding: the grassroots union is created below it. */
export const HANDLING_TYPES = ['federation', 'township', 'joint', 'industry'] as const;
/** Kinds an applicant may choose instead of the default (a federation is the default, not a choice). */
export const CHOOSABLE_TYPES = ['township', 'joint', 'industry'] as const;

/** A union that might handle a founding, as routing sees it. */
export interface HandlerCandidate {
  id: string;
  name: string;
  type: string;
  region_code: string | null;
  depth: number;
}

/**
 * The region codes from the unit's own up to its province, nearest first (GB/T 2260: a county
 * `610113` lies in the city `610100` in the province `610000`). Municipalities' districts and
 * a city code itself yield fewer distinct levels.
 */
export function regionChain(regionCode: string): string[] {
  const chain = [regionCode, `${regionCode.slice(0, 4)}00`, `${regionCode.slice(0, 2)}0000`];
  return [...new Set(chain)];
}

/**
 * Where a founding goes when the applicant chooses nothing: the nearest union by region code —
 * the first level of the unit's region chain that has a federation, township or joint union,
 * and there the federation (the county federation of the unit's region: a township union is
 * per street, which a county code cannot tell apart), else its township or joint union nearest
 * the root of the tree, by name. Industry unions are chosen, never defaulted to.
 */
export function defaultHandler(regionCode: string, candidates: readonly HandlerCandidate[]): HandlerCandidate | null {
  for (const code of regionChain(regionCode)) {
    const here = candidates.filter((c) => c.region_code === code && c.type !== 'industry');
    if (here.length === 0) continue;
    const rank = (c: HandlerCandidate) => (c.type === 'federation' ? 0 : 1);
    return [...here].sort(
      (a, b) =>
        rank(a) - rank(b) || a.depth - b.depth || a.name.localeCompare(b.name, 'zh-CN') || (a.id < b.id ? -1 : 1),
    )[0]!;
  }
  return null;
}

/** The township, joint and industry unions of the unit's region chain an applicant may choose. */
export function choosableHandlers(regionCode: string, candidates: readonly HandlerCandidate[]): HandlerCandidate[] {
  const chain = regionChain(regionCode);
  return candidates
    .filter((c) => (CHOOSABLE_TYPES as readonly string[]).includes(c.type) && chain.includes(c.region_code ?? ''))
    .sort(
      (a, b) => chain.indexOf(a.region_code!) - chain.indexOf(b.region_code!) || a.name.localeCompare(b.name, 'zh-CN'),
    );
}

/**
 * The handling union of an application: the chosen one when it is a township, joint or
 * industry union of the unit's region chain (else `chosen` is the problem), or the default.
 */
export function routeFounding(
  regionCode: string,
  candidates: readonly HandlerCandidate[],
  chosenId?: string,
): { handler: HandlerCandidate } | { problem: 'chosen' | 'none' } {
  if (chosenId !== undefined) {
    const chosen = choosableHandlers(regionCode, candidates).find((c) => c.id === chosenId);
    return chosen ? { handler: chosen } : { problem: 'chosen' };
  }
  const handler = defaultHandler(regionCode, candidates);
  return handler ? { handler } : { problem: 'none' };
}

/**
 * Committee seats by members (《工会基层组织选举工作条例》: under 25 members 3–5 seats, or a
 * chair or organizer alone; 25–200: 3–7; 201–1,000: 7–15; 1,001–5,000: 15–21; 5,001–10,000:
 * 21–29; 10,001–50,000: 29–37; above: 37–45).
 */
export const COMMITTEE_SEATS: readonly { upTo: number; min: number; max: number }[] = [
  { upTo: 24, min: 1, max: 5 },
  { upTo: 200, min: 3, max: 7 },
  { upTo: 1_000, min: 7, max: 15 },
  { upTo: 5_000, min: 15, max: 21 },
  { upTo: 10_000, min: 21, max: 29 },
  { upTo: 50_000, min: 29, max: 37 },
  { upTo: Number.MAX_SAFE_INTEGER, min: 37, max: 45 },
];

export function committeeSeats(members: number): { min: number; max: number } {
  const band = COMMITTEE_SEATS.find((b) => members <= b.upTo)!;
  return { min: band.min, max: band.max };
}

export interface AssemblyRequest {
  assemblyDate: string;
  expectedMembers: number;
  candidates: readonly string[];
}

export interface ElectionResults {
  electedOn: string;
  chairName: string;
  viceChairNames: readonly string[];
  committeeNames: readonly string[];
  memberCount: number;
}

/** What is wrong with an assembly request (field paths under `field`); empty when nothing. */
export function assemblyProblems(a: AssemblyRequest, employees: number, today: string, field: string): FieldError[] {
  const out: FieldError[] = [];
  if (a.assemblyDate < today) {
    out.push(
      fieldError(
        `${field}.assemblyDate`,
        'too_small',
        t('会员大会日期不能早于今天', 'The assembly cannot be in the past'),
      ),
    );
  }
  if (a.expectedMembers > employees) {
    out.push(
      fieldError(
        `${field}.expectedMembers`,
        'too_big',
        t(`参会会员不能多于职工人数（${employees} 人）`, `At most the ${employees} employees can attend`),
      ),
    );
  }
  if (new Set(a.candidates).size !== a.candidates.length) {
    out.push(fieldError(`${field}.candidates`, 'invalid', t('候选人名单有重复', 'A candidate is listed twice')));
  }
  return out;
}

/** What is wrong with election results (field paths under `field`); empty when nothing. */
export function electionProblems(e: ElectionResults, employees: number, today: string, field: string): FieldError[] {
  const out: FieldError[] = [];
  if (e.electedOn > today) {
    out.push(
      fieldError(`${field}.electedOn`, 'too_big', t('选举日期不能晚于今天', 'The election cannot be in the future')),
    );
  }
  if (e.memberCount > employees) {
    out.push(
      fieldError(
        `${field}.memberCount`,
        'too_big',
        t(`会员人数不能多于职工人数（${employees} 人）`, `At most the ${employees} employees can be members`),
      ),
    );
  }
  const committee = new Set(e.committeeNames);
  if (committee.size !== e.committeeNames.length) {
    out.push(
      fieldError(`${field}.committeeNames`, 'invalid', t('委员名单有重复', 'A committee member is listed twice')),
    );
  }
  const officers = [e.chairName, ...e.viceChairNames];
  if (new Set(officers).size !== officers.length) {
    out.push(
      fieldError(
        `${field}.viceChairNames`,
        'invalid',
        t('主席、副主席不能重复', 'The chair and vice chairs must be different people'),
      ),
    );
  }
  const outside = officers.filter((n) => !committee.has(n));
  if (outside.length > 0) {
    out.push(
      fieldError(
        `${field}.committeeNames`,
        'invalid',
        t(
          `主席、副主席须为委员：${outside.join('、')} 不在委员名单中`,
          `The chair and vice chairs sit on the committee: ${outside.join(', ')} missing`,
        ),
      ),
    );
  }
  const seats = committeeSeats(e.memberCount);
  if (e.committeeNames.length < seats.min || e.committeeNames.length > seats.max) {
    out.push(
      fieldError(
        `${field}.committeeNames`,
        e.committeeNames.length < seats.min ? 'too_small' : 'too_big',
        t(
          `会员 ${e.memberCount} 人的工会委员会设委员 ${seats.min}–${seats.max} 人`,
          `A union of ${e.memberCount} members elects ${seats.min}–${seats.max} committee members`,
        ),
      ),
    );
  }
  return out;
}

/** The name the founded grassroots union takes: the workplace's name and 工会委员会. */
export function unionNameFor(unitName: string): string {
  return unitName.endsWith('工会委员会') ? unitName : `${unitName}工会委员会`;
}
