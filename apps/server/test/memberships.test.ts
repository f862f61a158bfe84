import { createHmac } from 'node:crypto';
import { cardMac, cardStep, cardTokenMessage, formatCardToken } from '@zhgh/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../src/core/actor.ts';
import { outboxFile, readOutbox } from '../src/core/notify/sms.ts';
import type { OrganizationTable } from '../src/db/schema.ts';
import { readCounters, statDay } from '../src/modules/stats/stats.counters.ts';
import { recountSubtree } from '../src/modules/stats/stats.recount.ts';
import { presentCounters } from '../src/modules/stats/stats.service.ts';
import {
  type Agent,
  agent,
  errorOf,
  makeMember,
  makeOrg,
  makeUser,
  memberBody,
  randomPhone,
  signIn,
  signInBySms,
  type TestUser,
} from './factories.ts';
import { createTestApp, createTestClock } from './harness.ts';

/**
 * Membership changes (decision 0017) through the API: transfers started by the member, the
 * union left and the union joined; retention, withdrawal, expulsion, dues and activities, and
 * the daily inactivity run with the clock moved. Scope: a cadre cannot transfer or decide
 * outside their subtree, and out of scope answers like a missing id.
 */

// 10:00 in Beijing on a Tuesday.
const clock = createTestClock(new Date('2026-03-10T02:00:00Z'));
const DAY = 86_400_000;
let t: Awaited<ReturnType<typeof createTestApp>>;
const app = () => t.app;

interface Tree {
  city: OrganizationTable;
  countyA: OrganizationTable;
  countyB: OrganizationTable;
  uA1: OrganizationTable;
  uA2: OrganizationTable;
  uB: OrganizationTable;
}
let tree: Tree;
/** Grassroots cadres at A1, A2 and B; a county cadre over A1 and A2; a cadre holding nothing. */
let cadreA1: Agent;
let cadreA2: Agent;
let cadreB: Agent;
let countyA: Agent;
let nobody: Agent;
let anonymous: Agent;

type Json = Record<string, unknown>;
type TransferBody = {
  id: string;
  state: string;
  stateKind: string;
  version: number;
  fromOrgId: string | null;
  fromOrgName: string | null;
  toOrgId: string;
  toOrgName: string;
  startedBy: string;
  memberNumber: string | null;
  personName: string;
  actions: { action: string }[];
};
type HistoryEntry = {
  id: string;
  orgId: string;
  status: string;
  endedOn: string | null;
  endReason: string | null;
  memberNumber: string | null;
  changes: { kind: string; reasonCode: string | null; reason: string | null }[];
};
type Mine = { memberships: HistoryEntry[]; transfers: TransferBody[]; requests: (Json & { id: string })[] };

/** A member account linked (by its phone) to a record with an open membership at `org`. */
async function memberAccount(org: OrganizationTable, overrides: Record<string, unknown> = {}) {
  const phone = randomPhone();
  const member = await makeMember(app(), { org, phone, ...overrides });
  await makeUser(app(), { kind: 'member', org: null, phone });
  const a = await signInBySms(app(), phone);
  expect((await a.get('/api/me/real-name')).json()).toMatchObject({ bound: true });
  return { agent: a, member, phone, personId: member.person.id };
}

const cadres = new Map<Agent, TestUser>();
async function cadreAt(org: OrganizationTable, role = 'grassroots_cadre') {
  const who = await makeUser(app(), { org, roles: [role], totp: true });
  const a = await signIn(app(), who);
  cadres.set(a, who);
  return a;
}

/** After the clock moved past the sessions' lifetime: every cadre signs in again, keeping their agent. */
async function signInAgain() {
  for (const [a, who] of cadres) {
    const fresh = await signIn(app(), who);
    a.cookie = fresh.cookie;
    a.csrf = fresh.csrf;
  }
}

async function openMembershipOf(personId: string) {
  return app()
    .core.db.selectFrom('membership')
    .selectAll()
    .where('person_id', '=', personId)
    .where('ended_on', 'is', null)
    .executeTakeFirst();
}

/** Every counter of the tree equals a recount of the rows (decision 0009's oracle). */
async function countersAgree() {
  const db = app().core.db;
  // The statistics read rolls the age bands to today first, as every reader sees them.
  const reader = {
    actor: SYSTEM_ACTOR,
    principal: {
      userId: 'counters',
      userKind: 'cadre' as const,
      sessionId: 'counters',
      permissions: new Set(['member.read']),
      grants: [
        {
          id: 'g',
          roleId: 'r',
          roleCode: 'r',
          orgId: tree.city.id,
          orgPath: tree.city.path,
          permissions: new Set(['member.read']),
        },
      ],
    },
  };
  await app().services.stats.ofSubtree(reader, tree.city.id);
  const all = await db.selectFrom('organization').selectAll().where('path', 'like', `${tree.city.path}%`).execute();
  const counters = await readCounters(
    db,
    all.map((o) => o.id),
  );
  for (const org of all) {
    expect(presentCounters(org, counters.get(org.id)!), org.name).toEqual(
      await recountSubtree(db, app().core.dialect, org, statDay(clock.now())),
    );
  }
}

const smsTo = (phone: string) => readOutbox(outboxFile(app().core.config.DATA_DIR)).filter((m) => m.phone === phone);

async function notificationsOf(a: Agent) {
  return (await a.get('/api/me/notifications?pageSize=100')).json<{ items: { kind: string; body: Json }[] }>().items;
}

beforeAll(async () => {
  t = await createTestApp({ SMS_IP_LIMIT_PER_HOUR: '100000' }, { now: clock.now });
  const province = await makeOrg(app());
  const city = await makeOrg(app(), { parent: province, name: '测试市总工会' });
  const cA = await makeOrg(app(), { parent: city, name: '甲区总工会' });
  const cB = await makeOrg(app(), { parent: city, name: '乙区总工会' });
  tree = {
    city,
    countyA: cA,
    countyB: cB,
    uA1: await makeOrg(app(), { parent: cA, name: '甲一机械厂工会', type: 'grassroots' }),
    uA2: await makeOrg(app(), { parent: cA, name: '甲二纺织厂工会', type: 'grassroots' }),
    uB: await makeOrg(app(), { parent: cB, name: '乙区快递联合工会', type: 'joint' }),
  };
  cadreA1 = await cadreAt(tree.uA1);
  cadreA2 = await cadreAt(tree.uA2);
  cadreB = await cadreAt(tree.uB);
  countyA = await cadreAt(tree.countyA, 'federation_cadre');
  const nobodyUser = await makeUser(app(), { org: tree.uA1, totp: true });
  nobody = await signIn(app(), nobodyUser);
  cadres.set(nobody, nobodyUser);
  anonymous = agent(app());
});
afterAll(async () => t?.close());

describe('union lookup', () => {
  it('requires authentication', async () => {
    expect((await anonymous.get('/api/memberships/unions?q=快递')).status).toBe(401);
  });

  it('needs two characters of the name', async () => {
    const res = await nobody.get('/api/memberships/unions?q=快');
    expect(errorOf(res)).toMatchObject({ status: 400, fields: ['query.q'] });
  });

  it('finds grassroots and joint unions by name, never a federation, with name, id and region only', async () => {
    const { agent: a } = await memberAccount(tree.uA1);
    const res = await a.get(`/api/memberships/unions?q=${encodeURIComponent('乙区')}`);
    expect(res.status).toBe(200);
    const items = res.json<{ items: Json[] }>().items;
    expect(items.map((i) => i.id)).toContain(tree.uB.id);
    expect(items.map((i) => i.id)).not.toContain(tree.countyB.id);
    expect(items.find((i) => i.id === tree.uB.id)).toEqual({
      id: tree.uB.id,
      name: '乙区快递联合工会',
      type: 'joint',
      regionCode: null,
      parentName: '乙区总工会',
    });
  });

  it('narrows to a region', async () => {
    const inRegion = await makeOrg(app(), { parent: tree.countyB, name: '雁塔快递网点工会', type: 'grassroots' });
    await app()
      .core.db.updateTable('organization')
      .set({ region_code: '610113' })
      .where('id', '=', inRegion.id)
      .execute();
    const near = (await nobody.get(`/api/memberships/unions?q=${encodeURIComponent('快递')}&regionCode=610100`)).json<{
      items: Json[];
    }>().items;
    expect(near.map((i) => i.id)).toEqual([inRegion.id]);
    const far = (await nobody.get(`/api/memberships/unions?q=${encodeURIComponent('快递')}&regionCode=620000`)).json<{
      items: Json[];
    }>().items;
    expect(far).toEqual([]);
  });
});

describe('a transfer the member asks for on the portal', () => {
  let m: Awaited<ReturnType<typeof memberAccount>>;
  let transfer: TransferBody;
  let before: { memberNumber: string | null; membershipId: string };

  beforeAll(async () => {
    m = await memberAccount(tree.uA1, { name: '赵转会' });
    const open = (await openMembershipOf(m.personId))!;
    before = { memberNumber: open.member_number, membershipId: open.id };
  });

  it('requires authentication', async () => {
    expect((await anonymous.post('/api/memberships/transfers', { toOrgId: tree.uB.id })).status).toBe(401);
    expect((await anonymous.get('/api/memberships/mine')).status).toBe(401);
  });

  it('refuses an account without a real-name record', async () => {
    const phone = randomPhone();
    await makeUser(app(), { kind: 'member', org: null, phone });
    const a = await signInBySms(app(), phone);
    expect(errorOf(await a.post('/api/memberships/transfers', { toOrgId: tree.uB.id }))).toMatchObject({
      status: 409,
      code: 'MEMBERSHIP_PERSON_NOT_BOUND',
    });
    expect(errorOf(await a.get('/api/memberships/mine'))).toMatchObject({ code: 'MEMBERSHIP_PERSON_NOT_BOUND' });
  });

  it('refuses bad input with the field named', async () => {
    expect(errorOf(await m.agent.post('/api/memberships/transfers', {}))).toMatchObject({
      status: 400,
      fields: ['body.toOrgId'],
    });
    expect(errorOf(await m.agent.post('/api/memberships/transfers', { toOrgId: tree.countyB.id }))).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      fields: ['body.toOrgId'],
    });
    expect(errorOf(await m.agent.post('/api/memberships/transfers', { toOrgId: tree.uA1.id }))).toMatchObject({
      status: 409,
      code: 'MEMBERSHIP_TRANSFER_SAME_UNION',
      fields: ['body.toOrgId'],
    });
    expect((await m.agent.post('/api/memberships/transfers', { toOrgId: 'no-such-union' })).status).toBe(404);
  });

  it('starts at the union joined; the member is told in-app and by SMS', async () => {
    const res = await m.agent.post('/api/memberships/transfers', { toOrgId: tree.uB.id, comment: '换工作到快递公司' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    transfer = res.json<TransferBody>();
    expect(transfer).toMatchObject({
      state: 'review',
      stateKind: 'review',
      startedBy: 'member',
      fromOrgId: tree.uA1.id,
      fromOrgName: '甲一机械厂工会',
      toOrgId: tree.uB.id,
      personName: '赵*会',
      memberNumber: before.memberNumber,
    });
    expect(transfer.actions.map((a) => a.action)).toEqual(['cancel']);
    expect((await notificationsOf(m.agent)).some((n) => n.kind === 'workflow.step')).toBe(true);
    expect(smsTo(m.phone).some((s) => s.text.includes('会员转会'))).toBe(true);
  });

  it('refuses a second request while one is open', async () => {
    expect(errorOf(await m.agent.post('/api/memberships/transfers', { toOrgId: tree.uA2.id }))).toMatchObject({
      status: 409,
      code: 'MEMBERSHIP_CHANGE_PENDING',
    });
    expect(errorOf(await m.agent.post('/api/memberships/requests', { kind: 'withdraw' }))).toMatchObject({
      code: 'MEMBERSHIP_CHANGE_PENDING',
    });
  });

  it('both sides see it: the union joined in "in", the union left in "out"; others do not', async () => {
    const ids = async (a: Agent, direction: 'in' | 'out') =>
      (await a.get(`/api/memberships/transfers?direction=${direction}&pageSize=200`))
        .json<{ items: TransferBody[] }>()
        .items.map((i) => i.id);
    expect(await ids(cadreB, 'in')).toContain(transfer.id);
    expect(await ids(cadreB, 'out')).not.toContain(transfer.id);
    expect(await ids(cadreA1, 'out')).toContain(transfer.id);
    expect(await ids(cadreA1, 'in')).not.toContain(transfer.id);
    expect(await ids(countyA, 'out')).toContain(transfer.id);
    expect(await ids(cadreA2, 'out')).not.toContain(transfer.id);
    expect(await ids(cadreA2, 'in')).not.toContain(transfer.id);
    expect((await nobody.get('/api/memberships/transfers?direction=in')).status).toBe(403);
    expect((await anonymous.get('/api/memberships/transfers?direction=in')).status).toBe(401);
    expect(errorOf(await cadreB.get('/api/memberships/transfers'))).toMatchObject({
      status: 400,
      fields: ['query.direction'],
    });
    expect((await cadreB.get(`/api/memberships/transfers?direction=in&orgId=${tree.uA1.id}`)).status).toBe(404);
  });

  it('names the union left only where the cadre may read its members', async () => {
    const asB = (await cadreB.get(`/api/memberships/transfers/${transfer.id}`)).json<TransferBody>();
    expect(asB).toMatchObject({ fromOrgId: null, fromOrgName: null, toOrgId: tree.uB.id });
    expect(asB.actions.map((a) => a.action).sort()).toEqual(['accept', 'decline']);
    const asA1 = (await cadreA1.get(`/api/memberships/transfers/${transfer.id}`)).json<TransferBody>();
    expect(asA1).toMatchObject({ fromOrgId: tree.uA1.id, fromOrgName: '甲一机械厂工会' });
    expect(asA1.actions).toEqual([]);
    // Outside both sides: the 404 of a missing id.
    expect((await cadreA2.get(`/api/memberships/transfers/${transfer.id}`)).status).toBe(404);
    expect((await cadreA2.get(`/api/workflow/instances/${transfer.id}`)).status).toBe(404);
  });

  it('the union left sees and comments, but cannot block: it has no step', async () => {
    const seen = await cadreA1.get(`/api/workflow/instances/${transfer.id}`);
    expect(seen.status).toBe(200);
    const comment = await cadreA1.post(`/api/workflow/instances/${transfer.id}/comments`, {
      text: '该会员会费已交至二月',
    });
    expect(comment.status, JSON.stringify(comment.body)).toBe(201);
    for (const action of ['decline', 'accept']) {
      expect(
        errorOf(await cadreA1.post(`/api/memberships/transfers/${transfer.id}/steps`, { action, comment: '不同意' })),
      ).toMatchObject({ status: 403, code: 'WORKFLOW_ACTION_FORBIDDEN' });
    }
    // The member cannot decide their own transfer either.
    expect(
      errorOf(await m.agent.post(`/api/memberships/transfers/${transfer.id}/steps`, { action: 'accept' })),
    ).toMatchObject({ status: 403, code: 'WORKFLOW_ACTION_FORBIDDEN' });
  });

  it('a cadre outside the union joined cannot decide it (404)', async () => {
    const res = await cadreA2.post(`/api/memberships/transfers/${transfer.id}/steps`, { action: 'accept' });
    expect(res.status).toBe(404);
    expect((await anonymous.post(`/api/memberships/transfers/${transfer.id}/steps`, { action: 'accept' })).status).toBe(
      401,
    );
  });

  it('declining needs a reason', async () => {
    expect(
      errorOf(await cadreB.post(`/api/memberships/transfers/${transfer.id}/steps`, { action: 'decline' })),
    ).toMatchObject({ status: 400, fields: ['body.comment'] });
    expect(
      errorOf(await cadreB.post(`/api/memberships/transfers/${transfer.id}/steps`, { action: 'approve' })),
    ).toMatchObject({ status: 409, code: 'WORKFLOW_ACTION_UNAVAILABLE' });
  });

  it('accepted: the membership moves with the same member number, history kept, counters exact', async () => {
    const res = await cadreB.post(`/api/memberships/transfers/${transfer.id}/steps`, {
      action: 'accept',
      expectedVersion: transfer.version,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.json()).toMatchObject({ state: 'accepted', stateKind: 'done', actions: [] });

    const open = (await openMembershipOf(m.personId))!;
    expect(open).toMatchObject({ org_id: tree.uB.id, status: 'active', member_number: before.memberNumber });
    const old = await app()
      .core.db.selectFrom('membership')
      .selectAll()
      .where('id', '=', before.membershipId)
      .executeTakeFirstOrThrow();
    expect(old).toMatchObject({ status: 'transferred_out', end_reason: 'transfer', ended_on: '2026-03-10' });

    const mine = (await m.agent.get('/api/memberships/mine')).json<Mine>();
    expect(mine.memberships.map((x) => [x.orgId, x.status, x.memberNumber])).toEqual([
      [tree.uB.id, 'active', before.memberNumber],
      [tree.uA1.id, 'transferred_out', before.memberNumber],
    ]);
    expect(mine.memberships[0]!.changes).toMatchObject([{ kind: 'transfer_in', reason: '甲一机械厂工会' }]);
    expect(mine.memberships[1]!.changes).toMatchObject([{ kind: 'transfer_out', reason: '乙区快递联合工会' }]);
    expect(mine.transfers[0]).toMatchObject({ id: transfer.id, state: 'accepted', fromOrgName: '甲一机械厂工会' });

    // The member was told of the acceptance, in the inbox and by SMS.
    expect(smsTo(m.phone).filter((s) => s.text.includes('会员转会')).length).toBeGreaterThanOrEqual(2);
    // The union joined now holds the member; the union left reads the history no more.
    expect((await cadreB.get(`/api/memberships/people/${m.personId}`)).status).toBe(200);
    expect((await cadreA1.get(`/api/memberships/people/${m.personId}`)).status).toBe(404);
    // The card follows the open membership.
    expect((await m.agent.get('/api/me/card')).json()).toMatchObject({ unionName: '乙区快递联合工会', valid: true });
    await countersAgree();
  });

  it('a decided transfer takes no more steps', async () => {
    expect(
      errorOf(
        await cadreB.post(`/api/memberships/transfers/${transfer.id}/steps`, { action: 'decline', comment: 'x' }),
      ),
    ).toMatchObject({ status: 409, code: 'WORKFLOW_ACTION_UNAVAILABLE' });
  });
});

describe('a transfer filed before the union left merged', () => {
  it('moves the membership the merger carried on, with the same member number', async () => {
    const merging = await makeOrg(app(), { parent: tree.countyA, name: '甲三并入前工会', type: 'grassroots' });
    const m = await memberAccount(merging, { name: '钱并转' });
    const number = (await openMembershipOf(m.personId))!.member_number;
    const res = await m.agent.post('/api/memberships/transfers', { toOrgId: tree.uB.id, comment: '换工作' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const transfer = res.json<TransferBody>();
    // It waits on the union joined, not on the one left: the merger goes ahead.
    const merged = await countyA.post(`/api/orgs/${merging.id}/merge`, { targetId: tree.uA1.id, reason: '合并' });
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);
    expect(await openMembershipOf(m.personId)).toMatchObject({ org_id: tree.uA1.id, member_number: number });
    // It now leaves from the target: its cadres see it as their union's, with the member's name.
    const seen = await cadreA1.get(`/api/memberships/transfers/${transfer.id}`);
    expect(seen.status, JSON.stringify(seen.body)).toBe(200);
    expect(seen.json()).toMatchObject({ fromOrgId: tree.uA1.id, toOrgId: tree.uB.id, state: 'review' });
    const [event] = await app()
      .core.db.selectFrom('audit_event')
      .select('changes')
      .where('action', '=', 'org.merge')
      .where('subject_id', '=', merging.id)
      .execute();
    expect(JSON.parse(event!.changes!)).toEqual(
      expect.arrayContaining([
        { field: 'transfersRepointed', to: 1 },
        { field: 'membersTold', to: 1 },
      ]),
    );
    // The member is told in the inbox, linked to the membership now open at the target.
    const inbox = (await m.agent.get('/api/me/notifications?page=1&pageSize=20')).json<{
      items: { kind: string; body: { 'zh-CN': string }; link: { type: string; id: string } | null }[];
    }>();
    const told = inbox.items.filter((n) => n.kind === 'membership.merged');
    expect(told).toHaveLength(1);
    expect(told[0]!.body['zh-CN']).toContain('甲三并入前工会');
    expect(told[0]!.link).toEqual({ type: 'membership', id: (await openMembershipOf(m.personId))!.id });

    const accepted = await cadreB.post(`/api/memberships/transfers/${transfer.id}/steps`, {
      action: 'accept',
      expectedVersion: transfer.version,
    });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    const open = await app()
      .core.db.selectFrom('membership')
      .select(['org_id', 'member_number'])
      .where('person_id', '=', m.personId)
      .where('ended_on', 'is', null)
      .execute();
    expect(open).toEqual([{ org_id: tree.uB.id, member_number: number }]);
    await countersAgree();
  });
});

describe('a transfer the union left starts', () => {
  it('names its own member; outside its scope the person does not exist', async () => {
    const m = await memberAccount(tree.uA1, { name: '钱师傅' });
    expect(
      (await cadreB.post('/api/memberships/transfers', { personId: m.personId, toOrgId: tree.uB.id })).status,
    ).toBe(404);
    expect(
      (await cadreA2.post('/api/memberships/transfers', { personId: m.personId, toOrgId: tree.uB.id })).status,
    ).toBe(404);
    expect(
      errorOf(
        await cadreA1.post('/api/memberships/transfers', {
          personId: m.personId,
          idNumber: '610113199005150019',
          toOrgId: tree.uB.id,
        }),
      ),
    ).toMatchObject({ status: 400, fields: ['body.idNumber'] });
    const res = await cadreA1.post('/api/memberships/transfers', { personId: m.personId, toOrgId: tree.uB.id });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const started = res.json<TransferBody>();
    expect(started).toMatchObject({ startedBy: 'from_union', fromOrgId: tree.uA1.id, state: 'review' });
    // The union that started it still has no step there; the member, the applicant, may cancel.
    expect(started.actions).toEqual([]);
    expect(
      (await m.agent.get(`/api/memberships/transfers/${started.id}`)).json<TransferBody>().actions.map((a) => a.action),
    ).toEqual(['cancel']);
    const accepted = await cadreB.post(`/api/memberships/transfers/${started.id}/steps`, { action: 'accept' });
    expect(accepted.json()).toMatchObject({ state: 'accepted' });
    expect((await openMembershipOf(m.personId))!.org_id).toBe(tree.uB.id);
    await countersAgree();
  });
});

describe('a transfer the union joined starts by ID number', () => {
  it('needs the union in its scope and a person with an open membership', async () => {
    const m = await memberAccount(tree.uA1, { name: '孙快递' });
    const idNumber = m.member.idNumber;
    expect((await cadreA2.post('/api/memberships/transfers', { idNumber, toOrgId: tree.uB.id })).status).toBe(404);
    expect(
      errorOf(await cadreB.post('/api/memberships/transfers', { idNumber: '61011319900515001X', toOrgId: tree.uB.id })),
    ).toMatchObject({ status: 400, fields: ['body.idNumber'] });
    const stranger = memberBody(tree.uB.id).idNumber as string;
    expect(
      errorOf(await cadreB.post('/api/memberships/transfers', { idNumber: stranger, toOrgId: tree.uB.id })),
    ).toMatchObject({ status: 409, code: 'MEMBERSHIP_NOT_OPEN', fields: ['body.idNumber'] });

    const res = await cadreB.post('/api/memberships/transfers', { idNumber, toOrgId: tree.uB.id });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const started = res.json<TransferBody>();
    // The person's present union lies outside B's member.read scope: it is not named.
    expect(started).toMatchObject({ startedBy: 'to_union', fromOrgId: null, fromOrgName: null, state: 'review' });
    expect(JSON.stringify(started)).not.toContain(idNumber);
    // The member hears of it and may cancel it.
    expect((await notificationsOf(m.agent)).some((n) => n.kind === 'workflow.step')).toBe(true);
    const cancelled = await m.agent.post(`/api/memberships/transfers/${started.id}/steps`, { action: 'cancel' });
    expect(cancelled.json()).toMatchObject({ state: 'cancelled', stateKind: 'withdrawn' });
    expect((await openMembershipOf(m.personId))!.org_id).toBe(tree.uA1.id);
    // Instance data never holds the ID number.
    const row = await app()
      .core.db.selectFrom('workflow_instance')
      .select('data')
      .where('id', '=', started.id)
      .executeTakeFirstOrThrow();
    expect(row.data).not.toContain(idNumber);
  });

  it('a declined transfer leaves the membership where it was', async () => {
    const m = await memberAccount(tree.uA2, { name: '周工' });
    const started = (
      await cadreB.post('/api/memberships/transfers', { idNumber: m.member.idNumber, toOrgId: tree.uB.id })
    ).json<TransferBody>();
    const declined = await cadreB.post(`/api/memberships/transfers/${started.id}/steps`, {
      action: 'decline',
      comment: '经核实未在本单位就业',
    });
    expect(declined.json()).toMatchObject({ state: 'declined', stateKind: 'rejected' });
    expect((await openMembershipOf(m.personId))!.org_id).toBe(tree.uA2.id);
    const texts = (await notificationsOf(m.agent)).map((n) => JSON.stringify(n.body));
    expect(texts.some((x) => x.includes('经核实未在本单位就业'))).toBe(true);
  });
});

describe('retention', () => {
  it('the member asks with a reason; the union approves; the card stays valid', async () => {
    const m = await memberAccount(tree.uA1, { name: '吴退休' });
    expect((await anonymous.post('/api/memberships/requests', { kind: 'retain' })).status).toBe(401);
    expect(errorOf(await m.agent.post('/api/memberships/requests', { kind: 'retain' }))).toMatchObject({
      status: 400,
      fields: ['body.reasonCode'],
    });
    expect(errorOf(await m.agent.post('/api/memberships/requests', { kind: 'stay' }))).toMatchObject({
      status: 400,
      fields: ['body.kind'],
    });
    const res = await m.agent.post('/api/memberships/requests', { kind: 'retain', reasonCode: 'retired' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const request = res.json<{ id: string; state: string; orgId: string; kind: string; reasonCode: string }>();
    expect(request).toMatchObject({ kind: 'retain', reasonCode: 'retired', state: 'review', orgId: tree.uA1.id });

    const listed = (await cadreA1.get('/api/memberships/requests?kind=retain&open=true&pageSize=200')).json<{
      items: { id: string }[];
    }>();
    expect(listed.items.map((i) => i.id)).toContain(request.id);
    expect(
      (await cadreB.get('/api/memberships/requests?pageSize=200')).json<{ items: { id: string }[] }>().items,
    ).not.toContainEqual(expect.objectContaining({ id: request.id }));
    expect((await nobody.get('/api/memberships/requests')).status).toBe(403);
    expect((await cadreB.get(`/api/memberships/requests?orgId=${tree.uA1.id}`)).status).toBe(404);
    expect((await cadreB.post(`/api/memberships/requests/${request.id}/steps`, { action: 'approve' })).status).toBe(
      404,
    );

    // The card issued before retention stays valid: retirees keep their card.
    const card = (await m.agent.post('/api/me/card')).json<{ cardId: string; secret: string }>();
    const approved = await cadreA1.post(`/api/memberships/requests/${request.id}/steps`, { action: 'approve' });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.json()).toMatchObject({ state: 'approved', stateKind: 'done' });
    expect((await openMembershipOf(m.personId))!.status).toBe('retained');
    const merchant = await signIn(app(), await makeUser(app(), { kind: 'merchant', roles: ['merchant'] }));
    const verdict = await merchant.post('/api/cards/verify', { code: tokenAt(card.secret, card.cardId, clock.now()) });
    expect(verdict.json()).toMatchObject({ result: 'valid' });
    expect((await m.agent.get('/api/me/card')).json()).toMatchObject({ membershipStatus: 'retained', valid: true });

    const mine = (await m.agent.get('/api/memberships/mine')).json<Mine>();
    expect(mine.memberships[0]).toMatchObject({ status: 'retained' });
    expect(mine.memberships[0]!.changes).toMatchObject([{ kind: 'retain', reasonCode: 'retired' }]);
    expect(
      errorOf(await m.agent.post('/api/memberships/requests', { kind: 'retain', reasonCode: 'retired' })),
    ).toMatchObject({ status: 409, code: 'MEMBERSHIP_STATUS_NOT_ALLOWED' });
    await countersAgree();
  });
});

describe('withdrawal and rejoining', () => {
  it('declined with a reason, asked again, approved; the person rejoins through registration', async () => {
    const m = await memberAccount(tree.uA2, { name: '郑离会' });
    const first = (await m.agent.post('/api/memberships/requests', { kind: 'withdraw', comment: '个人原因' })).json<{
      id: string;
    }>();
    expect(
      errorOf(await cadreA2.post(`/api/memberships/requests/${first.id}/steps`, { action: 'decline' })),
    ).toMatchObject({
      status: 400,
      fields: ['body.comment'],
    });
    const declined = await cadreA2.post(`/api/memberships/requests/${first.id}/steps`, {
      action: 'decline',
      comment: '请先与工会沟通',
    });
    expect(declined.json()).toMatchObject({ state: 'declined' });
    const second = (await m.agent.post('/api/memberships/requests', { kind: 'withdraw' })).json<{ id: string }>();
    const approved = await countyA.post(`/api/memberships/requests/${second.id}/steps`, { action: 'approve' });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    const closed = await app()
      .core.db.selectFrom('membership')
      .selectAll()
      .where('person_id', '=', m.personId)
      .executeTakeFirstOrThrow();
    expect(closed).toMatchObject({ status: 'withdrawn', end_reason: 'withdrawal', ended_on: '2026-03-10' });
    expect(errorOf(await m.agent.post('/api/memberships/requests', { kind: 'withdraw' }))).toMatchObject({
      status: 409,
      code: 'MEMBERSHIP_NOT_OPEN',
    });
    await countersAgree();

    // Rejoining: the existing registration API, the same person, a new membership.
    const rejoin = await cadreA2.post('/api/members', {
      ...memberBody(tree.uA2.id),
      name: '郑离会',
      idNumber: m.member.idNumber,
      phone: m.phone,
      joinDate: '2026-03-10',
    });
    expect(rejoin.status, JSON.stringify(rejoin.body)).toBe(201);
    expect(rejoin.json()).toMatchObject({ id: m.personId, membership: { status: 'active' } });
    const history = (await cadreA2.get(`/api/memberships/people/${m.personId}`)).json<{
      memberships: HistoryEntry[];
    }>();
    expect(history.memberships.map((x) => x.status)).toEqual(['active', 'withdrawn']);
    expect(history.memberships[1]!.changes).toMatchObject([{ kind: 'withdraw' }]);
    await countersAgree();
  });
});

describe('expulsion', () => {
  it('needs membership.review in scope and a reason; ends the membership and tells the member', async () => {
    const m = await memberAccount(tree.uA1, { name: '冯违纪' });
    const body = { personId: m.personId, reason: '严重违反工会章程' };
    expect((await anonymous.post('/api/memberships/expulsions', body)).status).toBe(401);
    expect((await nobody.post('/api/memberships/expulsions', body)).status).toBe(403);
    expect((await cadreB.post('/api/memberships/expulsions', body)).status).toBe(404);
    expect(
      errorOf(await cadreA1.post('/api/memberships/expulsions', { personId: m.personId, reason: '违' })),
    ).toMatchObject({ status: 400, fields: ['body.reason'] });
    const res = await cadreA1.post('/api/memberships/expulsions', body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const after = res.json<{ memberships: HistoryEntry[] }>();
    expect(after.memberships[0]).toMatchObject({ status: 'withdrawn', endReason: 'expelled' });
    expect(after.memberships[0]!.changes).toMatchObject([{ kind: 'expel', reason: '严重违反工会章程' }]);
    expect((await notificationsOf(m.agent)).some((n) => n.kind === 'membership.change')).toBe(true);
    expect(smsTo(m.phone).some((s) => s.text.includes('严重违反工会章程'))).toBe(true);
    expect(errorOf(await cadreA1.post('/api/memberships/expulsions', body))).toMatchObject({
      status: 409,
      code: 'MEMBERSHIP_NOT_OPEN',
    });
    const audit = await app()
      .core.db.selectFrom('audit_event')
      .selectAll()
      .where('action', '=', 'membership.expel')
      .where('subject_id', '=', m.personId)
      .execute();
    expect(audit).toHaveLength(1);
    await countersAgree();
  });
});

describe('dues and activities', () => {
  it('records dues once per month and activities, for members in scope', async () => {
    const a = await makeMember(app(), { org: tree.uA1 });
    const b = await makeMember(app(), { org: tree.uA2 });
    const dues = { kind: 'dues', personIds: [a.person.id, b.person.id], month: '2026-02' };
    expect((await anonymous.post('/api/memberships/activity-records', dues)).status).toBe(401);
    expect((await nobody.post('/api/memberships/activity-records', dues)).status).toBe(403);
    // B's member is outside A1's scope: the whole record answers like a missing id.
    expect((await cadreA1.post('/api/memberships/activity-records', dues)).status).toBe(404);
    expect(
      errorOf(await countyA.post('/api/memberships/activity-records', { ...dues, month: undefined })),
    ).toMatchObject({
      status: 400,
      fields: ['body.month'],
    });
    expect(
      errorOf(await countyA.post('/api/memberships/activity-records', { ...dues, month: '2026-04' })),
    ).toMatchObject({
      status: 400,
      fields: ['body.month'],
    });
    expect(
      errorOf(await countyA.post('/api/memberships/activity-records', { ...dues, occurredOn: '2026-03-11' })),
    ).toMatchObject({ status: 400, fields: ['body.occurredOn'] });
    const first = await countyA.post('/api/memberships/activity-records', dues);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.json()).toEqual({ recorded: 2, already: 0 });
    expect((await countyA.post('/api/memberships/activity-records', dues)).json()).toEqual({ recorded: 0, already: 2 });
    const activity = await cadreA1.post('/api/memberships/activity-records', {
      kind: 'activity',
      personIds: [a.person.id],
      title: '三八节健步走',
      occurredOn: '2026-03-08',
    });
    expect(activity.json()).toEqual({ recorded: 1, already: 0 });
    const history = (await cadreA1.get(`/api/memberships/people/${a.person.id}`)).json<{ activity: Json[] }>();
    expect(history.activity).toMatchObject([
      { kind: 'dues', month: '2026-02', occurredOn: '2026-03-10', orgName: '甲一机械厂工会' },
      { kind: 'activity', title: '三八节健步走', occurredOn: '2026-03-08' },
    ]);
  });

  it('does not record dues for a retained member', async () => {
    const m = await memberAccount(tree.uA1);
    const request = (
      await m.agent.post('/api/memberships/requests', { kind: 'retain', reasonCode: 'unemployed' })
    ).json<{
      id: string;
    }>();
    await cadreA1.post(`/api/memberships/requests/${request.id}/steps`, { action: 'approve' });
    expect(
      errorOf(
        await cadreA1.post('/api/memberships/activity-records', {
          kind: 'dues',
          personIds: [m.personId],
          month: '2026-02',
        }),
      ),
    ).toMatchObject({ status: 409, code: 'MEMBERSHIP_STATUS_NOT_ALLOWED', fields: ['body.personIds.0'] });
  });
});

describe('member history', () => {
  it('answers 401, 403, and 404 outside scope like a missing id', async () => {
    const m = await makeMember(app(), { org: tree.uA1 });
    expect((await anonymous.get(`/api/memberships/people/${m.person.id}`)).status).toBe(401);
    expect((await nobody.get(`/api/memberships/people/${m.person.id}`)).status).toBe(403);
    const outside = await cadreB.get(`/api/memberships/people/${m.person.id}`);
    const missing = await cadreB.get('/api/memberships/people/no-such-person');
    expect(outside.status).toBe(404);
    expect((outside.body as { error: { code: string } }).error.code).toBe(
      (missing.body as { error: { code: string } }).error.code,
    );
    const res = await countyA.get(`/api/memberships/people/${m.person.id}`);
    expect(res.json()).toMatchObject({ personId: m.person.id, memberships: [{ status: 'active', changes: [] }] });
  });
});

describe('the daily inactivity run', () => {
  let quiet: Awaited<ReturnType<typeof memberAccount>>;
  let dismissedOne: string;
  let unionQ: OrganizationTable;

  it('proposes, per union, the members with no dues and no activity for six months', async () => {
    // The app proposed once at start (the day is claimed): the members below appear the next day.
    unionQ = await makeOrg(app(), { parent: tree.countyA, name: '甲三电子厂工会', type: 'grassroots' });
    quiet = await memberAccount(unionQ, { name: '陈沉默', joinDate: '2024-03-01' });
    const second = await makeMember(app(), { org: unionQ, joinDate: '2024-03-01' });
    const paid = await makeMember(app(), { org: unionQ, joinDate: '2024-03-01' });
    const active = await makeMember(app(), { org: unionQ, joinDate: '2024-03-01' });
    const applied = await memberAccount(unionQ, { joinDate: '2024-03-01' });
    const carded = await memberAccount(unionQ, { joinDate: '2024-03-01' });
    const newcomer = await makeMember(app(), { org: unionQ, joinDate: '2026-02-01' });
    await countyA.post('/api/memberships/activity-records', {
      kind: 'dues',
      personIds: [paid.person.id],
      month: '2026-02',
      occurredOn: '2026-02-20',
    });
    await countyA.post('/api/memberships/activity-records', {
      kind: 'activity',
      personIds: [active.person.id],
      title: '职工运动会',
      occurredOn: '2026-03-01',
    });
    // An application started counts: asked to withdraw, then thought better of it.
    const asked = (await applied.agent.post('/api/memberships/requests', { kind: 'withdraw' })).json<{ id: string }>();
    await applied.agent.post(`/api/memberships/requests/${asked.id}/steps`, { action: 'cancel' });
    // A card shown at a merchant counts.
    const card = (await carded.agent.post('/api/me/card')).json<{ cardId: string; secret: string }>();
    const merchant = await signIn(app(), await makeUser(app(), { kind: 'merchant', roles: ['merchant'] }));
    expect(
      (await merchant.post('/api/cards/verify', { code: tokenAt(card.secret, card.cardId, clock.now()) })).json(),
    ).toMatchObject({ result: 'valid' });

    // The next day: the two who joined in 2024 and did nothing since are proposed; dues, an
    // activity, an application or a card check within six months keep the others off the list,
    // as does joining less than six months ago.
    clock.advance(DAY);
    await signInAgain();
    await app().services.memberships.proposeInactive();
    const none = (await countyA.get(`/api/memberships/inactivity-proposals?orgId=${unionQ.id}`)).json<{
      items: Json[];
    }>();
    expect(none.items.map((i) => i.personId)).toEqual(expect.arrayContaining([quiet.personId, second.person.id]));
    expect(none.items.map((i) => i.personId)).not.toContain(paid.person.id);
    expect(none.items.map((i) => i.personId)).not.toContain(active.person.id);
    expect(none.items.map((i) => i.personId)).not.toContain(applied.personId);
    expect(none.items.map((i) => i.personId)).not.toContain(carded.personId);
    expect(none.items.map((i) => i.personId)).not.toContain(newcomer.person.id);
    expect(none.items).toHaveLength(2);
    expect(none.items.find((i) => i.personId === quiet.personId)).toMatchObject({
      personName: '陈*默',
      orgId: unionQ.id,
      status: 'open',
      lastSignOn: '2024-03-01',
    });

    // The same day again: nothing new, nothing twice.
    expect(await app().services.memberships.proposeInactive()).toBe(0);
    dismissedOne = none.items.find((i) => i.personId === second.person.id)!.id as string;
  });

  it('lists in scope only, with 401 / 403 / 404', async () => {
    expect((await anonymous.get('/api/memberships/inactivity-proposals')).status).toBe(401);
    expect((await nobody.get('/api/memberships/inactivity-proposals')).status).toBe(403);
    expect((await cadreB.get(`/api/memberships/inactivity-proposals?orgId=${unionQ.id}`)).status).toBe(404);
    const b = (await cadreB.get('/api/memberships/inactivity-proposals?pageSize=200')).json<{ items: Json[] }>();
    expect(b.items.every((i) => i.orgId === tree.uB.id)).toBe(true);
    expect(errorOf(await countyA.get('/api/memberships/inactivity-proposals?status=maybe'))).toMatchObject({
      status: 400,
      fields: ['query.status'],
    });
  });

  it('the union confirms in a batch (member withdrawn as inactive, told) or dismisses with a reason', async () => {
    const open = (await countyA.get(`/api/memberships/inactivity-proposals?orgId=${unionQ.id}`)).json<{
      items: { id: string; personId: string }[];
    }>().items;
    const quietOne = open.find((p) => p.personId === quiet.personId)!.id;
    expect(
      (
        await anonymous.post('/api/memberships/inactivity-proposals/decisions', {
          ids: [quietOne],
          decision: 'confirm',
        })
      ).status,
    ).toBe(401);
    expect(
      (await nobody.post('/api/memberships/inactivity-proposals/decisions', { ids: [quietOne], decision: 'confirm' }))
        .status,
    ).toBe(403);
    expect(
      (await cadreB.post('/api/memberships/inactivity-proposals/decisions', { ids: [quietOne], decision: 'confirm' }))
        .status,
    ).toBe(404);
    expect(
      errorOf(
        await countyA.post('/api/memberships/inactivity-proposals/decisions', {
          ids: [dismissedOne],
          decision: 'dismiss',
        }),
      ),
    ).toMatchObject({ status: 400, fields: ['body.reason'] });
    expect(
      errorOf(await countyA.post('/api/memberships/inactivity-proposals/decisions', { ids: [], decision: 'confirm' })),
    ).toMatchObject({ status: 400, fields: ['body.ids'] });

    const dismissed = await countyA.post('/api/memberships/inactivity-proposals/decisions', {
      ids: [dismissedOne],
      decision: 'dismiss',
      reason: '长期外派，会费由单位代扣',
    });
    expect(dismissed.json()).toMatchObject({ items: [{ id: dismissedOne, status: 'dismissed' }] });
    const confirmed = await countyA.post('/api/memberships/inactivity-proposals/decisions', {
      ids: [quietOne, dismissedOne],
      decision: 'confirm',
    });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    // The dismissed one stays dismissed: a decision is not taken twice.
    expect(confirmed.json()).toMatchObject({
      items: [
        { id: quietOne, status: 'confirmed' },
        { id: dismissedOne, status: 'dismissed' },
      ],
    });
    const closed = await app()
      .core.db.selectFrom('membership')
      .selectAll()
      .where('person_id', '=', quiet.personId)
      .executeTakeFirstOrThrow();
    expect(closed).toMatchObject({ status: 'withdrawn', end_reason: 'inactive' });
    expect(
      (await notificationsOf(await signInBySms(app(), quiet.phone))).some((n) => n.kind === 'membership.change'),
    ).toBe(true);
    expect(smsTo(quiet.phone).some((s) => s.text.includes('六个月'))).toBe(true);
    await countersAgree();
  });

  it('the next day proposes neither the withdrawn nor the dismissed member', async () => {
    clock.advance(DAY);
    await signInAgain();
    await app().services.memberships.proposeInactive();
    const open = (await countyA.get(`/api/memberships/inactivity-proposals?orgId=${unionQ.id}`)).json<{
      items: Json[];
    }>();
    expect(open.items).toEqual([]);
  });
});

function tokenAt(secret: string, cardId: string, at: Date): string {
  const step = cardStep(at);
  const digest = createHmac('sha256', Buffer.from(secret, 'base64url')).update(cardTokenMessage(cardId, step)).digest();
  return formatCardToken(cardId, step, cardMac(digest));
}
