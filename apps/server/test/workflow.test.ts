import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../src/core/actor.ts';
import { AppError } from '../src/core/app-error.ts';
import { outboxFile, readOutbox } from '../src/core/notify/sms.ts';
import { createWorkflowRegistry } from '../src/core/workflow/definition.ts';
import { createWorkflowEngine, type WorkflowEngine } from '../src/core/workflow/engine.ts';
import type { OrganizationTable } from '../src/db/schema.ts';
import { makeOrg, makeRole, makeTree, makeUser, randomPhone, unique } from './factories.ts';
import { createTestApp, createTestClock } from './harness.ts';
import { cadreAt, effectRuns, joinFixture, memberCtx, subsidyFixture } from './workflow-fixtures.ts';

const clock = createTestClock(new Date('2025-12-31T02:00:00Z')); // Wednesday 10:00 in Beijing
let t: Awaited<ReturnType<typeof createTestApp>>;
let engine: WorkflowEngine;
let tree: Awaited<ReturnType<typeof makeTree>>;
const sys = { actor: SYSTEM_ACTOR };
const DAY = 86_400_000;

/** What an engine call threw, as code, status and named fields. */
async function refusal(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError)
      return { code: err.code, status: err.status, fields: (err.fields ?? []).map((f) => f.field) };
    throw err;
  }
  throw new Error('expected a refusal');
}

async function newApplicant() {
  const u = await makeUser(t.app, { kind: 'member', org: null });
  return memberCtx(u.user.id);
}

async function auditCount(instanceId: string) {
  const r = await t.app.core.db
    .selectFrom('audit_event')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('subject_id', '=', instanceId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

async function history(instanceId: string) {
  return t.app.core.db
    .selectFrom('workflow_history')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .orderBy('seq')
    .execute();
}

const attachDoc = (ctx: Parameters<WorkflowEngine['attach']>[0], id: string, kind: string) =>
  engine.attach(ctx, id, {
    kind,
    fileName: `${kind}.pdf`,
    contentType: 'application/pdf',
    sizeBytes: 1024,
    sha256: 'a'.repeat(64),
    storageKey: `workflow/${id}/${randomUUID()}`,
  });

beforeAll(async () => {
  t = await createTestApp({}, { now: clock.now });
  const registry = createWorkflowRegistry();
  registry.register(joinFixture);
  registry.register(subsidyFixture);
  engine = createWorkflowEngine(t.app.core, registry);
  tree = await makeTree(t.app);
});

afterAll(async () => {
  await t.close();
});

describe('workflow engine: a join-like definition', () => {
  it('runs apply → approve with a document, a guard and an effect; history and audit for every write', async () => {
    const applicant = await newApplicant();
    const cadre = cadreAt(tree.county, ['member.write']);
    const started = await engine.start(applicant, {
      definitionKey: 'testJoin',
      orgId: tree.grassroots.id,
      applicantUserId: applicant.actor.id,
      data: { name: '王小明', age: 30 },
    });
    expect(started).toMatchObject({ state: 'review', stateKind: 'review', version: 1, orgId: tree.grassroots.id });
    expect(started.dueAt).not.toBeNull();

    // The cadre sits at the county, an ancestor of the handling grassroots union: 'handling' level.
    expect(await refusal(engine.act(cadre, started.id, { action: 'approve' }))).toEqual({
      code: 'WORKFLOW_DOCUMENT_MISSING',
      status: 400,
      fields: ['documents.employmentProof'],
    });
    await attachDoc(applicant, started.id, 'employmentProof');
    const done = await engine.act(cadre, started.id, { action: 'approve', comment: '材料真实' });
    expect(done).toMatchObject({ state: 'approved', stateKind: 'done', version: 2 });
    expect(done.closedAt).not.toBeNull();
    expect(effectRuns).toContain(started.id);

    const steps = await history(started.id);
    expect(steps.map((h) => [h.seq, h.action, h.from_state, h.to_state])).toEqual([
      [1, 'start', null, 'review'],
      [2, 'attach', 'review', 'review'],
      [3, 'approve', 'review', 'approved'],
    ]);
    expect(steps[2]!.actor_id).toBe(cadre.actor.id);
    expect(steps[2]!.comment).toBe('材料真实');
    // One audit event per engine write, plus the one the effect recorded.
    expect(await auditCount(started.id)).toBe(steps.length + 1);
    expect(await refusal(engine.act(cadre, started.id, { action: 'approve' }))).toMatchObject({
      code: 'WORKFLOW_ACTION_UNAVAILABLE',
      status: 409,
    });
  });

  it('refuses by permission and org level, and answers out of scope like a missing instance', async () => {
    const applicant = await newApplicant();
    const inst = await engine.start(applicant, {
      definitionKey: 'testJoin',
      orgId: tree.grassroots.id,
      applicantUserId: applicant.actor.id,
      data: { name: '李四', age: 25 },
    });
    const reader = cadreAt(tree.county, ['workflow.read']);
    expect(await refusal(engine.act(reader, inst.id, { action: 'reject', comment: '不符合' }))).toMatchObject({
      code: 'WORKFLOW_ACTION_FORBIDDEN',
      status: 403,
    });
    const sibling = cadreAt(tree.sibling, ['member.write', 'workflow.read']);
    const outside = await refusal(engine.act(sibling, inst.id, { action: 'reject', comment: '不符合' }));
    const missing = await refusal(engine.act(sibling, randomUUID(), { action: 'reject', comment: '不符合' }));
    expect(outside).toEqual({ code: 'NOT_FOUND', status: 404, fields: [] });
    expect(outside).toEqual(missing);
    expect(await refusal(engine.get(sibling, inst.id))).toMatchObject({ code: 'NOT_FOUND' });
    // Another member is not the applicant: the instance does not exist for them.
    expect(await refusal(engine.get(await newApplicant(), inst.id))).toMatchObject({ code: 'NOT_FOUND' });
    // The applicant sees their own, without being able to decide it.
    const own = await engine.get(applicant, inst.id);
    expect(own.asApplicant).toBe(true);
    expect(own.actions).toEqual([]);
    expect(await refusal(engine.act(applicant, inst.id, { action: 'approve' }))).toMatchObject({
      code: 'WORKFLOW_ACTION_FORBIDDEN',
    });
    // Nobody decides their own application, whatever they hold.
    const selfCadre = cadreAt(tree.county, ['member.write']);
    const own2 = await engine.start(sys, {
      definitionKey: 'testJoin',
      orgId: tree.grassroots.id,
      applicantUserId: (await makeUser(t.app, { org: tree.grassroots })).user.id,
      data: { name: '干部本人', age: 35 },
    });
    const self = cadreAt(tree.county, ['member.write'], own2.applicantUserId!);
    expect(await refusal(engine.act(self, own2.id, { action: 'reject', comment: '自己' }))).toMatchObject({
      code: 'WORKFLOW_ACTION_FORBIDDEN',
    });
    expect((await engine.get(self, own2.id)).actions).toEqual([]);
    expect((await engine.get(selfCadre, own2.id)).actions).toEqual(['approve', 'reject']);
    // A union starts for an applicant only inside its startPermission scope.
    expect(
      await refusal(
        engine.start(sibling, {
          definitionKey: 'testJoin',
          orgId: tree.grassroots.id,
          data: { name: '赵六', age: 40 },
        }),
      ),
    ).toMatchObject({ code: 'NOT_FOUND' });
    const forThem = await engine.start(cadreAt(tree.grassroots, ['member.write']), {
      definitionKey: 'testJoin',
      orgId: tree.grassroots.id,
      data: { name: '赵六', age: 40 },
    });
    expect(forThem.applicantUserId).toBeNull();
  });

  it('names the missing reason and the guard refusal; a rejected applicant resubmits with corrected data', async () => {
    const applicant = await newApplicant();
    const cadre = cadreAt(tree.grassroots, ['member.write']);
    const inst = await engine.start(applicant, {
      definitionKey: 'testJoin',
      orgId: tree.grassroots.id,
      applicantUserId: applicant.actor.id,
      data: { name: '小张', age: 15 },
    });
    expect(await refusal(engine.act(cadre, inst.id, { action: 'reject', comment: '  ' }))).toEqual({
      code: 'VALIDATION_FAILED',
      status: 400,
      fields: ['body.comment'],
    });
    await attachDoc(cadre, inst.id, 'employmentProof');
    expect(await refusal(engine.act(cadre, inst.id, { action: 'approve' }))).toEqual({
      code: 'VALIDATION_FAILED',
      status: 400,
      fields: ['body.age'],
    });
    const rejected = await engine.act(cadre, inst.id, { action: 'reject', comment: '年龄不符' });
    expect(rejected).toMatchObject({ state: 'rejected', closedAt: null, dueAt: null });
    const again = await engine.act(applicant, inst.id, { action: 'resubmit', data: { age: 17 } });
    expect(again).toMatchObject({ state: 'review', data: { name: '小张', age: 17 } });
    expect((await engine.act(cadre, inst.id, { action: 'approve' })).state).toBe('approved');
  });

  it('rolls back the step, its history and its audit events when the effect fails', async () => {
    const applicant = await newApplicant();
    const cadre = cadreAt(tree.grassroots, ['member.write']);
    const inst = await engine.start(applicant, {
      definitionKey: 'testJoin',
      orgId: tree.grassroots.id,
      applicantUserId: applicant.actor.id,
      data: { name: '钱七', age: 33, failEffect: true },
    });
    await attachDoc(applicant, inst.id, 'employmentProof');
    const before = { history: (await history(inst.id)).length, audit: await auditCount(inst.id) };
    await expect(engine.act(cadre, inst.id, { action: 'approve' })).rejects.toThrow('membership could not be created');
    const after = (await engine.get(cadre, inst.id)).instance;
    expect(after).toMatchObject({ state: 'review', version: 1, closedAt: null });
    expect({ history: (await history(inst.id)).length, audit: await auditCount(inst.id) }).toEqual(before);
  });

  it('lets exactly one of two concurrent steps win; the other answers 409', async () => {
    const applicant = await newApplicant();
    const inst = await engine.start(applicant, {
      definitionKey: 'testJoin',
      orgId: tree.grassroots.id,
      applicantUserId: applicant.actor.id,
      data: { name: '孙八', age: 41 },
    });
    await attachDoc(applicant, inst.id, 'employmentProof');
    const a = cadreAt(tree.grassroots, ['member.write']);
    const b = cadreAt(tree.county, ['member.write']);
    const results = await Promise.allSettled([
      engine.act(a, inst.id, { action: 'approve' }),
      engine.act(b, inst.id, { action: 'reject', comment: '重复申请' }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toBeInstanceOf(AppError);
    expect((lost[0]!.reason as AppError).status).toBe(409);
    expect((await history(inst.id)).filter((h) => h.action === 'approve' || h.action === 'reject')).toHaveLength(1);
    // A step against a version the actor no longer sees is refused the same way.
    expect(await refusal(engine.act(a, inst.id, { action: 'approve', expectedVersion: 1 }))).toMatchObject({
      code: 'WORKFLOW_INSTANCE_CHANGED',
      status: 409,
    });
  });

  it('takes one step on many instances at once; each refusal is answered alone', async () => {
    const union = await makeOrg(t.app, { parent: tree.county, type: 'grassroots' });
    const cadre = cadreAt(tree.county, ['member.write']);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const applicant = await newApplicant();
      const inst = await engine.start(applicant, {
        definitionKey: 'testJoin',
        orgId: union.id,
        applicantUserId: applicant.actor.id,
        data: { name: `批量${i}`, age: 30 + i },
      });
      if (i !== 3) await attachDoc(applicant, inst.id, 'employmentProof');
      ids.push(inst.id);
    }
    const elsewhere = await engine.start(sys, {
      definitionKey: 'testJoin',
      orgId: tree.sibling.id,
      data: { name: '邻区', age: 30 },
    });
    // All documents present: one transaction per chunk.
    const clean = await engine.actMany(cadre, [ids[0]!, ids[1]!], { action: 'approve' });
    expect(clean).toEqual([
      { id: ids[0], ok: true, state: 'approved' },
      { id: ids[1], ok: true, state: 'approved' },
    ]);
    const mixed = await engine.actMany(
      cadre,
      [...ids.slice(2), elsewhere.id, ids[0]!],
      { action: 'approve' },
      { chunkSize: 3 },
    );
    expect(mixed.map((r) => (r.ok ? [r.id, r.state] : [r.id, r.code]))).toEqual([
      [ids[2], 'approved'],
      [ids[3], 'WORKFLOW_DOCUMENT_MISSING'],
      [ids[4], 'approved'],
      [ids[5], 'approved'],
      [ids[6], 'approved'],
      [elsewhere.id, 'NOT_FOUND'],
      [ids[0], 'WORKFLOW_ACTION_UNAVAILABLE'],
    ]);
    for (const id of ids)
      expect(await auditCount(id)).toBe((await history(id)).length + (effectRuns.includes(id) ? 1 : 0));
    expect((await history(ids[0]!)).map((h) => [h.seq, h.action, h.to_state])).toEqual([
      [1, 'start', 'review'],
      [2, 'attach', 'review'],
      [3, 'approve', 'approved'],
    ]);
    expect(effectRuns).toEqual(expect.arrayContaining([ids[0], ids[1], ids[2], ids[4], ids[5], ids[6]]));
  });

  it('keeps the history append-only', async () => {
    const applicant = await newApplicant();
    const inst = await engine.start(applicant, {
      definitionKey: 'testJoin',
      orgId: tree.grassroots.id,
      applicantUserId: applicant.actor.id,
      data: { name: '周九', age: 50 },
    });
    await expect(
      t.app.core.db
        .updateTable('workflow_history')
        .set({ comment: 'changed' })
        .where('instance_id', '=', inst.id)
        .execute(),
    ).rejects.toThrow(/append-only/);
    await expect(
      t.app.core.db.deleteFrom('workflow_history').where('instance_id', '=', inst.id).execute(),
    ).rejects.toThrow(/append-only/);
  });
});

describe('workflow engine: deadlines and reminders', () => {
  let union: OrganizationTable;
  let phone: string;

  beforeAll(async () => {
    union = await makeOrg(t.app, { parent: tree.county, type: 'grassroots' });
    phone = randomPhone();
    const role = await makeRole(t.app, ['member.write']);
    await makeUser(t.app, { org: union, roles: [role.code], phone });
    // A cadre without the step's permission gets no reminder.
    await makeUser(t.app, { org: union, roles: [(await makeRole(t.app, ['org.read'])).code], phone: randomPhone() });
    await engine.setCalendarDays(sys, [
      { day: '2026-01-01', working: false, name: '元旦' },
      { day: '2026-01-02', working: false, name: '元旦' },
      { day: '2026-01-04', working: true, name: '元旦调休' },
    ]);
  });

  it('counts working days past weekends and configured holidays, and reminds once a day when overdue', async () => {
    const applicant = await newApplicant();
    const inst = await engine.start(applicant, {
      definitionKey: 'testJoin',
      orgId: union.id,
      applicantUserId: applicant.actor.id,
      data: { name: '吴十', age: 28 },
    });
    // Entered Wednesday 31 December: 1 and 2 January are holidays, Sunday 4 January is worked.
    expect(inst.dueAt).toBe('2026-01-06T15:59:59.999Z');
    const outbox = outboxFile(t.app.core.config.DATA_DIR);
    const sentBefore = readOutbox(outbox).filter((m) => m.phone === phone).length;

    expect((await engine.scanOverdue()).map((i) => i.id)).not.toContain(inst.id);
    clock.advance(Date.parse('2026-01-07T01:00:00Z') - clock.now().getTime());
    const first = await engine.scanOverdue();
    expect(first.map((i) => i.id)).toContain(inst.id);
    expect(await engine.scanOverdue()).toEqual([]);
    const sms = readOutbox(outbox).filter((m) => m.phone === phone);
    expect(sms.length - sentBefore).toBe(1);
    expect(sms.at(-1)!.purpose).toBe('workflow.overdue');

    // The queue flags it; the next day brings one more reminder.
    const queue = await engine.queue(cadreAt(union, ['workflow.read']), { overdue: true }, { limit: 50, offset: 0 });
    expect(queue.rows.map((r) => r.row.id)).toContain(inst.id);
    clock.advance(DAY);
    expect((await engine.scanOverdue()).map((i) => i.id)).toContain(inst.id);
    expect((await history(inst.id)).filter((h) => h.action === 'remind')).toHaveLength(2);
    expect(await auditCount(inst.id)).toBe((await history(inst.id)).length);
  });
});

describe('workflow engine: public notice, objections and appeal (a subsidy-like definition)', () => {
  async function inNotice() {
    const applicant = await newApplicant();
    const surveyor = cadreAt(tree.grassroots, ['member.write']);
    const inst = await engine.start(applicant, {
      definitionKey: 'testSubsidy',
      orgId: tree.grassroots.id,
      applicantUserId: applicant.actor.id,
      data: { personName: '王大明', amountFen: 300_000 },
    });
    await attachDoc(applicant, inst.id, 'diagnosis');
    const noticed = await engine.act(surveyor, inst.id, { action: 'verify' });
    return { applicant, surveyor, inst: noticed };
  }

  it('publishes a notice; it passes only after the period and once every objection is reviewed', async () => {
    const { surveyor, inst } = await inNotice();
    expect(inst.state).toBe('notice');
    const board = await engine.board(tree.county.id, { limit: 100, offset: 0 });
    const notice = board.rows.find((n) => n.instance_id === inst.id)!;
    expect(notice).toMatchObject({ subject_name: '王大明', summary: '拟发放特殊困难补助 3000.00 元', status: 'open' });

    expect(await refusal(engine.act(surveyor, inst.id, { action: 'pass' }))).toMatchObject({
      code: 'WORKFLOW_NOTICE_PERIOD_OPEN',
      status: 409,
    });
    const objector = await newApplicant();
    expect(await refusal(engine.object(objector, notice.id, ' '))).toMatchObject({ fields: ['body.reason'] });
    // Merchants' accounts are no party to a union's notice.
    const merchantId = randomUUID();
    const merchant = {
      actor: { kind: 'user' as const, id: merchantId, userKind: 'merchant' as const },
      principal: {
        userId: merchantId,
        userKind: 'merchant' as const,
        sessionId: randomUUID(),
        grants: [],
        permissions: new Set<string>(),
      },
    };
    expect(await refusal(engine.object(merchant, notice.id, '商户异议'))).toMatchObject({
      code: 'FORBIDDEN',
      status: 403,
    });
    const objection = await engine.object(objector, notice.id, '其家庭新购车辆，不属于困难');

    clock.advance(5 * DAY + 1000);
    expect(await refusal(engine.object(objector, notice.id, '再次异议'))).toMatchObject({
      code: 'WORKFLOW_NOTICE_CLOSED',
    });
    expect(await refusal(engine.act(surveyor, inst.id, { action: 'pass' }))).toMatchObject({
      code: 'WORKFLOW_OBJECTION_PENDING',
      status: 409,
    });
    // Reviewing needs the notice's review permission and a reason.
    expect(
      await refusal(
        engine.reviewObjection(cadreAt(tree.grassroots, ['workflow.read']), objection.id, {
          decision: 'dismissed',
          reason: '核实',
        }),
      ),
    ).toMatchObject({ code: 'WORKFLOW_ACTION_FORBIDDEN' });
    expect(
      await refusal(engine.reviewObjection(surveyor, objection.id, { decision: 'dismissed', reason: '' })),
    ).toMatchObject({
      fields: ['body.reason'],
    });
    const objectorAsCadre = cadreAt(tree.grassroots, ['member.write'], objector.actor.id!);
    expect(
      await refusal(engine.reviewObjection(objectorAsCadre, objection.id, { decision: 'upheld', reason: '我说的' })),
    ).toMatchObject({ code: 'WORKFLOW_ACTION_FORBIDDEN' });
    await engine.reviewObjection(surveyor, objection.id, {
      decision: 'dismissed',
      reason: '车辆为亲属所有，经核实不影响',
    });
    expect(
      await refusal(engine.reviewObjection(surveyor, objection.id, { decision: 'upheld', reason: '改判' })),
    ).toMatchObject({ code: 'WORKFLOW_OBJECTION_DECIDED' });

    const passed = await engine.act(surveyor, inst.id, { action: 'pass' });
    expect(passed.state).toBe('plan');
    const detail = await engine.get(surveyor, inst.id);
    expect(detail.notices.map((n) => n.status)).toEqual(['passed']);
    expect(detail.objections.map((o) => [o.status, o.decision_reason])).toEqual([
      ['dismissed', '车辆为亲属所有，经核实不影响'],
    ]);

    // The payment plan is the higher union's: a grant at the handling union is not enough.
    expect(
      await refusal(engine.act(cadreAt(tree.grassroots, ['finance.pay']), inst.id, { action: 'pay' })),
    ).toMatchObject({
      code: 'WORKFLOW_ACTION_FORBIDDEN',
      status: 403,
    });
    const paid = await engine.act(cadreAt(tree.city, ['finance.pay']), inst.id, { action: 'pay' });
    expect(paid).toMatchObject({ state: 'paid', stateKind: 'done' });
    expect(await auditCount(inst.id)).toBe((await history(inst.id)).length);
  });

  it('an upheld objection takes the step the definition names and withdraws the notice', async () => {
    const { surveyor, inst } = await inNotice();
    const notice = (await engine.get(surveyor, inst.id)).notices[0]!;
    const first = await engine.object(await newApplicant(), notice.id, '隐瞒收入');
    const second = await engine.object(await newApplicant(), notice.id, '同上');
    const back = await engine.reviewObjection(surveyor, first.id, { decision: 'upheld', reason: '经核实有经营收入' });
    expect(back).toMatchObject({ state: 'survey', stateKind: 'review' });
    const detail = await engine.get(surveyor, inst.id);
    expect(detail.notices.map((n) => n.status)).toEqual(['withdrawn']);
    expect(Object.fromEntries(detail.objections.map((o) => [o.id, o.status]))).toEqual({
      [first.id]: 'upheld',
      [second.id]: 'superseded',
    });
    expect(detail.history.map((h) => h.action).slice(-2)).toEqual(['objectionUpheld', 'objectionUpheld']);
    expect((await engine.board(null, { limit: 500, offset: 0 })).rows.some((n) => n.id === notice.id)).toBe(false);
  });

  it('a rejected applicant appeals to the higher union, which decides', async () => {
    const applicant = await newApplicant();
    const surveyor = cadreAt(tree.grassroots, ['member.write', 'workflow.read']);
    const inst = await engine.start(applicant, {
      definitionKey: 'testSubsidy',
      orgId: tree.grassroots.id,
      applicantUserId: applicant.actor.id,
      data: { personName: '陈一', amountFen: 200_000 },
    });
    await engine.act(surveyor, inst.id, { action: 'reject', comment: '材料不全' });
    expect(await refusal(engine.act(applicant, inst.id, { action: 'appeal' }))).toMatchObject({
      fields: ['body.comment'],
    });
    const appealed = await engine.act(applicant, inst.id, { action: 'appeal', comment: '材料已补齐，请求复核' });
    expect(appealed).toMatchObject({ state: 'appealReview', orgId: tree.county.id, orgPath: tree.county.path });
    // The grassroots union no longer handles it: outside its scope the instance does not exist.
    expect(await refusal(engine.get(surveyor, inst.id))).toMatchObject({ code: 'NOT_FOUND' });
    const county = cadreAt(tree.county, ['member.write']);
    const granted = await engine.act(county, inst.id, { action: 'appealGrant', comment: '申诉理由成立' });
    expect(granted).toMatchObject({ state: 'notice', orgId: tree.county.id });
    const steps = await history(inst.id);
    const appealStep = steps.find((h) => h.action === 'appeal')!;
    expect(JSON.parse(appealStep.detail!)).toMatchObject({
      handlingOrgFrom: tree.grassroots.id,
      handlingOrgTo: tree.county.id,
    });
    expect(appealStep.org_path).toBe(tree.county.path);
    expect(steps.find((h) => h.action === 'reject')!.org_path).toBe(tree.grassroots.path);
  });

  it('refuses an appeal where there is no higher union', async () => {
    const root = await makeOrg(t.app, { name: unique('顶层') });
    const applicant = await newApplicant();
    const inst = await engine.start(applicant, {
      definitionKey: 'testSubsidy',
      orgId: root.id,
      applicantUserId: applicant.actor.id,
      data: { personName: '林二', amountFen: 100_000 },
    });
    await engine.act(cadreAt(root, ['member.write']), inst.id, { action: 'reject', comment: '不符合条件' });
    expect(await refusal(engine.act(applicant, inst.id, { action: 'appeal', comment: '不服' }))).toMatchObject({
      code: 'WORKFLOW_NO_HIGHER_UNION',
      status: 409,
    });
    expect((await engine.get(applicant, inst.id)).instance.state).toBe('rejected');
  });
});

describe('workflow engine: the audit chain', () => {
  it('verifies after every kind of engine write above', async () => {
    const result = await t.app.core.audit.verify(t.app.core.db);
    expect(result.ok).toBe(true);
  });
});
