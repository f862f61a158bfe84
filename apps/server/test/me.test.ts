import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../src/core/actor.ts';
import type { WorkflowEngine } from '../src/core/workflow/engine.ts';
import {
  type Agent,
  agent,
  errorOf,
  makeMember,
  makeOrg,
  makeTree,
  makeUser,
  randomIdNumber,
  randomPhone,
  signInBySms,
} from './factories.ts';
import { createTestApp } from './harness.ts';
import { joinFixture, subsidyFixture } from './workflow-fixtures.ts';

let t: Awaited<ReturnType<typeof createTestApp>>;
let engine: WorkflowEngine;
let tree: Awaited<ReturnType<typeof makeTree>>;
const sys = { actor: SYSTEM_ACTOR };

async function member(phone = randomPhone()) {
  const u = await makeUser(t.app, { kind: 'member', org: null, phone });
  return { id: u.user.id, phone, agent: await signInBySms(t.app, phone) };
}

async function apply(userId: string) {
  return engine.start(sys, {
    definitionKey: 'testJoin',
    orgId: tree.grassroots.id,
    applicantUserId: userId,
    data: { name: '王小明', age: 30 },
  });
}

type Page = { items: Record<string, unknown>[]; total: number };
const page = (a: Agent, url: string) => a.get(url).then((r) => r.json<Page>());

beforeAll(async () => {
  t = await createTestApp();
  engine = t.app.services.workflow.engine;
  engine.registry.register(joinFixture);
  engine.registry.register(subsidyFixture);
  tree = await makeTree(t.app);
});

afterAll(async () => {
  await t.close();
});

describe('my routes require a session', () => {
  it('answers 401 to the anonymous caller', async () => {
    const anon = agent(t.app);
    for (const url of [
      '/api/me/notifications',
      '/api/me/notifications/unread-count',
      '/api/me/applications',
      '/api/me/real-name',
    ]) {
      expect((await anon.get(url)).status, url).toBe(401);
    }
    expect((await anon.post('/api/me/notifications/read-all')).status).toBe(401);
    expect((await anon.post('/api/me/real-name', { name: '王小明', idNumber: randomIdNumber() })).status).toBe(401);
  });
});

describe('my inbox', () => {
  it('lists my notifications newest first, counts the unread, marks one and all read', async () => {
    const me = await member();
    const first = await apply(me.id);
    await engine.act(sys, first.id, { action: 'reject', comment: '材料不全' });

    const list = await page(me.agent, '/api/me/notifications');
    expect(list.total).toBe(2);
    expect(list.items[0]).toMatchObject({
      kind: 'workflow.step',
      title: { 'zh-CN': '入会申请（测试）' },
      link: { type: 'workflow', id: first.id },
      readAt: null,
    });
    expect((list.items[0]!.body as { 'zh-CN': string })['zh-CN']).toContain('材料不全');
    expect((await me.agent.get('/api/me/notifications/unread-count')).json()).toEqual({ count: 2 });

    const read = await me.agent.post(`/api/me/notifications/${String(list.items[0]!.id)}/read`);
    expect(read.status).toBe(200);
    expect(read.json<{ readAt: string | null }>().readAt).not.toBeNull();
    expect((await me.agent.get('/api/me/notifications/unread-count')).json()).toEqual({ count: 1 });
    expect((await page(me.agent, '/api/me/notifications?unread=true')).total).toBe(1);

    const all = await me.agent.post('/api/me/notifications/read-all');
    expect(all.json()).toEqual({ count: 1 });
    expect((await me.agent.get('/api/me/notifications/unread-count')).json()).toEqual({ count: 0 });

    const audits = await t.app.core.db
      .selectFrom('audit_event')
      .select('action')
      .where('action', 'in', ['notification.read', 'notification.readAll'])
      .execute();
    expect(audits.length).toBeGreaterThanOrEqual(2);
  });

  it("another user's notification answers 404 like a missing one, and stays unread", async () => {
    const owner = await member();
    const other = await member();
    await apply(owner.id);
    const [mine] = (await page(owner.agent, '/api/me/notifications')).items;
    const theirs = await other.agent.post(`/api/me/notifications/${String(mine!.id)}/read`);
    const missing = await other.agent.post(`/api/me/notifications/${randomUUID()}/read`);
    expect(errorOf(theirs)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(errorOf(missing)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect((await page(other.agent, '/api/me/notifications')).total).toBe(0);
    expect((await owner.agent.get('/api/me/notifications/unread-count')).json()).toEqual({ count: 1 });
  });

  it('refuses bad paging with a field error', async () => {
    const me = await member();
    const res = await me.agent.get('/api/me/notifications?pageSize=0');
    expect(errorOf(res)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: ['query.pageSize'] });
  });
});

describe('my applications', () => {
  it('lists what I applied for, newest first, with labels, kind and due date; takes my steps only', async () => {
    const me = await member();
    const older = await apply(me.id);
    const newer = await apply(me.id);
    await apply((await member()).id);
    const list = await page(me.agent, '/api/me/applications');
    expect(list.total).toBe(2);
    expect(list.items.map((i) => i.id)).toEqual([newer.id, older.id]);
    expect(list.items[0]).toMatchObject({
      title: { 'zh-CN': '入会申请（测试）' },
      state: 'review',
      stateLabel: { 'zh-CN': '待审核' },
      stateKind: 'review',
      actions: [],
    });
    expect(list.items[0]!.dueAt).not.toBeNull();

    await engine.act(sys, older.id, { action: 'reject', comment: '材料不全' });
    const rejected = (await page(me.agent, '/api/me/applications')).items.find((i) => i.id === older.id)!;
    expect((rejected.actions as { action: string }[]).map((a) => a.action)).toEqual(['resubmit']);

    const resubmitted = await me.agent.post(`/api/me/applications/${older.id}/actions`, {
      action: 'resubmit',
      comment: '已补充材料',
      expectedVersion: 2,
    });
    expect(resubmitted.status).toBe(200);
    expect(resubmitted.json()).toMatchObject({ id: older.id, state: 'review', version: 3 });
    // The resubmission told me too: start, reject, resubmit for this one; start for the other.
    expect((await page(me.agent, '/api/me/notifications')).total).toBe(4);
  });

  it('refuses steps that are not the applicant’s, others’ applications (404) and bad bodies', async () => {
    const me = await member();
    const other = await member();
    const mine = await apply(me.id);
    const theirs = await apply(other.id);
    expect(
      errorOf(await me.agent.post(`/api/me/applications/${mine.id}/actions`, { action: 'approve' })),
    ).toMatchObject({ status: 409, code: 'WORKFLOW_ACTION_UNAVAILABLE' });
    expect(
      errorOf(await me.agent.post(`/api/me/applications/${mine.id}/actions`, { action: 'resubmit' })),
    ).toMatchObject({ status: 409, code: 'WORKFLOW_ACTION_UNAVAILABLE' });
    expect(
      errorOf(await me.agent.post(`/api/me/applications/${theirs.id}/actions`, { action: 'resubmit' })),
    ).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(
      errorOf(await me.agent.post(`/api/me/applications/${randomUUID()}/actions`, { action: 'resubmit' })),
    ).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(errorOf(await me.agent.post(`/api/me/applications/${mine.id}/actions`, {}))).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      fields: ['body.action'],
    });
  });
});

describe('my real-name record', () => {
  it('links automatically when exactly one person has my phone, masked, with my membership (audited)', async () => {
    const phone = randomPhone();
    const org = await makeOrg(t.app, { parent: tree.county, type: 'grassroots' });
    await makeMember(t.app, { org, name: '李晓华', phone, memberNumber: `M${Date.now().toString().slice(-8)}` });
    const me = await member(phone);
    const res = await me.agent.get('/api/me/real-name');
    expect(res.status).toBe(200);
    const body = res.json<{ bound: boolean; name: string; idNumber: string; memberships: unknown[] }>();
    expect(body).toMatchObject({ bound: true, name: '李*华' });
    expect(body.idNumber).toContain('*');
    expect(body.memberships).toEqual([expect.objectContaining({ orgId: org.id, orgName: org.name, status: 'active' })]);
    const audit = await t.app.core.db
      .selectFrom('audit_event')
      .selectAll()
      .where('action', '=', 'user.realName.bind')
      .where('subject_id', '=', me.id)
      .execute();
    expect(audit).toHaveLength(1);
    // Asking again does not link again.
    expect((await me.agent.get('/api/me/real-name')).json()).toMatchObject({ bound: true });
  });

  it('without a record of my phone, nothing is linked', async () => {
    const me = await member();
    expect((await me.agent.get('/api/me/real-name')).json()).toEqual({
      bound: false,
      name: null,
      idNumber: null,
      memberships: [],
    });
  });

  it('binds by name and ID number when the record’s phone is mine; names the field that did not match', async () => {
    const phone = randomPhone();
    const idNumber = randomIdNumber();
    await makeMember(t.app, { name: '张三丰', idNumber, phone });
    const me = await member(phone);

    expect(errorOf(await me.agent.post('/api/me/real-name', { name: '张三', idNumber }))).toMatchObject({
      status: 400,
      code: 'REAL_NAME_NOT_MATCHED',
      fields: ['body.name'],
    });
    expect(
      errorOf(await me.agent.post('/api/me/real-name', { name: '张三丰', idNumber: randomIdNumber() })),
    ).toMatchObject({ status: 400, code: 'REAL_NAME_NOT_MATCHED', fields: ['body.idNumber'] });
    expect(
      errorOf(await me.agent.post('/api/me/real-name', { name: '张三丰', idNumber: '610113199013011234' })),
    ).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: ['body.idNumber'] });
    expect(errorOf(await me.agent.post('/api/me/real-name', { name: '张三丰' }))).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      fields: ['body.idNumber'],
    });

    // Someone else with my name and ID number but their own phone cannot claim my record.
    const intruder = await member();
    expect(errorOf(await intruder.agent.post('/api/me/real-name', { name: '张三丰', idNumber }))).toMatchObject({
      status: 400,
      code: 'REAL_NAME_NOT_MATCHED',
      fields: ['phone'],
    });

    const ok = await me.agent.post('/api/me/real-name', { name: '张三丰', idNumber: idNumber.toLowerCase() });
    expect(ok.status).toBe(200);
    expect(ok.json()).toMatchObject({ bound: true, name: '张*丰' });
    const account = await t.app.core.db
      .selectFrom('user_account')
      .select('person_id')
      .where('id', '=', me.id)
      .executeTakeFirstOrThrow();
    expect(account.person_id).not.toBeNull();
  });

  it('a record already linked to another account answers 409', async () => {
    const phone = randomPhone();
    const idNumber = randomIdNumber();
    const person = await makeMember(t.app, { name: '赵六', idNumber, phone });
    const other = await makeUser(t.app, { kind: 'member', org: null });
    const personRow = await t.app.core.db
      .selectFrom('person')
      .select('id')
      .where('name', '=', '赵六')
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow();
    expect(person).toBeDefined();
    await t.app.core.db
      .updateTable('user_account')
      .set({ person_id: personRow.id })
      .where('id', '=', other.user.id)
      .execute();
    const me = await member(phone);
    expect(errorOf(await me.agent.post('/api/me/real-name', { name: '赵六', idNumber }))).toMatchObject({
      status: 409,
      code: 'REAL_NAME_TAKEN',
    });
    // Nor is it linked automatically.
    expect((await me.agent.get('/api/me/real-name')).json()).toMatchObject({ bound: false });
  });
});
