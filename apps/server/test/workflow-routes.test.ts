import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../src/core/actor.ts';
import type { WorkflowEngine } from '../src/core/workflow/engine.ts';
import {
  type Agent,
  agent,
  errorOf,
  makeRole,
  makeTree,
  makeUser,
  postMultipart,
  signIn,
  type TestUser,
  withoutRequestId,
} from './factories.ts';
import { createTestApp, createTestClock } from './harness.ts';
import { joinFixture, subsidyFixture } from './workflow-fixtures.ts';

const clock = createTestClock();
let t: Awaited<ReturnType<typeof createTestApp>>;
let engine: WorkflowEngine;
let tree: Awaited<ReturnType<typeof makeTree>>;
const sys = { actor: SYSTEM_ACTOR };
const DAY = 86_400_000;

let anonymous: Agent;
let applicant: { user: TestUser; agent: Agent };
let otherMember: Agent;
let users: { other: TestUser; county: TestUser; sibling: TestUser };
/** workflow.read + member.write at the county (the handling union's parent). */
let countyCadre: Agent;
/** The same permissions at a sibling county. */
let siblingCadre: Agent;

async function member() {
  const user = await makeUser(t.app, { kind: 'member', org: null });
  return { user, agent: await signIn(t.app, user) };
}

async function cadreUser(at: (typeof tree)['county'], permissions: string[]) {
  const role = await makeRole(t.app, permissions);
  return makeUser(t.app, { org: at, roles: [role.code] });
}

async function cadre(at: (typeof tree)['county'], permissions: string[]) {
  return signIn(t.app, await cadreUser(at, permissions));
}

async function joinInstance(applicantId: string | null = applicant.user.user.id) {
  return engine.start(sys, {
    definitionKey: 'testJoin',
    orgId: tree.grassroots.id,
    applicantUserId: applicantId,
    data: { name: '王小明', age: 30 },
  });
}

/** A subsidy instance of the applicant in its public-notice step. */
async function noticed() {
  const inst = await engine.start(sys, {
    definitionKey: 'testSubsidy',
    orgId: tree.grassroots.id,
    applicantUserId: applicant.user.user.id,
    data: { personName: '王大明', amountFen: 300_000 },
  });
  await engine.attach(sys, inst.id, {
    kind: 'diagnosis',
    fileName: 'd.pdf',
    contentType: 'application/pdf',
    sizeBytes: 1,
    sha256: '0'.repeat(64),
    storageKey: 'workflow/none',
  });
  await engine.act(sys, inst.id, { action: 'verify' });
  const notice = (await engine.get(sys, inst.id)).notices[0]!;
  return { inst, notice };
}

beforeAll(async () => {
  t = await createTestApp({}, { now: clock.now });
  engine = t.app.services.workflow.engine;
  engine.registry.register(joinFixture);
  engine.registry.register(subsidyFixture);
  tree = await makeTree(t.app);
  anonymous = agent(t.app);
  applicant = await member();
  users = {
    other: await makeUser(t.app, { kind: 'member', org: null }),
    county: await cadreUser(tree.county, ['workflow.read', 'member.write']),
    sibling: await cadreUser(tree.sibling, ['workflow.read', 'member.write']),
  };
});

// Tests move the clock past notice periods and deadlines, which ends sessions: sign in anew.
beforeEach(async () => {
  applicant.agent = await signIn(t.app, applicant.user);
  otherMember = await signIn(t.app, users.other);
  countyCadre = await signIn(t.app, users.county);
  siblingCadre = await signIn(t.app, users.sibling);
});

afterAll(async () => {
  await t.close();
});

async function missing(a: Agent) {
  return withoutRequestId(await a.get(`/api/workflow/instances/${randomUUID()}`));
}

describe('GET /api/workflow/instances/:id', () => {
  it('shows the applicant and the cadres in scope the instance and its history; nobody else', async () => {
    const inst = await joinInstance();
    const url = `/api/workflow/instances/${inst.id}`;
    expect((await anonymous.get(url)).status).toBe(401);

    const own = await applicant.agent.get(url);
    expect(own.status).toBe(200);
    expect(own.json()).toMatchObject({
      id: inst.id,
      definitionKey: 'testJoin',
      title: { 'zh-CN': '入会申请（测试）' },
      state: 'review',
      stateLabel: { en: 'Under review' },
      stateKind: 'review',
      overdue: false,
      actions: [],
      history: [{ seq: 1, action: 'start', toState: 'review' }],
    });
    expect(own.json()).not.toHaveProperty('data');

    const asCadre = await countyCadre.get(url);
    expect(asCadre.status).toBe(200);
    expect(asCadre.json<{ actions: { action: string }[] }>().actions.map((a) => a.action)).toEqual([
      'approve',
      'reject',
    ]);
    expect(asCadre.json()).toMatchObject({
      actions: [
        { action: 'approve', requiredDocuments: ['employmentProof'] },
        { action: 'reject', requiresComment: true },
      ],
    });

    for (const outsider of [otherMember, siblingCadre]) {
      const res = await outsider.get(url);
      expect(res.status).toBe(404);
      expect(withoutRequestId(res)).toEqual(await missing(outsider));
    }
    expect(errorOf(await applicant.agent.get(`/api/workflow/instances/${'x'.repeat(65)}`))).toMatchObject({
      status: 400,
      fields: ['params.id'],
    });
  });
});

describe('POST /api/workflow/instances/:id/comments', () => {
  it('adds a comment to the history for participants only', async () => {
    const inst = await joinInstance();
    const url = `/api/workflow/instances/${inst.id}/comments`;
    expect((await anonymous.post(url, { text: '请尽快' })).status).toBe(401);
    expect(errorOf(await applicant.agent.post(url, { text: '  ' }))).toMatchObject({
      status: 400,
      fields: ['body.text'],
    });
    expect((await siblingCadre.post(url, { text: '看看' })).status).toBe(404);
    expect((await otherMember.post(url, { text: '看看' })).status).toBe(404);
    const res = await applicant.agent.post(url, { text: '材料已齐，请审核' });
    expect(res.status).toBe(201);
    expect(res.json()).toMatchObject({ seq: 2, action: 'comment', comment: '材料已齐，请审核', actorKind: 'member' });
    expect((await countyCadre.post(url, { text: '收到' })).status).toBe(201);
    const history = (await applicant.agent.get(`/api/workflow/instances/${inst.id}`)).json<{ history: unknown[] }>()
      .history;
    expect(history).toHaveLength(3);
  });
});

describe('attachments', () => {
  it('stores the file under DATA_DIR, records it, and serves it back to participants only', async () => {
    const inst = await joinInstance();
    const url = `/api/workflow/instances/${inst.id}/attachments`;
    const content = Buffer.from('%PDF-1.4 employment contract');
    const form = {
      kind: 'employmentProof',
      file: { filename: '劳动合同.pdf', content, contentType: 'application/pdf' },
    };
    expect((await postMultipart(anonymous, url, form)).status).toBe(401);
    expect((await postMultipart(siblingCadre, url, form)).status).toBe(404);
    expect(errorOf(await postMultipart(applicant.agent, url, { ...form, kind: 'passport' }))).toMatchObject({
      status: 400,
      code: 'WORKFLOW_DOCUMENT_KIND',
      fields: ['body.kind'],
    });
    expect(errorOf(await postMultipart(applicant.agent, url, { kind: 'employmentProof' }))).toMatchObject({
      status: 400,
      fields: ['body.file'],
    });
    const res = await postMultipart(applicant.agent, url, form);
    expect(res.status).toBe(201);
    const attachment = res.json<{ id: string; sha256: string }>();
    expect(res.json()).toMatchObject({ kind: 'employmentProof', fileName: '劳动合同.pdf', sizeBytes: content.length });
    expect(attachment.sha256).toBe(createHash('sha256').update(content).digest('hex'));
    const stored = path.join(t.app.services.workflow.attachmentRoot, inst.id, attachment.id);
    expect(fs.readFileSync(stored)).toEqual(content);
    // Only one file on disk: the refused uploads left nothing behind.
    expect(fs.readdirSync(path.dirname(stored))).toEqual([attachment.id]);

    const file = `/api/workflow/attachments/${attachment.id}/file`;
    const got = await countyCadre.get(file);
    expect(got.status).toBe(200);
    expect(got.headers['content-type']).toBe('application/pdf');
    expect((await anonymous.get(file)).status).toBe(401);
    expect((await siblingCadre.get(file)).status).toBe(404);
    expect((await otherMember.get(file)).status).toBe(404);

    const page = await postMultipart(applicant.agent, url, {
      kind: 'employmentProof',
      file: { filename: 'x.html', content: Buffer.from('<script>alert(1)</script>'), contentType: 'text/html' },
    });
    const html = await countyCadre.get(`/api/workflow/attachments/${page.json<{ id: string }>().id}/file`);
    expect(html.headers['content-type']).toBe('application/octet-stream');
    expect(String(html.headers['content-disposition'])).toMatch(/^attachment;/);

    // The document now present, the approval goes through.
    await engine.act(sys, inst.id, { action: 'approve' });
    expect((await postMultipart(applicant.agent, url, form)).status).toBe(409);
  });
});

describe('public notices and objections', () => {
  it('shows the board with masked names; members object; cadres review with a reason', async () => {
    const { inst, notice } = await noticed();
    expect((await anonymous.get('/api/workflow/notices')).status).toBe(401);
    const board = await otherMember.get(`/api/workflow/notices?orgId=${tree.county.id}&pageSize=200`);
    expect(board.status).toBe(200);
    const row = board.json<{ items: Record<string, unknown>[] }>().items.find((n) => n.id === notice.id);
    expect(row).toMatchObject({
      instanceId: inst.id,
      definitionKey: 'testSubsidy',
      subjectName: '王*明',
      summary: '拟发放特殊困难补助 3000.00 元',
      status: 'open',
    });
    expect(JSON.stringify(board.body)).not.toContain('王大明');
    const elsewhere = await otherMember.get(`/api/workflow/notices?orgId=${tree.sibling.id}&pageSize=200`);
    expect(elsewhere.json<{ items: { id: string }[] }>().items.some((n) => n.id === notice.id)).toBe(false);
    expect((await otherMember.get(`/api/workflow/notices?orgId=${randomUUID()}`)).status).toBe(404);
    expect(errorOf(await otherMember.get('/api/workflow/notices?pageSize=500'))).toMatchObject({
      status: 400,
      fields: ['query.pageSize'],
    });

    const objUrl = `/api/workflow/notices/${notice.id}/objections`;
    expect((await anonymous.post(objUrl, { reason: '不属实' })).status).toBe(401);
    expect(errorOf(await otherMember.post(objUrl, { reason: '' }))).toMatchObject({
      status: 400,
      fields: ['body.reason'],
    });
    expect(
      (await otherMember.post(`/api/workflow/notices/${randomUUID()}/objections`, { reason: '不属实' })).status,
    ).toBe(404);
    const objected = await otherMember.post(objUrl, { reason: '其家庭经营商铺，收入较高' });
    expect(objected.status).toBe(201);
    const objection = objected.json<{ id: string }>();

    // The applicant sees the objection but not who raised it.
    const seen = (await applicant.agent.get(`/api/workflow/instances/${inst.id}`)).json<{
      history: { action: string; actorId: string | null }[];
      objections: { reason: string }[];
    }>();
    expect(seen.history.find((h) => h.action === 'object')!.actorId).toBeNull();
    expect(seen.objections.map((o) => o.reason)).toEqual(['其家庭经营商铺，收入较高']);

    const decide = `/api/workflow/objections/${objection.id}/decision`;
    const body = { decision: 'dismissed', reason: '经入户核实，商铺已于去年注销' };
    expect((await anonymous.post(decide, body)).status).toBe(401);
    expect(errorOf(await otherMember.post(decide, body))).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect((await siblingCadre.post(decide, body)).status).toBe(404);
    const reader = await cadre(tree.county, ['workflow.read']);
    expect(errorOf(await reader.post(decide, body))).toMatchObject({ status: 403, code: 'WORKFLOW_ACTION_FORBIDDEN' });
    expect(errorOf(await countyCadre.post(decide, { decision: 'dismissed' }))).toMatchObject({
      status: 400,
      fields: ['body.reason'],
    });
    const decided = await countyCadre.post(decide, body);
    expect(decided.status).toBe(200);
    expect(decided.json()).toMatchObject({
      id: inst.id,
      state: 'notice',
      actions: [{ action: 'objectionUpheld' }, { action: 'pass' }],
    });
    expect(errorOf(await countyCadre.post(decide, body))).toMatchObject({
      status: 409,
      code: 'WORKFLOW_OBJECTION_DECIDED',
    });

    clock.advance(5 * DAY + 1000);
    otherMember = await signIn(t.app, users.other);
    expect(errorOf(await otherMember.post(objUrl, { reason: '补充异议' }))).toMatchObject({
      status: 409,
      code: 'WORKFLOW_NOTICE_CLOSED',
    });
    const after = await otherMember.get(`/api/workflow/notices?orgId=${tree.county.id}&pageSize=200`);
    expect(after.json<{ items: { id: string }[] }>().items.some((n) => n.id === notice.id)).toBe(false);
  });
});

describe('GET /api/workflow/queue', () => {
  it('lists what waits on unions in scope, soonest due first, overdue flagged', async () => {
    const inst = await joinInstance();
    expect((await anonymous.get('/api/workflow/queue')).status).toBe(401);
    expect(errorOf(await applicant.agent.get('/api/workflow/queue'))).toMatchObject({ status: 403 });
    const mine = await countyCadre.get('/api/workflow/queue?definitionKey=testJoin&pageSize=200');
    expect(mine.status).toBe(200);
    const row = mine.json<{ items: Record<string, unknown>[] }>().items.find((r) => r.id === inst.id);
    expect(row).toMatchObject({
      state: 'review',
      overdue: false,
      actions: [{ action: 'approve' }, { action: 'reject' }],
    });
    const theirs = await siblingCadre.get('/api/workflow/queue?definitionKey=testJoin&pageSize=200');
    expect(theirs.json<{ items: { id: string }[] }>().items.some((r) => r.id === inst.id)).toBe(false);
    expect((await siblingCadre.get(`/api/workflow/queue?orgId=${tree.county.id}`)).status).toBe(404);
    expect(errorOf(await countyCadre.get('/api/workflow/queue?overdue=maybe'))).toMatchObject({
      status: 400,
      fields: ['query.overdue'],
    });

    clock.advance(10 * DAY);
    countyCadre = await signIn(t.app, users.county);
    const overdue = await countyCadre.get(`/api/workflow/queue?orgId=${tree.grassroots.id}&overdue=true&pageSize=200`);
    expect(overdue.json<{ items: Record<string, unknown>[] }>().items.find((r) => r.id === inst.id)).toMatchObject({
      overdue: true,
    });
  });
});
