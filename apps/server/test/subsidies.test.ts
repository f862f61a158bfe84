import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { SYSTEM_ACTOR } from '../src/core/actor.ts';
import { localDate } from '../src/core/calendar.ts';
import { newId } from '../src/core/ids.ts';
import type { OrganizationTable } from '../src/db/schema.ts';
import { ageOn, eligibilityProblems, SEED_RULES } from '../src/modules/subsidies/subsidies.policy.ts';
import { type Agent, agent, errorOf, makeRole, makeUser, postMultipart, signIn, type TestUser } from './factories.ts';
import { createTestApp, createTestClock } from './harness.ts';
import { fundBudget, makeCityTree, makeModelWorker, resultFile } from './subsidies-fixtures.ts';

const sys = { actor: SYSTEM_ACTOR };
const clock = createTestClock();
let t: Awaited<ReturnType<typeof createTestApp>>;
let app: FastifyInstance;
let tree: Awaited<ReturnType<typeof makeCityTree>>;
/** subsidy.review at the county (covers its grassroots unions). */
let reviewer: Agent;
/** finance.pay at the city federation. */
let finance: Agent;
/** subsidy.policy at the city federation. */
let policyMaker: Agent;
/** subsidy.review at the sibling county: everything of the home county is out of its scope. */
let stranger: Agent;
/** Signed in, no grants. */
let nobody: Agent;
let year: number;

type App = {
  id: string;
  state: string;
  version: number;
  award: { id: string; status: string; amountFen: number | null } | null;
  actions: { action: string }[];
};

const pdf = (name: string) => ({ filename: name, content: Buffer.from('%PDF-1.4'), contentType: 'application/pdf' });

const users = new Map<string, TestUser>();
async function cadre(permissions: string[], at: OrganizationTable, name?: string) {
  const role = await makeRole(app, permissions);
  const who = await makeUser(app, { org: at, roles: [role.code], totp: true });
  if (name) users.set(name, who);
  return signIn(app, who);
}

/** Moving the clock by days ends every session (idle and absolute limits): sign in again. */
async function advanceDays(days: number) {
  clock.advance(days * 86_400_000);
  reviewer = await signIn(app, users.get('reviewer')!);
  finance = await signIn(app, users.get('finance')!);
  policyMaker = await signIn(app, users.get('policyMaker')!);
  stranger = await signIn(app, users.get('stranger')!);
  nobody = await signIn(app, users.get('nobody')!);
}

async function memberAgent(w: Awaited<ReturnType<typeof makeModelWorker>>) {
  return signIn(app, w.user!);
}

/** A hardship application by the model worker on the portal, with its diagnosis and bills. */
async function applyHardship(w: Awaited<ReturnType<typeof makeModelWorker>>, amount = 300_000) {
  const me = await memberAgent(w);
  const res = await me.post('/api/subsidies/applications', {
    kind: 'hardship',
    cause: 'serious_illness_self',
    requestedAmountFen: amount,
    description: '本人住院治疗，自付费用较高',
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const a = res.json<App>();
  for (const kind of ['diagnosis', 'bills']) {
    const up = await postMultipart(me, `/api/workflow/instances/${a.id}/attachments`, {
      kind,
      file: pdf(`${kind}.pdf`),
    });
    expect(up.status).toBe(201);
  }
  return { me, application: a };
}

async function step(a: Agent, id: string, body: Record<string, unknown>) {
  return a.post(`/api/subsidies/applications/${id}/steps`, body);
}

/** Survey → notice → (period over) → plan. */
async function throughNotice(id: string, amount?: number) {
  const v = await step(reviewer, id, {
    action: 'verify',
    surveyFindings: '入户调查属实，自付医疗费用 3.2 万元',
    ...(amount ? { approvedAmountFen: amount } : {}),
  });
  expect(v.status, JSON.stringify(v.body)).toBe(200);
  expect(v.json<App>().state).toBe('notice');
  await advanceDays(6);
  const p = await step(reviewer, id, { action: 'pass' });
  expect(p.status, JSON.stringify(p.body)).toBe(200);
  expect(p.json<App>().state).toBe('plan');
}

async function transferCount(key: string) {
  const r = await app.core.db
    .selectFrom('ledger_transfer')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('idempotency_key', '=', key)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

async function linesOf(batchId: string) {
  return (await app.services.payouts.getBatch(sys, batchId)).lines;
}

beforeAll(async () => {
  t = await createTestApp({}, { now: clock.now, runJobs: false });
  app = t.app;
  year = Number(localDate(clock.now()).slice(0, 4));
  tree = await makeCityTree(app);
  reviewer = await cadre(['subsidy.review'], tree.county, 'reviewer');
  finance = await cadre(['finance.pay', 'finance.read', 'subsidy.review'], tree.city, 'finance');
  policyMaker = await cadre(['subsidy.policy', 'subsidy.review'], tree.city, 'policyMaker');
  stranger = await cadre(['subsidy.review', 'subsidy.policy', 'finance.pay'], tree.sibling, 'stranger');
  users.set('nobody', await makeUser(app, { org: tree.county }));
  nobody = await signIn(app, users.get('nobody')!);
  await fundBudget(app, tree.city, 10_000_000);
});
afterAll(async () => t.close());

describe('eligibility rules (unit)', () => {
  const farmer = {
    category: 'model_worker' as const,
    level: 'city' as const,
    honor_status: 'kept' as const,
    deceased_on: null,
    farmer: 1,
    lost_work_capacity: 0,
  };
  const rule = SEED_RULES.farmer;
  it('counts full years: the birthday itself counts', () => {
    expect(ageOn('1966-06-15', '2026-06-14')).toBe(59);
    expect(ageOn('1966-06-15', '2026-06-15')).toBe(60);
  });
  it('farmer allowance: men from 60, women from 55, or lost work capacity', () => {
    const man = (birth: string) => ({ gender: 'male' as const, birth_date: birth });
    const woman = (birth: string) => ({ gender: 'female' as const, birth_date: birth });
    expect(eligibilityProblems('farmer', farmer, man('1966-06-16'), rule, '2026-06-15')).toHaveLength(1); // 59
    expect(eligibilityProblems('farmer', farmer, man('1966-06-15'), rule, '2026-06-15')).toEqual([]); // 60
    expect(eligibilityProblems('farmer', farmer, woman('1971-06-16'), rule, '2026-06-15')).toHaveLength(1); // 54
    expect(eligibilityProblems('farmer', farmer, woman('1971-06-15'), rule, '2026-06-15')).toEqual([]); // 55
    expect(
      eligibilityProblems('farmer', { ...farmer, lost_work_capacity: 1 }, man('1990-01-01'), rule, '2026-06-15'),
    ).toEqual([]);
    expect(eligibilityProblems('farmer', { ...farmer, farmer: 0 }, man('1950-01-01'), rule, '2026-06-15')).toHaveLength(
      1,
    );
  });
  it('only living city model workers who keep the honour', () => {
    const p = { gender: 'male' as const, birth_date: '1970-01-01' };
    expect(eligibilityProblems('hardship', { ...farmer, level: 'provincial' }, p, rule, '2026-01-01')).toHaveLength(1);
    expect(
      eligibilityProblems('hardship', { ...farmer, deceased_on: '2025-01-01' }, p, rule, '2026-01-01'),
    ).toHaveLength(1);
    expect(eligibilityProblems('hardship', { ...farmer, honor_status: 'revoked' }, p, rule, '2026-01-01')).toHaveLength(
      1,
    );
  });
});

describe('applications', () => {
  it('requires authentication', async () => {
    const res = await agent(app).post('/api/subsidies/applications', { kind: 'hardship' });
    expect(res.status).toBe(401);
  });

  it('asks a member to bind their real-name record first', async () => {
    const member = await signIn(app, await makeUser(app, { kind: 'member' }));
    const res = await member.post('/api/subsidies/applications', { kind: 'farmer' });
    expect(errorOf(res)).toMatchObject({ status: 409, code: 'SUBSIDY_PERSON_NOT_BOUND' });
    expect(errorOf(await member.get('/api/subsidies/mine')).code).toBe('SUBSIDY_PERSON_NOT_BOUND');
  });

  it('refuses bad input with the field named', async () => {
    const w = await makeModelWorker(app, { org: tree.grassroots, registryOrg: tree.city, account: true });
    const me = await memberAgent(w);
    expect(errorOf(await me.post('/api/subsidies/applications', { kind: 'bonus' }))).toMatchObject({
      status: 400,
      fields: ['body.kind'],
    });
    expect(
      errorOf(
        await me.post('/api/subsidies/applications', {
          kind: 'hardship',
          cause: 'unemployment',
          requestedAmountFen: 600_000,
        }),
      ),
    ).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: ['body.requestedAmountFen'] });
    expect(
      errorOf(await me.post('/api/subsidies/applications', { kind: 'hardship', requestedAmountFen: 200_000 })),
    ).toMatchObject({ status: 400, fields: ['body.cause'] });
  });

  it('refuses those the rules leave out: too young a farmer, a provincial model worker, a revoked honour', async () => {
    const young = await makeModelWorker(app, {
      org: tree.grassroots,
      farmer: true,
      birthDate: `${year - 59}-01-01`,
      account: true,
    });
    const res = await (await memberAgent(young)).post('/api/subsidies/applications', { kind: 'farmer' });
    expect(errorOf(res)).toMatchObject({ status: 409, code: 'SUBSIDY_NOT_ELIGIBLE', fields: ['person.birthDate'] });
    const provincial = await makeModelWorker(app, { org: tree.grassroots, level: 'provincial', account: true });
    const p = await (
      await memberAgent(provincial)
    ).post('/api/subsidies/applications', {
      kind: 'hardship',
      cause: 'unemployment',
      requestedAmountFen: 100_000,
    });
    expect(errorOf(p)).toMatchObject({ code: 'SUBSIDY_NOT_ELIGIBLE', fields: ['modelWorker.level'] });
    const revoked = await makeModelWorker(app, { org: tree.grassroots, honor: 'revoked', account: true });
    const r = await (
      await memberAgent(revoked)
    ).post('/api/subsidies/applications', {
      kind: 'hardship',
      cause: 'unemployment',
      requestedAmountFen: 100_000,
    });
    expect(errorOf(r).fields).toEqual(['modelWorker.honorStatus']);
  });

  it('a union applies for a model worker in its scope; outside it the person does not exist', async () => {
    const w = await makeModelWorker(app, { org: tree.grassroots, farmer: true, birthDate: '1950-03-01' });
    const out = await stranger.post('/api/subsidies/applications', { kind: 'farmer', personId: w.personId });
    expect(out.status).toBe(404);
    const res = await reviewer.post('/api/subsidies/applications', { kind: 'farmer', personId: w.personId });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.json<App>().state).toBe('survey');
  });

  it('at most once a year: an open application refuses a second one', async () => {
    const w = await makeModelWorker(app, { org: tree.grassroots, account: true });
    await applyHardship(w);
    const again = await (
      await memberAgent(w)
    ).post('/api/subsidies/applications', {
      kind: 'hardship',
      cause: 'unemployment',
      requestedAmountFen: 100_000,
    });
    expect(errorOf(again)).toMatchObject({ status: 409, code: 'SUBSIDY_ONCE_PER_YEAR' });
  });

  it('verification needs the survey findings and an amount within the rule; rejection needs a reason', async () => {
    const w = await makeModelWorker(app, { org: tree.grassroots, account: true });
    const { application } = await applyHardship(w);
    expect(
      errorOf(await step(reviewer, application.id, { action: 'verify', approvedAmountFen: 200_000 })),
    ).toMatchObject({ status: 400, fields: ['body.surveyFindings'] });
    expect(
      errorOf(
        await step(reviewer, application.id, { action: 'verify', surveyFindings: '属实', approvedAmountFen: 50_000 }),
      ),
    ).toMatchObject({ status: 400, fields: ['body.approvedAmountFen'] });
    expect(errorOf(await step(reviewer, application.id, { action: 'reject' })).fields).toEqual(['body.comment']);
    expect((await step(stranger, application.id, { action: 'reject', comment: '不属实' })).status).toBe(404);
    expect((await step(nobody, application.id, { action: 'reject', comment: '不属实' })).status).toBe(404);
    const rejected = await step(reviewer, application.id, { action: 'reject', comment: '家庭收入较高，不符合条件' });
    expect(rejected.json<App>().state).toBe('rejected');
    // The applicant appeals to the higher union (the city), which the county no longer handles.
    const me = await memberAgent(w);
    const appeal = await step(me, application.id, { action: 'appeal', comment: '家庭收入计算有误' });
    expect(appeal.json<App>().state).toBe('appealReview');
    // The grassroots union's parent, the county, decides the appeal.
    expect(appeal.json<{ orgId: string }>().orgId).toBe(tree.county.id);
    const denied = await step(reviewer, application.id, { action: 'appealDeny', comment: '复核后维持原决定' });
    expect(denied.json<App>().state).toBe('appealDenied');
  });

  it('the queue lists the applications in scope only, and needs subsidy.review', async () => {
    const w = await makeModelWorker(app, { org: tree.grassroots, account: true });
    const { application } = await applyHardship(w);
    const mine = await reviewer.get('/api/subsidies/applications?pageSize=200&state=survey');
    expect(mine.json<{ items: App[] }>().items.some((i) => i.id === application.id)).toBe(true);
    const theirs = await stranger.get('/api/subsidies/applications?pageSize=200');
    expect(theirs.json<{ items: App[] }>().items.some((i) => i.id === application.id)).toBe(false);
    expect((await stranger.get(`/api/subsidies/applications?orgId=${tree.county.id}`)).status).toBe(404);
    expect((await nobody.get('/api/subsidies/applications')).status).toBe(403);
    expect((await agent(app).get('/api/subsidies/applications')).status).toBe(401);
  });
});

describe('the whole way: apply → survey → notice → plan → bank → paid', () => {
  it('pays a hardship subsidy once, through the ledger, and reports it per county', async () => {
    const w = await makeModelWorker(app, {
      org: tree.grassroots,
      registryOrg: tree.city,
      account: true,
      name: '张劳模',
    });
    const { application } = await applyHardship(w);
    const v = await step(reviewer, application.id, {
      action: 'verify',
      surveyFindings: '入户调查属实',
      approvedAmountFen: 250_000,
    });
    expect(v.json<App>().state).toBe('notice');
    // The board shows the masked name and the proposal; an objection holds the notice.
    const board = await nobody.get(`/api/workflow/notices?orgId=${tree.county.id}&pageSize=200`);
    const notice = board
      .json<{ items: { id: string; instanceId: string; subjectName: string; summary: string }[] }>()
      .items.find((n) => n.instanceId === application.id)!;
    expect(notice.subjectName).toBe('张*模');
    expect(notice.summary).toContain('拟发放特殊困难补助 2500.00 元');
    const objection = await nobody.post(`/api/workflow/notices/${notice.id}/objections`, { reason: '其家庭另有收入' });
    expect(objection.status).toBe(201);
    expect(errorOf(await step(reviewer, application.id, { action: 'pass' })).code).toBe('WORKFLOW_NOTICE_PERIOD_OPEN');
    await advanceDays(6);
    const me = await memberAgent(w);
    expect(errorOf(await step(reviewer, application.id, { action: 'pass' })).code).toBe('WORKFLOW_OBJECTION_PENDING');
    const decided = await reviewer.post(`/api/workflow/objections/${objection.json<{ id: string }>().id}/decision`, {
      decision: 'dismissed',
      reason: '经核实，该收入已计入',
    });
    expect(decided.status).toBe(200);
    expect((await step(reviewer, application.id, { action: 'pass' })).json<App>().state).toBe('plan');
    // The plan step is the city's, not the county's.
    expect(errorOf(await step(reviewer, application.id, { action: 'schedule' })).code).toBe(
      'WORKFLOW_ACTION_FORBIDDEN',
    );

    const plan = await finance.post('/api/subsidies/plans', { orgId: tree.city.id, year, kind: 'hardship' });
    expect(plan.status, JSON.stringify(plan.body)).toBe(201);
    const p = plan.json<{ id: string; payoutBatchId: string; totalFen: number; byKind: unknown[] }>();
    expect(p.byKind).toEqual([{ kind: 'hardship', count: 1, totalFen: 250_000 }]);
    expect(p.totalFen).toBe(250_000);
    // Submitting the same plan again pays nobody twice.
    expect(
      errorOf(await finance.post('/api/subsidies/plans', { orgId: tree.city.id, year, kind: 'hardship' })).code,
    ).toBe('SUBSIDY_NOTHING_TO_PLAN');
    const paying = (await me.get(`/api/subsidies/applications/${application.id}`)).json<App>();
    expect(paying.state).toBe('paying');
    expect(paying.award).toMatchObject({ status: 'planned', amountFen: 250_000 });
    expect(await transferCount(`subsidy:hardship:${year}:${w.personId}`)).toBe(1);

    await app.services.payouts.sendBatch(sys, p.payoutBatchId);
    expect((await me.get('/api/subsidies/mine')).json<{ awards: { status: string }[] }>().awards[0]!.status).toBe(
      'sent',
    );
    const line = (await linesOf(p.payoutBatchId))[0]!;
    await app.services.payouts.reconcile(sys, p.payoutBatchId, resultFile([{ lineNo: line.line_no, paid: true }]));

    const done = (await me.get(`/api/subsidies/applications/${application.id}`)).json<App>();
    expect(done.state).toBe('paid');
    expect(done.award!.status).toBe('paid');
    const mine = (await me.get('/api/subsidies/mine')).json<{
      awards: { kind: string; status: string; amountFen: number }[];
    }>();
    expect(mine.awards).toEqual([expect.objectContaining({ kind: 'hardship', status: 'paid', amountFen: 250_000 })]);
    const history = (await me.get(`/api/workflow/instances/${application.id}`)).json<{
      history: { action: string }[];
    }>();
    expect(history.history.map((h) => h.action)).toEqual(
      expect.arrayContaining(['start', 'verify', 'object', 'objectionDismissed', 'pass', 'schedule', 'settlePaid']),
    );

    const report = await policyMaker.get(`/api/subsidies/report?orgId=${tree.city.id}&year=${year}`);
    expect(report.status).toBe(200);
    const r = report.json<{ rows: { countyId: string; kind: string; totalFen: number }[] }>();
    expect(r.rows).toContainEqual(expect.objectContaining({ countyId: tree.county.id, kind: 'hardship' }));
    expect((await stranger.get(`/api/subsidies/report?orgId=${tree.county.id}&year=${year}`)).status).toBe(404);
    expect((await nobody.get(`/api/subsidies/report?orgId=${tree.county.id}&year=${year}`)).status).toBe(403);
  });

  it('a failed transfer puts the application back on the plan, and the next plan pays it without a second budget transfer', async () => {
    const w = await makeModelWorker(app, {
      org: tree.grassroots,
      registryOrg: tree.city,
      farmer: true,
      gender: 'female',
      birthDate: '1960-02-01',
      account: true,
    });
    const applied = await (await memberAgent(w)).post('/api/subsidies/applications', { kind: 'farmer' });
    expect(applied.status, JSON.stringify(applied.body)).toBe(201);
    const id = applied.json<App>().id;
    await throughNotice(id);
    const me = await memberAgent(w);
    const plan = (await finance.post('/api/subsidies/plans', { orgId: tree.city.id, year, kind: 'farmer' })).json<{
      payoutBatchId: string;
      totalFen: number;
    }>();
    expect(plan.totalFen).toBe(200_000);
    await app.services.payouts.sendBatch(sys, plan.payoutBatchId);
    const line = (await linesOf(plan.payoutBatchId))[0]!;
    await app.services.payouts.reconcile(
      sys,
      plan.payoutBatchId,
      resultFile([{ lineNo: line.line_no, paid: false, reason: '账户已销户' }]),
    );
    const failed = (await me.get(`/api/subsidies/applications/${id}`)).json<
      App & { award: { failureReason: string } }
    >();
    expect(failed.state).toBe('plan');
    expect(failed.award).toMatchObject({ status: 'failed', failureReason: '账户已销户' });

    const again = (await finance.post('/api/subsidies/plans', { orgId: tree.city.id, year, kind: 'farmer' })).json<{
      payoutBatchId: string;
      totalFen: number;
    }>();
    expect(again.totalFen).toBe(200_000);
    expect(await transferCount(`subsidy:farmer:${year}:${w.personId}`)).toBe(1);
    await app.services.payouts.sendBatch(sys, again.payoutBatchId);
    const line2 = (await linesOf(again.payoutBatchId))[0]!;
    await app.services.payouts.reconcile(sys, again.payoutBatchId, resultFile([{ lineNo: line2.line_no, paid: true }]));
    expect((await me.get(`/api/subsidies/applications/${id}`)).json<App>().state).toBe('paid');
  });

  it('the plan needs finance.pay over a federation, and the money in the budget', async () => {
    expect((await agent(app).post('/api/subsidies/plans', { orgId: tree.city.id, year })).status).toBe(401);
    expect((await reviewer.post('/api/subsidies/plans', { orgId: tree.city.id, year })).status).toBe(403);
    expect((await stranger.post('/api/subsidies/plans', { orgId: tree.city.id, year })).status).toBe(404);
    expect(errorOf(await finance.post('/api/subsidies/plans', { orgId: tree.city.id, year: 'x' })).fields).toEqual([
      'body.year',
    ]);
    expect(errorOf(await finance.post('/api/subsidies/plans', { orgId: tree.grassroots.id, year })).code).toBe(
      'SUBSIDY_PAYER_NOT_FEDERATION',
    );
    // An unfunded federation: nothing is written.
    const poor = await makeCityTree(app);
    const w = await makeModelWorker(app, { org: poor.grassroots, registryOrg: poor.city });
    const cityCadre = await cadre(['finance.pay', 'subsidy.policy'], poor.city);
    expect((await cityCadre.post('/api/subsidies/festival-greetings', { orgId: poor.city.id, year })).json()).toEqual({
      created: 1,
      existing: 0,
    });
    const res = await cityCadre.post('/api/subsidies/plans', { orgId: poor.city.id, year });
    expect(errorOf(res)).toMatchObject({ status: 409, code: 'LEDGER_INSUFFICIENT_FUNDS' });
    const award = await app.core.db
      .selectFrom('subsidy_award')
      .selectAll()
      .where('person_id', '=', w.personId)
      .executeTakeFirstOrThrow();
    expect(award.status).toBe('pending');
    expect(await transferCount(`subsidy:festival:${year}:${w.personId}`)).toBe(0);
  });
});

describe('festival greetings', () => {
  it('generates once per person and year: a second run adds only the newly eligible', async () => {
    const city = await makeCityTree(app);
    const officer = await cadre(['subsidy.policy', 'finance.pay', 'finance.read'], city.city);
    await fundBudget(app, city.city, 1_000_000);
    await makeModelWorker(app, { org: city.grassroots, registryOrg: city.city });
    await makeModelWorker(app, { org: city.grassroots, registryOrg: city.city, deceasedOn: '2020-01-01' });
    await makeModelWorker(app, { org: city.grassroots, registryOrg: city.city, honor: 'revoked' });
    await makeModelWorker(app, { org: city.grassroots, registryOrg: city.city, bankCard: false });
    const first = await officer.post('/api/subsidies/festival-greetings', { orgId: city.city.id, year });
    expect(first.json()).toEqual({ created: 2, existing: 0 });
    expect((await officer.post('/api/subsidies/festival-greetings', { orgId: city.city.id, year })).json()).toEqual({
      created: 0,
      existing: 2,
    });
    await makeModelWorker(app, { org: city.grassroots, registryOrg: city.city });
    expect((await officer.post('/api/subsidies/festival-greetings', { orgId: city.city.id, year })).json()).toEqual({
      created: 1,
      existing: 2,
    });
    expect((await stranger.post('/api/subsidies/festival-greetings', { orgId: city.city.id, year })).status).toBe(404);
    expect(
      errorOf(await policyMaker.post('/api/subsidies/festival-greetings', { orgId: tree.city.id, year: 1990 })),
    ).toMatchObject({ status: 400, fields: ['body.year'] });

    // Concurrent plans: one makes the plan, the other finds nothing left; the one without a card waits.
    const [a, b] = await Promise.all([
      officer.post('/api/subsidies/plans', { orgId: city.city.id, year, kind: 'festival' }),
      officer.post('/api/subsidies/plans', { orgId: city.city.id, year, kind: 'festival' }),
    ]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([201, 409]);
    const made = (a.status === 201 ? a : b).json<{
      awardCount: number;
      totalFen: number;
      skipped: { reason: string }[];
    }>();
    expect(made).toMatchObject({ awardCount: 2, totalFen: 60_000 });
    expect(made.skipped.map((s) => s.reason)).toEqual(['no_bank_card']);
    const batchId = (a.status === 201 ? a : b).json<{ payoutBatchId: string }>().payoutBatchId;
    await app.services.payouts.sendBatch(sys, batchId);
    const paidLines = (await linesOf(batchId)).map((l) => ({ lineNo: l.line_no, paid: true }));
    await app.services.payouts.reconcile(sys, batchId, resultFile(paidLines));
    // Greetings are reported under the county of each model worker's own union.
    const report = await (
      await cadre(['subsidy.review'], city.city)
    ).get(`/api/subsidies/report?orgId=${city.city.id}&year=${year}`);
    expect(report.json<{ rows: unknown[] }>().rows).toEqual([
      { countyId: city.county.id, countyName: city.county.name, kind: 'festival', count: 2, totalFen: 60_000 },
    ]);
    const listed = await officer.get(`/api/subsidies/plans?orgId=${city.city.id}`);
    expect(listed.json<{ items: unknown[] }>().items).toHaveLength(1);
    expect((await stranger.get(`/api/subsidies/plans?orgId=${city.city.id}`)).status).toBe(404);
  });

  it('nobody is paid twice: the database refuses a second award of a kind and year even when the service is bypassed', async () => {
    const w = await makeModelWorker(app, { org: tree.grassroots, registryOrg: tree.city });
    const row = (id: string) => ({
      id,
      kind: 'festival' as const,
      year: 2030,
      person_id: w.personId,
      model_worker_id: w.worker.id,
      instance_id: null,
      unit_org_id: tree.city.id,
      policy_id: null,
      amount_fen: null,
      org_id: tree.city.id,
      org_path: tree.city.path,
      province_root: tree.city.province_root,
      plan_id: null,
      payment_date: null,
      payout_line_id: null,
      status: 'pending' as const,
      transfer_id: null,
      failure_reason: null,
      created_at: new Date().toISOString(),
      updated_at: new Date().toISOString(),
      paid_at: null,
    });
    await app.core.db.insertInto('subsidy_award').values(row(newId())).execute();
    await expect(app.core.db.insertInto('subsidy_award').values(row(newId())).execute()).rejects.toThrow();
  });
});

describe('policies with effective dates', () => {
  it('the demo seed writes the seed rules and their renewal down for a federation, with a budget', async () => {
    const c = await makeCityTree(app);
    await app.services.subsidies.provisionDefaults(sys, c.city.id, 5_000_000);
    await app.services.subsidies.provisionDefaults(sys, c.city.id, 5_000_000);
    const officer = await cadre(['subsidy.policy'], c.city);
    const items = (await officer.get(`/api/subsidies/policies?orgId=${c.city.id}&kind=farmer`)).json<{
      items: { builtIn: boolean; effectiveFrom: string; effectiveTo: string | null; menMinAge: number }[];
    }>().items;
    expect(items.map((i) => [i.effectiveFrom, i.effectiveTo, i.builtIn, i.menMinAge])).toEqual([
      ['2019-01-01', '2023-12-31', false, 60],
      ['2024-01-01', null, false, 60],
    ]);
    const budget = await app.core.db
      .selectFrom('ledger_account')
      .select(['credits_posted'])
      .where('account_key', 'like', `budget:${c.city.id}:%`)
      .executeTakeFirstOrThrow();
    expect(Number(budget.credits_posted)).toBe(5_000_000);
  });

  it('lists the seed rules until a federation sets its own, and refuses bad input', async () => {
    const list = await policyMaker.get(`/api/subsidies/policies?orgId=${tree.county.id}&kind=hardship`);
    expect(list.status).toBe(200);
    const items = list.json<{ items: { builtIn: boolean; effectiveFrom: string; amountMaxFen: number }[] }>().items;
    expect(items.map((i) => i.effectiveFrom)).toEqual(['2019-01-01', '2024-01-01']);
    // The city wrote the seed down when it first paid; a federation that never paid sees it built in.
    expect(items[0]).toMatchObject({ builtIn: false, amountMaxFen: 500_000 });
    const fresh = await makeCityTree(app);
    const theirs = await (
      await cadre(['subsidy.policy'], fresh.city)
    ).get(`/api/subsidies/policies?orgId=${fresh.city.id}`);
    expect(theirs.json<{ items: { builtIn: boolean }[] }>().items.every((i) => i.builtIn)).toBe(true);
    expect(theirs.json<{ items: unknown[] }>().items).toHaveLength(6);
    expect((await agent(app).get(`/api/subsidies/policies?orgId=${tree.city.id}`)).status).toBe(401);
    expect((await reviewer.get(`/api/subsidies/policies?orgId=${tree.county.id}`)).status).toBe(403);
    expect((await stranger.get(`/api/subsidies/policies?orgId=${tree.county.id}`)).status).toBe(404);
    const bad = await policyMaker.post('/api/subsidies/policies', {
      orgId: tree.city.id,
      kind: 'farmer',
      effectiveFrom: '2027-01-01',
      amountMinFen: 200_000,
      amountMaxFen: 200_000,
    });
    expect(errorOf(bad)).toMatchObject({ status: 400, fields: ['body.menMinAge'] });
    const inverted = await policyMaker.post('/api/subsidies/policies', {
      orgId: tree.city.id,
      kind: 'hardship',
      effectiveFrom: '2027-01-01',
      amountMinFen: 200_000,
      amountMaxFen: 100_000,
    });
    expect(errorOf(inverted).fields).toEqual(['body.amountMaxFen']);
  });

  it('the public notice runs for the period of the rule in force when the survey passes', async () => {
    const c = await makeCityTree(app);
    const officer = await cadre(['subsidy.policy', 'subsidy.review'], c.city);
    const added = await officer.post('/api/subsidies/policies', {
      orgId: c.city.id,
      kind: 'hardship',
      effectiveFrom: '2024-01-01',
      amountMinFen: 100_000,
      amountMaxFen: 500_000,
      noticeDays: 9,
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    const w = await makeModelWorker(app, { org: c.grassroots, registryOrg: c.city, account: true });
    const { application } = await applyHardship(w);
    const v = await step(officer, application.id, {
      action: 'verify',
      surveyFindings: '入户调查属实',
      approvedAmountFen: 200_000,
    });
    expect(v.json<App>().state).toBe('notice');
    const notice = await app.core.db
      .selectFrom('workflow_notice')
      .select(['starts_at', 'ends_at'])
      .where('instance_id', '=', application.id)
      .executeTakeFirstOrThrow();
    expect(Date.parse(notice.ends_at) - Date.parse(notice.starts_at)).toBe(9 * 86_400_000);
  });

  it('a payment uses the rule in force on its date: 2023-12-31 and 2024-01-01 differ', async () => {
    const c = await makeCityTree(app);
    const officer = await cadre(['subsidy.policy', 'finance.pay', 'finance.read'], c.city);
    await fundBudget(app, c.city, 1_000_000);
    const added = await officer.post('/api/subsidies/policies', {
      orgId: c.city.id,
      kind: 'festival',
      effectiveFrom: '2024-01-01',
      amountMinFen: 40_000,
      amountMaxFen: 40_000,
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    const versions = (await officer.get(`/api/subsidies/policies?orgId=${c.city.id}&kind=festival`)).json<{
      items: { effectiveFrom: string; effectiveTo: string | null; amountMinFen: number; builtIn: boolean }[];
    }>().items;
    expect(versions.map((v) => [v.effectiveFrom, v.effectiveTo, v.amountMinFen, v.builtIn])).toEqual([
      ['2019-01-01', '2023-12-31', 30_000, false],
      ['2024-01-01', null, 40_000, false],
    ]);
    const overlap = await officer.post('/api/subsidies/policies', {
      orgId: c.city.id,
      kind: 'festival',
      effectiveFrom: '2020-06-01',
      effectiveTo: '2020-12-31',
      amountMinFen: 50_000,
      amountMaxFen: 50_000,
    });
    expect(errorOf(overlap)).toMatchObject({ status: 409, code: 'SUBSIDY_POLICY_OVERLAP' });

    const w = await makeModelWorker(app, { org: c.grassroots, registryOrg: c.city });
    await officer.post('/api/subsidies/festival-greetings', { orgId: c.city.id, year: 2023 });
    const old = await officer.post('/api/subsidies/plans', {
      orgId: c.city.id,
      year: 2023,
      kind: 'festival',
      paymentDate: '2023-12-31',
    });
    expect(old.json<{ totalFen: number }>().totalFen).toBe(30_000);
    await officer.post('/api/subsidies/festival-greetings', { orgId: c.city.id, year: 2024 });
    const renewed = await officer.post('/api/subsidies/plans', {
      orgId: c.city.id,
      year: 2024,
      kind: 'festival',
      paymentDate: '2024-01-01',
    });
    expect(renewed.json<{ totalFen: number }>().totalFen).toBe(40_000);
    // A version in force from that day is never replaced: a change starts later.
    const tooLate = await officer.post('/api/subsidies/policies', {
      orgId: c.city.id,
      kind: 'festival',
      effectiveFrom: '2024-01-01',
      amountMinFen: 45_000,
      amountMaxFen: 45_000,
    });
    expect(errorOf(tooLate).code).toBe('SUBSIDY_POLICY_OVERLAP');
    expect(w.personId).toBeTruthy();
  });
});
