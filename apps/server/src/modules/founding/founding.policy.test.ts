import { describe, expect, it } from 'vitest';
import { definitionProblems } from '../../core/workflow/definition.ts';
import {
  assemblyProblems,
  choosableHandlers,
  committeeSeats,
  defaultHandler,
  electionProblems,
  type HandlerCandidate,
  regionChain,
  routeFounding,
  unionNameFor,
} from './founding.policy.ts';
import { foundingDefinition } from './founding.workflow.ts';

const org = (id: string, type: string, region: string | null, depth: number, name = id): HandlerCandidate => ({
  id,
  name,
  type,
  region_code: region,
  depth,
});

// A province, its capital city, one county with two townships, an industry union of the city.
const province = org('p', 'federation', '610000', 0, '陕西省总工会');
const city = org('c', 'federation', '610100', 1, '西安市总工会');
const county = org('y', 'federation', '610113', 2, '雁塔区总工会');
const townB = org('tb', 'township', '610113', 3, '丈八街道工会');
const townA = org('ta', 'township', '610113', 3, '电子城街道工会');
const industry = org('i', 'industry', '610100', 2, '西安市教育工会');
const all = [province, city, county, townB, townA, industry];

describe('routing a founding', () => {
  it('walks the region chain from the county up to the province', () => {
    expect(regionChain('610113')).toEqual(['610113', '610100', '610000']);
    expect(regionChain('610100')).toEqual(['610100', '610000']);
    expect(regionChain('610000')).toEqual(['610000']);
  });

  it('defaults to the federation of the nearest region that has a handling union', () => {
    expect(defaultHandler('610113', all)).toBe(county);
    // No union at the county: the city federation is the nearest.
    expect(defaultHandler('610112', all)).toBe(city);
    // Nothing anywhere on the chain.
    expect(defaultHandler('620102', all)).toBeNull();
  });

  it('takes a township or joint union of the region when it has no federation, never an industry union', () => {
    const withoutCounty = all.filter((c) => c !== county);
    // Both townships are at the county's code, at the same depth: by name, so always the same one.
    expect(defaultHandler('610113', withoutCounty)?.id).toBe(
      [townA, townB].sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'))[0]!.id,
    );
    expect(defaultHandler('610100', [industry])).toBeNull();
  });

  it('lets the applicant choose a township, joint or industry union of the region chain, nearest first', () => {
    expect(choosableHandlers('610113', all).map((c) => c.id)).toEqual(
      [...[townA, townB].sort((a, b) => a.name.localeCompare(b.name, 'zh-CN')), industry].map((c) => c.id),
    );
    expect(routeFounding('610113', all, 'i')).toEqual({ handler: industry });
    expect(routeFounding('610113', all)).toEqual({ handler: county });
  });

  it('refuses a choice outside the region chain or of a federation', () => {
    const far = org('far', 'township', '620102', 3);
    expect(routeFounding('610113', [...all, far], 'far')).toEqual({ problem: 'chosen' });
    expect(routeFounding('610113', all, 'y')).toEqual({ problem: 'chosen' });
    expect(routeFounding('610113', all, 'missing')).toEqual({ problem: 'chosen' });
    expect(routeFounding('620102', all)).toEqual({ problem: 'none' });
  });
});

describe('the assembly request', () => {
  const ok = { assemblyDate: '2026-05-10', expectedMembers: 40, candidates: ['张三', '李四', '王五'] };
  it('passes a request in the future with no more members than employees', () => {
    expect(assemblyProblems(ok, 50, '2026-05-01', 'body.assembly')).toEqual([]);
  });
  it('names every problem by its field', () => {
    const problems = assemblyProblems(
      { assemblyDate: '2026-04-01', expectedMembers: 60, candidates: ['张三', '张三'] },
      50,
      '2026-05-01',
      'body.assembly',
    );
    expect(problems.map((p) => [p.field, p.rule])).toEqual([
      ['body.assembly.assemblyDate', 'too_small'],
      ['body.assembly.expectedMembers', 'too_big'],
      ['body.assembly.candidates', 'invalid'],
    ]);
  });
});

describe('the election results', () => {
  const ok = {
    electedOn: '2026-05-20',
    chairName: '张三',
    viceChairNames: ['李四'],
    committeeNames: ['张三', '李四', '王五'],
    memberCount: 40,
  };
  it('passes results whose officers sit on a committee of the right size', () => {
    expect(electionProblems(ok, 50, '2026-05-21', 'body.election')).toEqual([]);
  });
  it('sizes the committee by the members (工会基层组织选举工作条例)', () => {
    expect(committeeSeats(10)).toEqual({ min: 1, max: 5 });
    expect(committeeSeats(25)).toEqual({ min: 3, max: 7 });
    expect(committeeSeats(200)).toEqual({ min: 3, max: 7 });
    expect(committeeSeats(201)).toEqual({ min: 7, max: 15 });
    expect(committeeSeats(60_000)).toEqual({ min: 37, max: 45 });
    // A small union may elect its chair alone.
    expect(
      electionProblems(
        { ...ok, viceChairNames: [], committeeNames: ['张三'], memberCount: 8 },
        10,
        '2026-05-21',
        'body.election',
      ),
    ).toEqual([]);
  });
  it('names every problem by its field', () => {
    const problems = electionProblems(
      {
        electedOn: '2026-06-01',
        chairName: '赵六',
        viceChairNames: ['赵六'],
        committeeNames: ['张三'],
        memberCount: 60,
      },
      50,
      '2026-05-21',
      'body.election',
    );
    expect(problems.map((p) => [p.field, p.rule])).toEqual([
      ['body.election.electedOn', 'too_big'],
      ['body.election.memberCount', 'too_big'],
      ['body.election.viceChairNames', 'invalid'],
      ['body.election.committeeNames', 'invalid'],
      ['body.election.committeeNames', 'too_small'],
    ]);
  });
});

describe('the definition', () => {
  it('is valid on the engine: every state reachable, every review with a way out, rejections with reasons', () => {
    expect(definitionProblems(foundingDefinition({ found: async () => {} }))).toEqual([]);
  });
  it('names the union after the workplace', () => {
    expect(unionNameFor('西安某某科技有限公司')).toBe('西安某某科技有限公司工会委员会');
    expect(unionNameFor('某某工会委员会')).toBe('某某工会委员会');
  });
});
