import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../src/core/actor.ts';
import { createOutbound } from '../src/core/notify/inbox.ts';
import { outboxFile, readOutbox } from '../src/core/notify/sms.ts';
import { createWorkflowRegistry } from '../src/core/workflow/definition.ts';
import { createWorkflowEngine, type WorkflowEngine } from '../src/core/workflow/engine.ts';
import { makeTree, makeUser } from './factories.ts';
import { createTestApp, createTestClock } from './harness.ts';
import { cadreAt, joinFixture, memberCtx, subsidyFixture } from './workflow-fixtures.ts';

const clock = createTestClock(new Date('2025-12-31T02:00:00Z'));
let t: Awaited<ReturnType<typeof createTestApp>>;
let engine: WorkflowEngine;
let tree: Awaited<ReturnType<typeof makeTree>>;
const DAY = 86_400_000;

async function applicant() {
  const u = await makeUser(t.app, { kind: 'member', org: null });
  return { ctx: memberCtx(u.user.id), phone: u.phone!, id: u.user.id };
}

async function inbox(userId: string) {
  return t.app.core.db
    .selectFrom('notification')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

const queued = (userId: string) =>
  t.app.core.db.selectFrom('sms_queue').selectAll().where('user_id', '=', userId).execute();

const sms = (phone: string) => readOutbox(outboxFile(t.app.core.config.DATA_DIR)).filter((m) => m.phone === phone);

const attach = (ctx: Parameters<WorkflowEngine['attach']>[0], id: string, kind: string) =>
  engine.attach(ctx, id, {
    kind,
    fileName: `${kind}.pdf`,
    contentType: 'application/pdf',
    sizeBytes: 10,
    sha256: 'b'.repeat(64),
    storageKey: `workflow/${id}/x`,
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

describe('the applicant is told at every step', () => {
  it('start and a committed step each leave one notification and one SMS', async () => {
    const a = await applicant();
    const cadre = cadreAt(tree.county, ['member.write']);
    const inst = await engine.start(a.ctx, {
      definitionKey: 'testJoin',
      orgId: tree.grassroots.id,
      applicantUserId: a.id,
      data: { name: '王小明', age: 30 },
    });
    expect(await inbox(a.id)).toHaveLength(1);
    expect(sms(a.phone)).toHaveLength(1);
    expect(sms(a.phone)[0]!.text).toContain('入会申请（测试）');

    await engine.act(cadre, inst.id, { action: 'reject', comment: '材料不全' });
    const rows = await inbox(a.id);
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({
      kind: 'workflow.step',
      title_zh: '入会申请（测试）',
      link_type: 'workflow',
      link_id: inst.id,
      read_at: null,
    });
    expect(rows[1]!.body_zh).toContain('未通过');
    expect(rows[1]!.body_zh).toContain('材料不全');
    expect(rows[1]!.body_en).toContain('Rejected');
    const texts = sms(a.phone);
    expect(texts).toHaveLength(2);
    expect(texts[1]!.purpose).toBe('workflow.step');
    expect(texts[1]!.text).toContain('未通过');
  });

  it('a step whose effect throws leaves neither a notification nor an SMS', async () => {
    const a = await applicant();
    const cadre = cadreAt(tree.county, ['member.write']);
    const inst = await engine.start(a.ctx, {
      definitionKey: 'testJoin',
      orgId: tree.grassroots.id,
      applicantUserId: a.id,
      data: { name: '李四', age: 30, failEffect: true },
    });
    await attach(a.ctx, inst.id, 'employmentProof');
    await expect(engine.act(cadre, inst.id, { action: 'approve' })).rejects.toThrow('membership could not be created');
    expect(await inbox(a.id)).toHaveLength(1);
    expect(sms(a.phone)).toHaveLength(1);
  });

  it('an applicant without a phone is told in-app only', async () => {
    const u = await makeUser(t.app, { kind: 'member', org: null, phone: null });
    const before = readOutbox(outboxFile(t.app.core.config.DATA_DIR)).length;
    await engine.start(memberCtx(u.user.id), {
      definitionKey: 'testJoin',
      orgId: tree.grassroots.id,
      applicantUserId: u.user.id,
      data: { name: '赵五', age: 30 },
    });
    expect(await inbox(u.user.id)).toHaveLength(1);
    expect(readOutbox(outboxFile(t.app.core.config.DATA_DIR)).length).toBe(before);
  });

  it('actMany tells each applicant once, in chunks and one by one after a refusal', async () => {
    const cadre = cadreAt(tree.county, ['member.write']);
    const people = await Promise.all([applicant(), applicant(), applicant(), applicant()]);
    const ids: string[] = [];
    for (const p of people) {
      const inst = await engine.start(p.ctx, {
        definitionKey: 'testJoin',
        orgId: tree.grassroots.id,
        applicantUserId: p.id,
        data: { name: '批量', age: 30 },
      });
      ids.push(inst.id);
    }
    // Reject needs only a comment: the first chunk passes whole; add one refused in the second.
    const results = await engine.actMany(cadre, ids, { action: 'reject', comment: '名额已满' }, { chunkSize: 2 });
    expect(results.every((r) => r.ok)).toBe(true);
    for (const p of people) {
      expect(await inbox(p.id)).toHaveLength(2);
      expect(sms(p.phone)).toHaveLength(2);
    }
    // A second batch: everything refused (already rejected), so nobody hears anything more.
    const again = await engine.actMany(cadre, ids, { action: 'reject', comment: '再次' }, { chunkSize: 2 });
    expect(again.every((r) => !r.ok)).toBe(true);
    for (const p of people) expect(await inbox(p.id)).toHaveLength(2);
  });

  it('notice published, objection dismissed and upheld are each told', async () => {
    const a = await applicant();
    const cadre = cadreAt(tree.county, ['member.write']);
    const objector = await makeUser(t.app, { kind: 'member', org: null });
    const inst = await engine.start(a.ctx, {
      definitionKey: 'testSubsidy',
      orgId: tree.county.id,
      applicantUserId: a.id,
      data: { personName: '王小明', amountFen: 100000 },
    });
    await attach(cadre, inst.id, 'diagnosis');
    await engine.act(cadre, inst.id, { action: 'verify' });
    const afterVerify = await inbox(a.id);
    expect(afterVerify).toHaveLength(2);
    expect(afterVerify[1]!.body_zh).toContain('公示至');

    const detail = await engine.get({ actor: SYSTEM_ACTOR }, inst.id);
    const noticeId = detail.notices[0]!.id;
    const o1 = await engine.object(memberCtx(objector.user.id), noticeId, '不属实');
    await engine.reviewObjection(cadre, o1.id, { decision: 'dismissed', reason: '经核实属实' });
    expect((await inbox(a.id)).at(-1)!.body_zh).toContain('异议经审查不成立');
    const o2 = await engine.object(memberCtx(objector.user.id), noticeId, '另有收入');
    await engine.reviewObjection(cadre, o2.id, { decision: 'upheld', reason: '重新核实收入' });
    const rows = await inbox(a.id);
    expect(rows).toHaveLength(4);
    expect(rows[3]!.body_zh).toContain('重新核实收入');
    expect(sms(a.phone)).toHaveLength(4);
    // Objecting itself tells the applicant nothing, nor the objector.
    expect(await inbox(objector.user.id)).toHaveLength(0);
  });

  it('overdue reminders go to cadres only', async () => {
    const a = await applicant();
    await engine.start(a.ctx, {
      definitionKey: 'testJoin',
      orgId: tree.grassroots.id,
      applicantUserId: a.id,
      data: { name: '逾期', age: 30 },
    });
    clock.advance(10 * DAY);
    await engine.scanOverdue();
    expect(await inbox(a.id)).toHaveLength(1);
  });

  it('another module uses the same outbound: in-app and the queued SMS with its write, sent after', async () => {
    const a = await applicant();
    const out = createOutbound(t.app.core.smsQueue);
    await expect(
      t.app.core.write({ actor: SYSTEM_ACTOR }, async (s) => {
        out.tell({
          userId: a.id,
          kind: 'payout.failed',
          title: { 'zh-CN': '补助发放失败', en: 'Payment failed' },
          body: { 'zh-CN': '银行卡无效', en: 'Invalid card' },
          sms: '【智慧工会】补助发放失败',
        });
        await out.flush(s, t.app.core.now());
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await inbox(a.id)).toHaveLength(0);
    expect(sms(a.phone)).toHaveLength(0);
    expect(await queued(a.id)).toHaveLength(0);

    const ok = createOutbound(t.app.core.smsQueue);
    await t.app.core.write({ actor: SYSTEM_ACTOR }, async (s) => {
      ok.tell({
        userId: a.id,
        kind: 'payout.failed',
        title: { 'zh-CN': '补助发放失败', en: 'Payment failed' },
        body: { 'zh-CN': '银行卡无效', en: 'Invalid card' },
        sms: '【智慧工会】补助发放失败',
      });
      await ok.flush(s, t.app.core.now());
      await s.audit({ action: 'test.notify', subjectType: 'user', subjectId: a.id });
    });
    expect(await inbox(a.id)).toHaveLength(1);
    // Handed to the gateway by the time the write returned, and recorded as sent.
    expect(sms(a.phone).map((m) => m.purpose)).toEqual(['payout.failed']);
    expect((await queued(a.id)).map((r) => r.sent_at !== null)).toEqual([true]);
  });
});
