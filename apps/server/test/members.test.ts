import { randomUUID } from 'node:crypto';
import {
  idNumberCheckChar,
  luhnCheckDigit,
  memberRoutes,
  orgRoutes,
  PERMISSION_CODES,
  type RouteContract,
  upgradeIdNumber15,
} from '@zhgh/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../src/core/actor.ts';
import { localDate } from '../src/core/calendar.ts';
import { newId } from '../src/core/ids.ts';
import type { MembershipTable, OrganizationTable, PersonTable } from '../src/db/schema.ts';
import { formatMemberNumber, PERSON_FIELD_CONTEXTS } from '../src/modules/members/members.policy.ts';
import { membersRepository } from '../src/modules/members/members.repository.ts';
import { rebuildStatCounters, statDay } from '../src/modules/stats/stats.counters.ts';
import {
  agent,
  type Agent,
  errorOf,
  type InjectResult,
  makeMember,
  makeOrg,
  makeRole,
  makeTree,
  makeUser,
  makeWorkUnit,
  memberBody,
  permissionsWithout,
  randomIdNumber,
  randomPhone,
  signIn,
  unique,
  withoutRequestId,
} from './factories.ts';
import { createTestApp } from './harness.ts';

const NO_IP_LIMITS = { LOGIN_IP_LIMIT_PER_MINUTE: '100000', SMS_IP_LIMIT_PER_HOUR: '100000' };
const sys = { actor: SYSTEM_ACTOR };

type TestApp = Awaited<ReturnType<typeof createTestApp>>;
type Tree = Awaited<ReturnType<typeof makeTree>>;
type Membership = {
  id: string;
  orgId: string;
  orgName: string;
  status: string;
  startedOn: string;
  endedOn: string | null;
  endReason: string | null;
  memberNumber: string | null;
  cardNumber: string | null;
};
type Detail = {
  id: string;
  name: string;
  gender: string;
  age: number;
  idNumber: string;
  phone: string | null;
  bankCard: string | null;
  employmentType: string;
  newFormGroup: string | null;
  workUnitId: string | null;
  workUnitName: string | null;
  realNameVerified: boolean;
  education: string | null;
  membership: Membership;
};
type Row = {
  id: string;
  name: string;
  age: number;
  idNumber: string;
  phone: string | null;
  orgId: string;
  orgName: string;
  status: string;
  joinedOn: string;
  endedOn: string | null;
  memberNumber: string | null;
};
type Page = { items: Row[]; total: number; totalCapped?: boolean; page: number; pageSize: number };
type ErrorBody = { error: { code: string; fields?: { field: string; message: { 'zh-CN': string; en: string } }[] } };

function url(route: RouteContract, params: Record<string, string> = {}, query?: Record<string, string>): string {
  const path = route.path.replace(/:(\w+)/g, (_, k: string) => encodeURIComponent(params[k] ?? 'missing'));
  return query ? `${path}?${new URLSearchParams(query).toString()}` : path;
}

function call(
  a: Agent,
  route: RouteContract,
  opts: { params?: Record<string, string>; query?: Record<string, string>; body?: unknown } = {},
): Promise<InjectResult> {
  const withBody = route.method !== 'GET' && route.method !== 'DELETE';
  return a.request(route.method, url(route, opts.params, opts.query), withBody ? (opts.body ?? {}) : undefined);
}

const fieldMessage = (res: InjectResult, field: string) =>
  (res.body as ErrorBody).error.fields?.find((f) => f.field === field)?.message;

/** A day relative to today, Beijing time. */
const day = (offsetDays: number) => localDate(new Date(Date.now() + offsetDays * 86_400_000));

let t: TestApp;
let app: FastifyInstance;
let tree: Tree;
/** Grassroots union under the home county (inside the cadres' scope). */
let union: OrganizationTable;
/** Grassroots union under the sibling county (outside it). */
let farUnion: OrganizationTable;
/** Federation cadre at the home county: member.read and member.write. */
let cadreA: Agent;
/** Grassroots chair at the home county: member.reveal too (signs in with TOTP). */
let chairA: Agent;
/** Federation cadre at the sibling county. */
let siblingA: Agent;

beforeAll(async () => {
  t = await createTestApp(NO_IP_LIMITS);
  app = t.app;
  tree = await makeTree(app);
  union = await makeOrg(app, { parent: tree.county, type: 'grassroots', name: unique('雁塔科技公司工会') });
  farUnion = await makeOrg(app, { parent: tree.sibling, type: 'grassroots', name: unique('碑林物流公司工会') });
  cadreA = await signIn(app, await makeUser(app, { org: tree.county, roles: ['federation_cadre'] }));
  chairA = await signIn(app, await makeUser(app, { org: tree.county, roles: ['grassroots_chair'] }));
  siblingA = await signIn(app, await makeUser(app, { org: tree.sibling, roles: ['federation_cadre'] }));
});
afterAll(async () => {
  await t?.close();
});

const lackingCache = new Map<string, Promise<Agent>>();
/** A cadre at the home county holding every permission except `permission` (and what needs it). */
function lacking(permission: string): Promise<Agent> {
  let a = lackingCache.get(permission);
  if (!a) {
    a = (async () => {
      const role = await makeRole(app, permissionsWithout(PERMISSION_CODES, permission));
      return signIn(app, await makeUser(app, { org: tree.county, roles: [role.code], totp: true }));
    })();
    lackingCache.set(permission, a);
  }
  return a;
}

async function expectUnauthenticated(route: RouteContract, params: Record<string, string> = {}) {
  const res = await call(agent(app), route, { params, body: {} });
  expect(errorOf(res)).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
}

async function expectForbidden(route: RouteContract, params: Record<string, string> = {}, body: unknown = {}) {
  const res = await call(await lacking(route.permission), route, { params, body });
  expect(errorOf(res)).toMatchObject({ status: 403, code: 'FORBIDDEN' });
}

/** Out of scope answers exactly like a random id: same status, code and body. */
async function expectSame404(outOfScope: InjectResult, missing: InjectResult) {
  expect(errorOf(outOfScope)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  expect(errorOf(missing)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  expect(withoutRequestId(outOfScope)).toEqual(withoutRequestId(missing));
}

async function register(a: Agent, body: Record<string, unknown>) {
  return call(a, memberRoutes.register, { body });
}

/** Every audit row as text, to look for values that must never be there. */
async function auditText(): Promise<string> {
  const rows = await app.core.db.selectFrom('audit_event').selectAll().execute();
  return JSON.stringify(rows);
}

async function withdraw(personId: string, endedOn: string, reason = '本人申请退会') {
  await app.core.db
    .updateTable('membership')
    .set({ status: 'withdrawn', ended_on: endedOn, end_reason: reason })
    .where('person_id', '=', personId)
    .where('ended_on', 'is', null)
    .execute();
  await recount();
}

/**
 * Rows written here directly (the withdrawal and retention services come later) bypass the
 * subtree counters that the member list's totals read: recount, as after any bulk load.
 */
async function recount(): Promise<void> {
  await rebuildStatCounters(app.core.db, app.core.dialect, statDay(new Date()));
}

/** A card number that passes Luhn. */
const validCard = (prefix = '622202123456789012') => prefix + luhnCheckDigit(prefix);
/** The same number with its check digit off by one. */
const wrongCheckDigit = (card: string) => card.slice(0, -1) + String((Number(card.slice(-1)) + 1) % 10);

// ---- Register ----

describe(`${memberRoutes.register.id} (POST /api/members)`, () => {
  it('requires authentication', () => expectUnauthenticated(memberRoutes.register));
  it('requires permission', () => expectForbidden(memberRoutes.register, {}, memberBody(union.id)));

  it('a union outside the scope is 404, the same as a missing one', async () => {
    const out = await register(cadreA, memberBody(farUnion.id));
    const missing = await register(cadreA, memberBody(randomUUID()));
    await expectSame404(out, missing);
  });

  it('happy path: 201, masked, a generated member number, one audited transaction', async () => {
    const idNumber = randomIdNumber({ birthDate: '1990-05-17', gender: 'female' });
    const phone = randomPhone();
    const bankCard = validCard();
    const res = await register(
      cadreA,
      memberBody(union.id, {
        name: '李秀英',
        idNumber,
        gender: 'female',
        birthDate: '1990-05-17',
        phone,
        bankCard,
        cardNumber: 'C-0001',
      }),
    );
    expect(res.status).toBe(201);
    const m = res.json<Detail>();
    expect(m).toMatchObject({
      name: '李*英',
      gender: 'female',
      idNumber: `${idNumber.slice(0, 4)}**********${idNumber.slice(-4)}`,
      phone: `${phone.slice(0, 3)}****${phone.slice(-4)}`,
      bankCard: `${bankCard.slice(0, 4)}${'*'.repeat(bankCard.length - 8)}${bankCard.slice(-4)}`,
      employmentType: 'regular',
      realNameVerified: false,
      membership: { orgId: union.id, orgName: union.name, status: 'active', startedOn: '2024-03-01', endedOn: null },
    });
    expect(m.membership.memberNumber).toMatch(new RegExp(`^${day(0).slice(0, 4)}\\d{8}$`));
    expect(m.membership.cardNumber).toBe('C-0001');
    expect(JSON.stringify(res.body)).not.toContain(idNumber);
    expect(JSON.stringify(res.body)).not.toContain(phone);
    expect(JSON.stringify(res.body)).not.toContain('1990-05-17');

    const event = await app.core.db
      .selectFrom('audit_event')
      .selectAll()
      .where('action', '=', 'member.register')
      .where('subject_id', '=', m.id)
      .executeTakeFirstOrThrow();
    expect(event.org_path).toBe(union.path);
    const changes = JSON.parse(event.changes!) as { field: string; sensitive?: true; to?: unknown }[];
    for (const f of ['idNumber', 'phone', 'bankCard', 'birthDate']) {
      expect(changes.find((c) => c.field === f)).toEqual({ field: f, sensitive: true });
    }
    expect(changes.find((c) => c.field === 'orgId')).toMatchObject({ to: union.id });
    const audit = await auditText();
    for (const secret of [idNumber, phone, bankCard]) expect(audit).not.toContain(secret);
  });

  it('stores the ID number normalized: a legacy 15-digit number becomes 18 characters', async () => {
    const id18 = randomIdNumber({ birthDate: '1975-08-09' });
    const id15 = id18.slice(0, 6) + id18.slice(8, 17);
    expect(upgradeIdNumber15(id15)).toBe(id18);
    const res = await register(cadreA, memberBody(union.id, { idNumber: id15 }));
    expect(res.status).toBe(201);
    const reveal = await call(chairA, memberRoutes.reveal, {
      params: { id: res.json<Detail>().id },
      body: { reason: '核对身份证号', fields: ['idNumber'] },
    });
    expect(reveal.json()).toEqual({ idNumber: id18 });
    // The same person typed in the 18-character form is a duplicate.
    const again = await register(cadreA, memberBody(union.id, { idNumber: id18.toLowerCase() }));
    expect(errorOf(again)).toMatchObject({ status: 409, code: 'MEMBER_ID_NUMBER_TAKEN' });
  });

  it('names what is wrong with an ID number', async () => {
    const body = (idNumber: string) => memberBody(union.id, { idNumber });
    const valid = randomIdNumber({ birthDate: '1990-01-01' });
    const badDate = '61011319900230001';
    const future = `610113${day(400).replaceAll('-', '')}001`;
    const wrongCheck = valid.slice(0, 17) + (valid[17] === '0' ? '1' : '0');
    const cases: [string, RegExp][] = [
      ['6101131990010100', /length/i],
      ['61011319900101A01X', /format/i],
      ['99011319900101001' + idNumberCheckChar('99011319900101001'), /region/i],
      [badDate + idNumberCheckChar(badDate), /birth date/i],
      [future + idNumberCheckChar(future), /birth date/i],
      [wrongCheck, /check character/i],
    ];
    for (const [idNumber, problem] of cases) {
      const res = await register(cadreA, body(idNumber));
      expect(errorOf(res), idNumber).toMatchObject({
        status: 400,
        code: 'VALIDATION_FAILED',
        fields: ['body.idNumber'],
      });
      expect(fieldMessage(res, 'body.idNumber')?.en, idNumber).toMatch(problem);
    }
    const empty = await register(cadreA, body(''));
    expect(errorOf(empty)).toMatchObject({ status: 400, fields: ['body.idNumber'] });
  });

  it('typed gender and birth date must agree with the ID number', async () => {
    const idNumber = randomIdNumber({ birthDate: '1988-02-29', gender: 'male' });
    const wrongGender = await register(cadreA, memberBody(union.id, { idNumber, gender: 'female' }));
    expect(errorOf(wrongGender)).toMatchObject({ status: 400, fields: ['body.gender'] });
    expect(fieldMessage(wrongGender, 'body.gender')?.en).toContain('male');
    const wrongBirth = await register(cadreA, memberBody(union.id, { idNumber, birthDate: '1988-03-01' }));
    expect(errorOf(wrongBirth)).toMatchObject({ status: 400, fields: ['body.birthDate'] });
    expect(fieldMessage(wrongBirth, 'body.birthDate')?.en).toContain('1988-02-29');
    const both = await register(cadreA, memberBody(union.id, { idNumber, gender: 'male', birthDate: '1988-02-29' }));
    expect(both.status).toBe(201);
  });

  it('refuses anyone under 16 on the join date (MEMBER_TOO_YOUNG)', async () => {
    const fifteen = randomIdNumber({ birthDate: `${Number(day(0).slice(0, 4)) - 15}-01-01` });
    const res = await register(cadreA, memberBody(union.id, { idNumber: fifteen, joinDate: day(0) }));
    expect(errorOf(res)).toMatchObject({ status: 400, code: 'MEMBER_TOO_YOUNG', fields: ['body.idNumber'] });
    // Sixteen today, but fifteen on the join date typed.
    const sixteen = randomIdNumber({ birthDate: day(-366 * 16) });
    const early = await register(cadreA, memberBody(union.id, { idNumber: sixteen, joinDate: day(-30) }));
    expect(errorOf(early)).toMatchObject({ status: 400, code: 'MEMBER_TOO_YOUNG' });
    const onTime = await register(cadreA, memberBody(union.id, { idNumber: sixteen, joinDate: day(0) }));
    expect(onTime.status).toBe(201);
  });

  it('bad input names the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ employmentType: 'new_form' }, 'body.newFormGroup'],
      [{ employmentType: 'regular', newFormGroup: 'courier' }, 'body.newFormGroup'],
      [{ bankCard: wrongCheckDigit(validCard()) }, 'body.bankCard'],
      [{ bankCard: '6222abcd12345678' }, 'body.bankCard'],
      [{ bankCard: '62220212345' }, 'body.bankCard'],
      [{ householdRegion: '999999' }, 'body.householdRegion'],
      [{ householdRegion: '61011' }, 'body.householdRegion'],
      [{ joinDate: day(2) }, 'body.joinDate'],
      [{ joinDate: '2024-02-30' }, 'body.joinDate'],
      [{ workUnitId: randomUUID(), workUnitName: '某公司' }, 'body.workUnitName'],
      [{ ethnicity: '99' }, 'body.ethnicity'],
      [{ employmentType: 'volunteer' }, 'body.employmentType'],
      [{ phone: '12345' }, 'body.phone'],
      [{ name: '王' }, 'body.name'],
      [{ memberNumber: 'no spaces!' }, 'body.memberNumber'],
      [{ realNameVerified: true }, 'body.realNameVerified'],
    ];
    for (const [override, field] of cases) {
      const res = await register(cadreA, memberBody(union.id, override));
      expect(errorOf(res), JSON.stringify(override)).toMatchObject({
        status: 400,
        code: 'VALIDATION_FAILED',
        fields: [field],
      });
    }
    const ok = await register(
      cadreA,
      memberBody(union.id, { employmentType: 'new_form', newFormGroup: 'delivery_rider' }),
    );
    expect(ok.json()).toMatchObject({ employmentType: 'new_form', newFormGroup: 'delivery_rider' });
  });

  it('members join an active union, never a federation', async () => {
    const atFederation = await register(cadreA, memberBody(tree.county.id));
    expect(errorOf(atFederation)).toMatchObject({
      status: 409,
      code: 'MEMBER_ORG_NOT_ELIGIBLE',
      fields: ['body.orgId'],
    });
    const closed = await makeOrg(app, { parent: tree.county, type: 'grassroots' });
    await app.core.db.updateTable('organization').set({ status: 'dissolved' }).where('id', '=', closed.id).execute();
    expect(errorOf(await register(cadreA, memberBody(closed.id)))).toMatchObject({
      status: 409,
      code: 'ORG_NOT_ACTIVE',
    });
  });

  it('a duplicate ID number is MEMBER_ID_NUMBER_TAKEN, naming the union only inside the actor’s scope', async () => {
    const first = await makeMember(app, { org: union });
    const idNumber = first.idNumber;
    const inScope = await register(cadreA, memberBody(union.id, { idNumber }));
    expect(errorOf(inScope)).toMatchObject({ status: 409, code: 'MEMBER_ID_NUMBER_TAKEN', fields: ['body.idNumber'] });
    expect(fieldMessage(inScope, 'body.idNumber')?.['zh-CN']).toContain(union.name);
    expect((inScope.body as { error: { message: string } }).error.message).toContain('会籍接转');

    const fromSibling = await register(siblingA, memberBody(farUnion.id, { idNumber }));
    expect(errorOf(fromSibling)).toMatchObject({ status: 409, code: 'MEMBER_ID_NUMBER_TAKEN' });
    expect(JSON.stringify(fromSibling.body)).not.toContain(union.name);
    expect(fieldMessage(fromSibling, 'body.idNumber')?.en).toMatch(/another union/);
  });

  it('a phone or a member number held by another person is refused', async () => {
    const first = await makeMember(app, { org: union, memberNumber: unique('M-') });
    const phone = await register(cadreA, memberBody(union.id, { phone: first.phone }));
    expect(errorOf(phone)).toMatchObject({ status: 409, code: 'PHONE_TAKEN', fields: ['body.phone'] });
    const number = await register(cadreA, memberBody(union.id, { memberNumber: first.membership.member_number }));
    expect(errorOf(number)).toMatchObject({ status: 409, code: 'MEMBER_NUMBER_TAKEN', fields: ['body.memberNumber'] });
  });

  it('generated member numbers rise in issue order and skip numbers an earlier system gave', async () => {
    const a = (await register(cadreA, memberBody(union.id))).json<Detail>().membership.memberNumber!;
    const year = Number(a.slice(0, 4));
    const next = formatMemberNumber(year, Number(a.slice(4)) + 1);
    // An imported member already holds the number the sequence would give next.
    await register(cadreA, memberBody(union.id, { memberNumber: next }));
    const b = (await register(cadreA, memberBody(union.id))).json<Detail>().membership.memberNumber!;
    expect(b > next).toBe(true);
    expect(b).toHaveLength(12);
  });

  it('a person who withdrew rejoins: a new membership, the history kept, the same record', async () => {
    const first = await makeMember(app, { org: union, joinDate: '2015-01-01' });
    await withdraw(first.person.id, '2020-06-30');
    const other = await makeOrg(app, { parent: tree.county, type: 'grassroots' });
    const res = await register(
      cadreA,
      memberBody(other.id, { idNumber: first.idNumber, phone: first.phone, joinDate: '2023-09-01' }),
    );
    expect(res.status).toBe(201);
    expect(res.json<Detail>()).toMatchObject({
      id: first.person.id,
      membership: { orgId: other.id, status: 'active' },
    });
    const history = await call(cadreA, memberRoutes.memberships, { params: { id: first.person.id } });
    expect(
      history.json<{ items: Membership[] }>().items.map((m) => [m.orgId, m.startedOn, m.endedOn, m.status]),
    ).toEqual([
      [other.id, '2023-09-01', null, 'active'],
      [union.id, '2015-01-01', '2020-06-30', 'withdrawn'],
    ]);
    const persons = await app.core.db
      .selectFrom('person')
      .select('id')
      .where('id_number_index', '=', app.services.members.idNumberIndex(first.idNumber))
      .execute();
    expect(persons).toHaveLength(1);
  });

  it('a registered work unit is named by id; one outside the scope and the union’s area is 404', async () => {
    const unit = await makeWorkUnit(app, { org: union });
    const res = await register(cadreA, memberBody(union.id, { workUnitId: unit.id }));
    expect(res.json<Detail>()).toMatchObject({ workUnitId: unit.id, workUnitName: unit.name });
    const farUnit = await makeWorkUnit(app, { org: farUnion });
    expect(errorOf(await register(cadreA, memberBody(union.id, { workUnitId: farUnit.id })))).toMatchObject({
      status: 404,
    });
    const typed = await register(cadreA, memberBody(union.id, { workUnitName: '某某快递网点' }));
    expect(typed.json<Detail>()).toMatchObject({ workUnitId: null, workUnitName: '某某快递网点' });
  });

  it('the database refuses a second open membership of one person, whatever the code does', async () => {
    const m = await makeMember(app, { org: union });
    const other = await makeOrg(app, { parent: tree.county, type: 'grassroots' });
    const now = new Date().toISOString();
    const { org_name: _orgName, ...first } = m.membership;
    const second: MembershipTable = {
      ...first,
      id: newId(),
      org_id: other.id,
      org_path: other.path,
      member_number: null,
      created_at: now,
      updated_at: now,
    };
    await expect(app.core.db.insertInto('membership').values(second).execute()).rejects.toThrow();
    // A closed one is history and may sit beside it.
    await app.core.db
      .insertInto('membership')
      .values({ ...second, id: newId(), status: 'transferred_out', ended_on: '2010-01-01' })
      .execute();
  });

  it('concurrent registrations of one person: exactly one 201, the others MEMBER_ID_NUMBER_TAKEN', async () => {
    const body = memberBody(union.id);
    const results = await Promise.all(Array.from({ length: 6 }, () => register(cadreA, body)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409]);
    for (const r of results.filter((x) => x.status === 409)) {
      expect(errorOf(r).code).toBe('MEMBER_ID_NUMBER_TAKEN');
    }
    // Different phones, the same ID number, at different unions.
    const idNumber = randomIdNumber();
    const unions = await Promise.all(
      Array.from({ length: 4 }, () => makeOrg(app, { parent: tree.county, type: 'grassroots' })),
    );
    const spread = await Promise.all(unions.map((u) => register(cadreA, memberBody(u.id, { idNumber }))));
    expect(spread.filter((r) => r.status === 201)).toHaveLength(1);
    expect(spread.filter((r) => errorOf(r).code === 'MEMBER_ID_NUMBER_TAKEN')).toHaveLength(3);
    const open = await app.core.db
      .selectFrom('membership')
      .select('id')
      .where('id_number_index', '=', app.services.members.idNumberIndex(idNumber))
      .execute();
    expect(open).toHaveLength(1);
  });
});

// ---- List and search ----

describe(`${memberRoutes.list.id} (GET /api/members)`, () => {
  let listUnion: OrganizationTable;
  let shan: Awaited<ReturnType<typeof makeMember>>;
  let zeng: Awaited<ReturnType<typeof makeMember>>;
  let retired: Awaited<ReturnType<typeof makeMember>>;
  let far: Awaited<ReturnType<typeof makeMember>>;
  let gone: Awaited<ReturnType<typeof makeMember>>;

  beforeAll(async () => {
    listUnion = await makeOrg(app, { parent: tree.county, type: 'grassroots' });
    shan = await makeMember(app, { org: listUnion, name: '单田芳', employmentType: 'migrant' });
    zeng = await makeMember(app, {
      org: listUnion,
      name: '曾国藩',
      employmentType: 'new_form',
      newFormGroup: 'courier',
      idNumber: randomIdNumber({ gender: 'female' }),
    });
    retired = await makeMember(app, { org: listUnion, name: '张退休', idNumber: randomIdNumber({ gender: 'male' }) });
    await app.core.db
      .updateTable('membership')
      .set({ status: 'retained' })
      .where('id', '=', retired.membership.id)
      .execute();
    await recount();
    gone = await makeMember(app, { org: listUnion, name: '单退会' });
    await withdraw(gone.person.id, '2024-12-31');
    far = await makeMember(app, { org: farUnion, name: '单远方' });
  });

  const list = (a: Agent, query: Record<string, string>) =>
    call(a, memberRoutes.list, { query: { orgId: listUnion.id, pageSize: '200', ...query } });
  const ids = (res: InjectResult) => res.json<Page>().items.map((r) => r.id);

  it('requires authentication', () => expectUnauthenticated(memberRoutes.list));
  it('requires permission', () => expectForbidden(memberRoutes.list));

  it('an orgId outside the scope is 404, the same as a missing one', async () => {
    const out = await call(cadreA, memberRoutes.list, { query: { orgId: farUnion.id } });
    const missing = await call(cadreA, memberRoutes.list, { query: { orgId: randomUUID() } });
    await expectSame404(out, missing);
  });

  it('happy path: open members in scope only, every row masked, with union, status, join date and age', async () => {
    const res = await list(cadreA, {});
    expect(res.status).toBe(200);
    expect(new Set(ids(res))).toEqual(new Set([shan.person.id, zeng.person.id, retired.person.id]));
    const row = res.json<Page>().items.find((r) => r.id === shan.person.id)!;
    expect(row).toMatchObject({
      name: '单*芳',
      idNumber: `${shan.idNumber.slice(0, 4)}**********${shan.idNumber.slice(-4)}`,
      phone: `${shan.phone!.slice(0, 3)}****${shan.phone!.slice(-4)}`,
      orgId: listUnion.id,
      orgName: listUnion.name,
      status: 'active',
      joinedOn: '2024-03-01',
      endedOn: null,
      age: shan.age,
    });
    const text = JSON.stringify(res.body);
    for (const m of [shan, zeng, retired]) {
      expect(text).not.toContain(m.idNumber);
      expect(text).not.toContain(m.phone);
    }
    // Without orgId: the whole scope. The sibling county's member is never there.
    const all = await call(cadreA, memberRoutes.list, { query: { q: '单', pageSize: '200' } });
    expect(ids(all)).toContain(shan.person.id);
    expect(ids(all)).not.toContain(far.person.id);
    const theirs = await call(siblingA, memberRoutes.list, { query: { q: '单', pageSize: '200' } });
    expect(ids(theirs)).toContain(far.person.id);
    expect(ids(theirs)).not.toContain(shan.person.id);
  });

  it('filters by status, employment type and gender', async () => {
    expect(ids(await list(cadreA, { status: 'retained' }))).toEqual([retired.person.id]);
    expect(new Set(ids(await list(cadreA, { status: 'active' })))).toEqual(new Set([shan.person.id, zeng.person.id]));
    expect(ids(await list(cadreA, { employmentType: 'new_form' }))).toEqual([zeng.person.id]);
    expect(ids(await list(cadreA, { gender: 'female' }))).not.toContain(retired.person.id);
    expect(ids(await list(cadreA, { gender: 'male' }))).not.toContain(zeng.person.id);
    expect(errorOf(await list(cadreA, { status: 'withdrawn' }))).toMatchObject({
      status: 400,
      fields: ['query.status'],
    });
  });

  it('searches by ID number and phone exactly (through the blind index), in any typed form', async () => {
    expect(ids(await list(cadreA, { q: shan.idNumber }))).toEqual([shan.person.id]);
    expect(ids(await list(cadreA, { q: shan.idNumber.toLowerCase().replace(/^(\d{6})/, '$1 ') }))).toEqual([
      shan.person.id,
    ]);
    expect(ids(await list(cadreA, { q: shan.phone! }))).toEqual([shan.person.id]);
    // An ID-shaped term that fails its check matches nobody; a partial one is no ID search.
    const wrong = shan.idNumber.slice(0, 17) + (shan.idNumber[17] === '0' ? '1' : '0');
    expect(ids(await list(cadreA, { q: wrong }))).toEqual([]);
    expect(ids(await list(cadreA, { q: shan.idNumber.slice(0, 10) }))).toEqual([]);
    // A withdrawn person is not in the list of members.
    expect(ids(await list(cadreA, { q: gone.idNumber }))).toEqual([]);
  });

  it('finds a 15-digit legacy number typed for an 18-character record', async () => {
    const id18 = randomIdNumber({ birthDate: '1970-04-05' });
    const m = await makeMember(app, { org: listUnion, idNumber: id18 });
    expect(ids(await list(cadreA, { q: id18.slice(0, 6) + id18.slice(8, 17) }))).toEqual([m.person.id]);
  });

  it('searches by name prefix and by pinyin initials, surnames read as surnames (单 shan, 曾 zeng)', async () => {
    expect(ids(await list(cadreA, { q: '单' }))).toEqual([shan.person.id]);
    expect(ids(await list(cadreA, { q: '单田' }))).toEqual([shan.person.id]);
    expect(ids(await list(cadreA, { q: 'stf' }))).toEqual([shan.person.id]);
    expect(ids(await list(cadreA, { q: 'ST' }))).toEqual([shan.person.id]);
    expect(ids(await list(cadreA, { q: 'dtf' }))).toEqual([]);
    expect(ids(await list(cadreA, { q: 'zgf' }))).toEqual([zeng.person.id]);
    expect(ids(await list(cadreA, { q: 'cgf' }))).toEqual([]);
    expect(ids(await list(cadreA, { q: '%' }))).toEqual([]);
  });

  it('pages with a total', async () => {
    const all = ids(await list(cadreA, {}));
    expect(all.length).toBeGreaterThan(2);
    const first = await list(cadreA, { pageSize: '2', page: '1' });
    const second = await list(cadreA, { pageSize: '2', page: '2' });
    expect(first.json<Page>()).toMatchObject({ total: all.length, page: 1, pageSize: 2 });
    expect([...ids(first), ...ids(second)]).toEqual(all.slice(0, 4));
  });

  it('search terms never reach the request log', async () => {
    await list(cadreA, { q: shan.idNumber });
    await list(cadreA, { q: shan.phone! });
    const logs = t.logs.join('\n');
    expect(logs).not.toContain(shan.idNumber);
    expect(logs).not.toContain(shan.phone);
  });
});

// ---- One member ----

describe('member search keyed by city and county (migration 0020)', () => {
  it('a city or county cadre finds exactly the members below it, in name order, and follows a move', async () => {
    const home = await makeTree(app);
    const other = await makeTree(app);
    const cityUnion = await makeOrg(app, { parent: home.city, type: 'grassroots' });
    const township = await makeOrg(app, { parent: home.county, name: unique('街道总工会') });
    const deep = await makeOrg(app, { parent: township, type: 'grassroots' });
    const siblingUnion = await makeOrg(app, { parent: home.sibling, type: 'grassroots' });
    const elsewhere = await makeOrg(app, { parent: other.county, type: 'grassroots' });
    const atCity = await makeMember(app, { org: cityUnion, name: '欧阳城' });
    const atDeep = await makeMember(app, { org: deep, name: '欧阳深' });
    const atHome = await makeMember(app, { org: home.grassroots, name: '欧阳家' });
    const atSibling = await makeMember(app, { org: siblingUnion, name: '欧阳邻' });
    await makeMember(app, { org: elsewhere, name: '欧阳外' });
    await recount();
    const cityCadre = await signIn(app, await makeUser(app, { org: home.city, roles: ['federation_cadre'] }));
    const countyCadre = await signIn(app, await makeUser(app, { org: home.county, roles: ['federation_cadre'] }));
    const siblingCadre = await signIn(app, await makeUser(app, { org: home.sibling, roles: ['federation_cadre'] }));
    const search = async (a: Agent, q: string) => {
      const page = (await call(a, memberRoutes.list, { query: { q, pageSize: '50' } })).json<Page>();
      return { total: page.total, ids: page.items.map((r) => r.id) };
    };
    // A name search lists by name (城 U+57CE, 家 U+5BB6, 深 U+6DF1, 邻 U+90BB), an initials
    // search by initials (oyc, oyj, oyl, oys).
    const byName = (...ms: { person: { id: string; name: string } }[]) =>
      [...ms].sort((x, y) => (x.person.name < y.person.name ? -1 : 1)).map((m) => m.person.id);
    const ids = (...ms: { person: { id: string } }[]) => ms.map((m) => m.person.id);
    expect(await search(cityCadre, '欧阳')).toEqual({ total: 4, ids: byName(atCity, atDeep, atHome, atSibling) });
    expect(await search(cityCadre, 'oy')).toEqual({ total: 4, ids: ids(atCity, atHome, atSibling, atDeep) });
    expect(await search(countyCadre, '欧阳')).toEqual({ total: 2, ids: byName(atDeep, atHome) });
    expect(await search(countyCadre, 'oy')).toEqual({ total: 2, ids: ids(atHome, atDeep) });
    for (const q of ['欧阳', 'oy']) {
      expect(await search(siblingCadre, q), q).toEqual({ total: 1, ids: [atSibling.person.id] });
    }
    expect(await search(countyCadre, '欧阳深')).toEqual({ total: 1, ids: [atDeep.person.id] });
    expect(await search(countyCadre, '欧阳邻')).toEqual({ total: 0, ids: [] });

    // A move rewrites the paths, and the search follows them with no code of its own.
    const moved = await call(cityCadre, orgRoutes.move, {
      params: { id: township.id },
      body: { newParentId: home.sibling.id },
    });
    expect(moved.status).toBe(200);
    await recount();
    expect(await search(countyCadre, '欧阳')).toEqual({ total: 1, ids: [atHome.person.id] });
    expect(await search(siblingCadre, '欧阳')).toEqual({ total: 2, ids: byName(atDeep, atSibling) });
    expect((await search(cityCadre, 'oy')).total).toBe(4);
  });
});

describe(`${memberRoutes.get.id} (GET /api/members/:id)`, () => {
  it('requires authentication', () => expectUnauthenticated(memberRoutes.get, { id: 'x' }));
  it('requires permission', () => expectForbidden(memberRoutes.get, { id: 'x' }));

  it('a member outside the scope is 404, the same as a random id', async () => {
    const far = await makeMember(app, { org: farUnion });
    await expectSame404(
      await call(cadreA, memberRoutes.get, { params: { id: far.person.id } }),
      await call(cadreA, memberRoutes.get, { params: { id: randomUUID() } }),
    );
  });

  it('happy path: the masked detail with the open membership', async () => {
    const bankCard = validCard('621700123456789');
    const m = await makeMember(app, { org: union, name: '欧阳小明', bankCard });
    const res = await call(cadreA, memberRoutes.get, { params: { id: m.person.id } });
    expect(res.status).toBe(200);
    expect(res.json<Detail>()).toMatchObject({
      id: m.person.id,
      name: '欧**明',
      idNumber: `${m.idNumber.slice(0, 4)}**********${m.idNumber.slice(-4)}`,
      bankCard: `${bankCard.slice(0, 4)}********${bankCard.slice(-4)}`,
      membership: { orgId: union.id, status: 'active' },
    });
    const text = JSON.stringify(res.body);
    for (const secret of [m.idNumber, m.phone!, bankCard, m.person.birth_date]) expect(text).not.toContain(secret);
  });

  it('a withdrawn member is found through the last membership, and only there', async () => {
    const m = await makeMember(app, { org: union });
    await withdraw(m.person.id, '2025-01-31');
    const res = await call(cadreA, memberRoutes.get, { params: { id: m.person.id } });
    expect(res.json<Detail>().membership).toMatchObject({ status: 'withdrawn', endedOn: '2025-01-31' });
    expect(errorOf(await call(siblingA, memberRoutes.get, { params: { id: m.person.id } }))).toMatchObject({
      status: 404,
    });
  });
});

// ---- Edit ----

describe(`${memberRoutes.update.id} (PATCH /api/members/:id)`, () => {
  const patch = (a: Agent, id: string, body: Record<string, unknown>) =>
    call(a, memberRoutes.update, { params: { id }, body });

  it('requires authentication', () => expectUnauthenticated(memberRoutes.update, { id: 'x' }));
  it('requires permission', () => expectForbidden(memberRoutes.update, { id: 'x' }, { education: 'master' }));

  it('a member outside the scope is 404, the same as a random id; reading is not writing', async () => {
    const far = await makeMember(app, { org: farUnion });
    await expectSame404(
      await patch(cadreA, far.person.id, { education: 'master' }),
      await patch(cadreA, randomUUID(), { education: 'master' }),
    );
    // An auditor reads the county's members but edits none.
    const auditor = await signIn(app, await makeUser(app, { org: tree.county, roles: ['auditor'] }));
    const mine = await makeMember(app, { org: union });
    expect((await call(auditor, memberRoutes.get, { params: { id: mine.person.id } })).status).toBe(200);
    expect(errorOf(await patch(auditor, mine.person.id, { education: 'master' }))).toMatchObject({ status: 403 });
  });

  it('bad input names the field; identity fields cannot be edited', async () => {
    const m = await makeMember(app, { org: union });
    const cases: [Record<string, unknown>, string][] = [
      [{ idNumber: randomIdNumber() }, 'body.idNumber'],
      [{ gender: 'female' }, 'body.gender'],
      [{ birthDate: '1990-01-01' }, 'body.birthDate'],
      [{ bankCard: '4111111111111112' }, 'body.bankCard'],
      [{ employmentType: 'new_form' }, 'body.newFormGroup'],
      [{ newFormGroup: 'courier' }, 'body.newFormGroup'],
      [{ householdRegion: '000000' }, 'body.householdRegion'],
      [{ phone: '1381234' }, 'body.phone'],
    ];
    for (const [body, field] of cases) {
      expect(errorOf(await patch(cadreA, m.person.id, body)), JSON.stringify(body)).toMatchObject({
        status: 400,
        code: 'VALIDATION_FAILED',
        fields: [field],
      });
    }
  });

  it('happy path: changed fields audited, sensitive ones without values', async () => {
    const m = await makeMember(app, { org: union, employmentType: 'new_form', newFormGroup: 'courier' });
    const phone = randomPhone();
    const bankCard = validCard('621483123456789');
    const res = await patch(cadreA, m.person.id, {
      education: 'master',
      phone,
      bankCard,
      employmentType: 'regular',
      workUnitName: '西安某科技有限公司',
    });
    expect(res.status).toBe(200);
    expect(res.json<Detail>()).toMatchObject({
      education: 'master',
      phone: `${phone.slice(0, 3)}****${phone.slice(-4)}`,
      employmentType: 'regular',
      newFormGroup: null,
      workUnitName: '西安某科技有限公司',
    });
    const event = await app.core.db
      .selectFrom('audit_event')
      .selectAll()
      .where('action', '=', 'member.update')
      .where('subject_id', '=', m.person.id)
      .executeTakeFirstOrThrow();
    const changes = JSON.parse(event.changes!) as { field: string; from?: unknown; to?: unknown; sensitive?: true }[];
    expect(changes).toEqual(
      expect.arrayContaining([
        { field: 'bankCard', sensitive: true },
        { field: 'education', from: 'bachelor', to: 'master' },
        { field: 'employmentType', from: 'new_form', to: 'regular' },
        { field: 'newFormGroup', from: 'courier' },
        { field: 'phone', sensitive: true },
        { field: 'workUnitName', to: '西安某科技有限公司' },
      ]),
    );
    const audit = await auditText();
    for (const secret of [phone, m.phone!, bankCard]) expect(audit).not.toContain(secret);
    // The new phone finds the member; the old one no longer does.
    const found = await call(cadreA, memberRoutes.list, { query: { q: phone } });
    expect(found.json<Page>().items.map((r) => r.id)).toEqual([m.person.id]);
    expect((await call(cadreA, memberRoutes.list, { query: { q: m.phone! } })).json<Page>().total).toBe(0);
  });

  it('a phone of another person is PHONE_TAKEN; removing one frees it', async () => {
    const a = await makeMember(app, { org: union });
    const b = await makeMember(app, { org: union });
    expect(errorOf(await patch(cadreA, b.person.id, { phone: a.phone }))).toMatchObject({
      status: 409,
      code: 'PHONE_TAKEN',
      fields: ['body.phone'],
    });
    expect((await patch(cadreA, a.person.id, { phone: null })).json<Detail>().phone).toBeNull();
    expect((await patch(cadreA, b.person.id, { phone: a.phone })).status).toBe(200);
  });

  it('a corrected name clears the real-name verification; an edit that changes nothing writes nothing', async () => {
    const m = await makeMember(app, { org: union });
    await app.core.db.updateTable('person').set({ real_name_verified: 1 }).where('id', '=', m.person.id).execute();
    const before = (await app.core.db.selectFrom('audit_event').select('seq').execute()).length;
    expect((await patch(cadreA, m.person.id, { education: 'bachelor' })).json<Detail>().realNameVerified).toBe(true);
    expect((await app.core.db.selectFrom('audit_event').select('seq').execute()).length).toBe(before);
    const renamed = await patch(cadreA, m.person.id, { name: '王晓明' });
    expect(renamed.json<Detail>()).toMatchObject({ name: '王*明', realNameVerified: false });
    const found = await call(cadreA, memberRoutes.list, { query: { q: 'wxm', orgId: union.id, pageSize: '200' } });
    expect(found.json<Page>().items.map((r) => r.id)).toContain(m.person.id);
    // Search reads the copies on the memberships (migration 0008): the old name finds nobody.
    const byName = async (q: string) =>
      (await call(cadreA, memberRoutes.list, { query: { q, orgId: union.id, pageSize: '200' } }))
        .json<Page>()
        .items.map((r) => r.id);
    expect(await byName('王晓')).toContain(m.person.id);
    expect(await byName(m.person.name)).not.toContain(m.person.id);
    const copies = await app.core.db
      .selectFrom('membership')
      .select(['name', 'name_initials'])
      .where('person_id', '=', m.person.id)
      .execute();
    expect(copies).toEqual([{ name: '王晓明', name_initials: 'wxm' }]);
  });
});

// ---- Reveal ----

describe(`${memberRoutes.reveal.id} (POST /api/members/:id/reveal)`, () => {
  const body = { reason: '发放困难补助前核对银行卡', fields: ['idNumber', 'phone', 'bankCard'] };

  it('requires authentication', () => expectUnauthenticated(memberRoutes.reveal, { id: 'x' }));
  it('requires permission', async () => {
    await expectForbidden(memberRoutes.reveal, { id: 'x' }, body);
    // A cadre who may edit members still may not see them in full.
    const m = await makeMember(app, { org: union });
    expect(errorOf(await call(cadreA, memberRoutes.reveal, { params: { id: m.person.id }, body }))).toMatchObject({
      status: 403,
      code: 'FORBIDDEN',
    });
  });

  it('a member outside the scope is 404, the same as a random id', async () => {
    const far = await makeMember(app, { org: farUnion });
    await expectSame404(
      await call(chairA, memberRoutes.reveal, { params: { id: far.person.id }, body }),
      await call(chairA, memberRoutes.reveal, { params: { id: randomUUID() }, body }),
    );
  });

  it('bad input names the field', async () => {
    const m = await makeMember(app, { org: union });
    const cases: [Record<string, unknown>, string][] = [
      [{ ...body, reason: '核对' }, 'body.reason'],
      [{ ...body, reason: 'x'.repeat(201) }, 'body.reason'],
      [{ ...body, fields: [] }, 'body.fields'],
      [{ ...body, fields: ['name'] }, 'body.fields.0'],
      [{ ...body, fields: ['phone', 'phone'] }, 'body.fields'],
      [{ fields: ['phone'] }, 'body.reason'],
    ];
    for (const [b, field] of cases) {
      expect(
        errorOf(await call(chairA, memberRoutes.reveal, { params: { id: m.person.id }, body: b })),
        field,
      ).toMatchObject({
        status: 400,
        fields: [field],
      });
    }
  });

  it('happy path: the full values, and an audit event with the reason and fields, never the values', async () => {
    const bankCard = validCard('622848123456789');
    const m = await makeMember(app, { org: union, bankCard });
    const res = await call(chairA, memberRoutes.reveal, { params: { id: m.person.id }, body });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ idNumber: m.idNumber, phone: m.phone, bankCard });
    const only = await call(chairA, memberRoutes.reveal, {
      params: { id: m.person.id },
      body: { reason: '电话回访核实', fields: ['phone'] },
    });
    expect(only.json()).toEqual({ phone: m.phone });

    const events = await app.core.db
      .selectFrom('audit_event')
      .selectAll()
      .where('action', '=', 'member.reveal')
      .where('subject_id', '=', m.person.id)
      .orderBy('seq')
      .execute();
    expect(events).toHaveLength(2);
    expect(events[0]!.actor_id).not.toBeNull();
    expect(events[0]!.org_path).toBe(union.path);
    expect(JSON.parse(events[0]!.changes!)).toEqual([
      { field: 'reason', to: body.reason },
      { field: 'fields', to: ['bankCard', 'idNumber', 'phone'] },
    ]);
    const audit = await auditText();
    for (const secret of [m.idNumber, m.phone!, bankCard]) expect(audit).not.toContain(secret);
  });

  it('absent values come back as null', async () => {
    const m = await makeMember(app, { org: union, phone: undefined });
    const res = await call(chairA, memberRoutes.reveal, {
      params: { id: m.person.id },
      body: { reason: '核对联系方式', fields: ['phone', 'bankCard'] },
    });
    expect(res.json()).toEqual({ phone: null, bankCard: null });
  });
});

// ---- Membership history ----

describe(`${memberRoutes.memberships.id} (GET /api/members/:id/memberships)`, () => {
  it('requires authentication', () => expectUnauthenticated(memberRoutes.memberships, { id: 'x' }));
  it('requires permission', () => expectForbidden(memberRoutes.memberships, { id: 'x' }));

  it('a member outside the scope is 404, the same as a random id', async () => {
    const far = await makeMember(app, { org: farUnion });
    await expectSame404(
      await call(cadreA, memberRoutes.memberships, { params: { id: far.person.id } }),
      await call(cadreA, memberRoutes.memberships, { params: { id: randomUUID() } }),
    );
  });

  it('happy path: the dated history, newest first, with union names and reasons', async () => {
    const m = await makeMember(app, { org: union, joinDate: '2010-05-01' });
    await app.core.db
      .updateTable('membership')
      .set({ status: 'transferred_out', ended_on: '2018-03-31', end_reason: '工作调动' })
      .where('id', '=', m.membership.id)
      .execute();
    const next = await makeOrg(app, { parent: tree.county, type: 'grassroots' });
    const { org_name: _orgName, ...closed } = m.membership;
    await app.core.db
      .insertInto('membership')
      .values({
        ...closed,
        id: newId(),
        org_id: next.id,
        org_path: next.path,
        started_on: '2018-04-01',
        status: 'retained',
      })
      .execute();
    const res = await call(cadreA, memberRoutes.memberships, { params: { id: m.person.id } });
    expect(res.json<{ items: Membership[] }>().items).toEqual([
      expect.objectContaining({
        orgId: next.id,
        orgName: next.name,
        startedOn: '2018-04-01',
        endedOn: null,
        status: 'retained',
      }),
      expect.objectContaining({
        orgId: union.id,
        orgName: union.name,
        startedOn: '2010-05-01',
        endedOn: '2018-03-31',
        status: 'transferred_out',
        endReason: '工作调动',
      }),
    ]);
  });
});

// ---- Members on a date ----

describe(`${memberRoutes.asOf.id} (GET /api/orgs/:id/members)`, () => {
  let asOfUnion: OrganizationTable;
  let group: OrganizationTable;
  let stayed: Awaited<ReturnType<typeof makeMember>>;
  let left: Awaited<ReturnType<typeof makeMember>>;
  let late: Awaited<ReturnType<typeof makeMember>>;
  let below: Awaited<ReturnType<typeof makeMember>>;

  beforeAll(async () => {
    asOfUnion = await makeOrg(app, { parent: tree.county, type: 'joint' });
    group = await makeOrg(app, { parent: asOfUnion, type: 'grassroots' });
    stayed = await makeMember(app, { org: asOfUnion, joinDate: '2019-01-01' });
    left = await makeMember(app, { org: asOfUnion, joinDate: '2019-06-01' });
    await withdraw(left.person.id, '2022-06-30');
    late = await makeMember(app, { org: asOfUnion, joinDate: '2023-01-01' });
    below = await makeMember(app, { org: group, joinDate: '2020-01-01' });
  });

  const asOf = (a: Agent, id: string, query: Record<string, string>) =>
    call(a, memberRoutes.asOf, { params: { id }, query });
  const ids = (res: InjectResult) => new Set(res.json<Page>().items.map((r) => r.id));

  it('requires authentication', () => expectUnauthenticated(memberRoutes.asOf, { id: 'x' }));
  it('requires permission', () => expectForbidden(memberRoutes.asOf, { id: 'x' }));

  it('a union outside the scope is 404, the same as a random id', async () => {
    await expectSame404(await asOf(cadreA, farUnion.id, {}), await asOf(cadreA, randomUUID(), {}));
  });

  it('answers for a past date across a membership that ended', async () => {
    expect(ids(await asOf(cadreA, asOfUnion.id, { asOf: '2018-12-31' }))).toEqual(new Set());
    expect(ids(await asOf(cadreA, asOfUnion.id, { asOf: '2019-01-01' }))).toEqual(new Set([stayed.person.id]));
    expect(ids(await asOf(cadreA, asOfUnion.id, { asOf: '2022-06-29' }))).toEqual(
      new Set([stayed.person.id, left.person.id]),
    );
    // The day a membership ends it no longer counts.
    const onEnd = await asOf(cadreA, asOfUnion.id, { asOf: '2022-06-30' });
    expect(ids(onEnd)).toEqual(new Set([stayed.person.id]));
    const today = await asOf(cadreA, asOfUnion.id, {});
    expect(ids(today)).toEqual(new Set([stayed.person.id, late.person.id]));
    // A row of a membership that has ended since shows its end, masked like every list.
    const row = (await asOf(cadreA, asOfUnion.id, { asOf: '2020-01-01' }))
      .json<Page>()
      .items.find((r) => r.id === left.person.id)!;
    expect(row).toMatchObject({ status: 'withdrawn', endedOn: '2022-06-30', joinedOn: '2019-06-01' });
    expect(row.idNumber).toBe(`${left.idNumber.slice(0, 4)}**********${left.idNumber.slice(-4)}`);
    expect(JSON.stringify(onEnd.body)).not.toContain(stayed.idNumber);
  });

  it('includes the unions below with subtree=true, pages with a total', async () => {
    expect(ids(await asOf(cadreA, asOfUnion.id, { asOf: '2021-01-01' }))).toEqual(
      new Set([stayed.person.id, left.person.id]),
    );
    const all = await asOf(cadreA, asOfUnion.id, { asOf: '2021-01-01', subtree: 'true' });
    expect(ids(all)).toEqual(new Set([stayed.person.id, left.person.id, below.person.id]));
    const page = await asOf(cadreA, asOfUnion.id, { asOf: '2021-01-01', subtree: 'true', pageSize: '2', page: '2' });
    expect(page.json<Page>()).toMatchObject({ total: 3, page: 2, pageSize: 2 });
    expect(page.json<Page>().items).toHaveLength(1);
  });

  it('bad input names the field', async () => {
    for (const [query, field] of [
      [{ asOf: '2021-13-01' }, 'query.asOf'],
      [{ asOf: day(3) }, 'query.asOf'],
      [{ subtree: 'yes' }, 'query.subtree'],
    ] as const) {
      expect(errorOf(await asOf(cadreA, asOfUnion.id, query)), field).toMatchObject({ status: 400, fields: [field] });
    }
  });
});

// ---- Repository functions for bulk registration ----

describe('members repository (bulk registration)', () => {
  const cipher = () => app.core.cipher;
  const blind = () => app.core.blind;

  function rows(org: OrganizationTable, count: number) {
    const now = new Date().toISOString();
    const persons: PersonTable[] = [];
    const memberships: MembershipTable[] = [];
    for (let i = 0; i < count; i++) {
      const idNumber = randomIdNumber();
      const idx = blind().index(idNumber, PERSON_FIELD_CONTEXTS.idNumber);
      const person: PersonTable = {
        id: newId(),
        name: `批量${i}`,
        name_initials: 'pl',
        id_number_cipher: cipher().encrypt(idNumber, PERSON_FIELD_CONTEXTS.idNumber),
        id_number_index: idx,
        gender: 'male',
        birth_date: `${idNumber.slice(6, 10)}-${idNumber.slice(10, 12)}-${idNumber.slice(12, 14)}`,
        ethnicity: '01',
        political_status: 'masses',
        education: 'senior',
        household_type: 'rural',
        household_region: '610113',
        phone_cipher: null,
        phone_index: null,
        bank_card_cipher: null,
        bank_card_index: null,
        employment_type: 'migrant',
        new_form_group: null,
        work_unit_id: null,
        work_unit_name: null,
        real_name_verified: 0,
        created_at: now,
        updated_at: now,
      };
      persons.push(person);
      memberships.push({
        id: newId(),
        person_id: person.id,
        id_number_index: idx,
        org_id: org.id,
        org_path: org.path,
        province_root: org.province_root,
        name: person.name,
        name_initials: person.name_initials,
        status: 'active',
        started_on: '2024-01-01',
        ended_on: null,
        end_reason: null,
        member_number: null,
        card_number: null,
        created_at: now,
        updated_at: now,
      });
    }
    return { persons, memberships };
  }

  it('inserts many persons and memberships in one transaction and finds them by ID number index', async () => {
    const org = await makeOrg(app, { parent: tree.county, type: 'grassroots' });
    const { persons, memberships } = rows(org, 1_203);
    const first = await app.core.write(sys, async (s) => {
      const start = await membersRepository.drawMemberNumbers(s.trx, 2031, persons.length);
      memberships.forEach((m, i) => (m.member_number = formatMemberNumber(2031, start + i)));
      await membersRepository.insertMany(s.trx, persons, memberships);
      await s.audit({ action: 'member.import', subjectType: 'organization', subjectId: org.id, orgPath: org.path });
      return start;
    });
    await recount();
    expect(first).toBe(1);
    expect(await membersRepository.drawMemberNumbers(app.core.db, 2031, 1)).toBe(persons.length + 1);

    const indexes = [...persons.map((p) => p.id_number_index), 'not-an-index'];
    const found = await membersRepository.findPersonsByIdNumberIndexes(app.core.db, indexes);
    expect(new Set(found.map((p) => p.id))).toEqual(new Set(persons.map((p) => p.id)));
    const open = await membersRepository.findOpenMembershipsByIdNumberIndexes(app.core.db, indexes);
    expect(open).toHaveLength(persons.length);
    expect(open[0]!.org_name).toBe(org.name);
    const numbers = await membersRepository.memberNumbersInUse(app.core.db, [
      formatMemberNumber(2031, 1),
      formatMemberNumber(2031, 9_999),
    ]);
    expect([...numbers]).toEqual([formatMemberNumber(2031, 1)]);
    const listed = await call(cadreA, memberRoutes.list, { query: { orgId: org.id, pageSize: '1' } });
    expect(listed.json<Page>().total).toBe(persons.length);
  });

  it('a name or initials search counts up to 10,000 and says there are more; a narrower one is exact; a large scope walks the index', async () => {
    const org = await makeOrg(app, { parent: tree.county, type: 'grassroots' });
    const { persons, memberships } = rows(org, 10_005);
    await app.core.write(sys, async (s) => {
      await membersRepository.insertMany(s.trx, persons, memberships);
      await s.audit({ action: 'member.import', subjectType: 'organization', subjectId: org.id, orgPath: org.path });
    });
    await recount();
    const search = async (query: Record<string, string>) =>
      (await call(cadreA, memberRoutes.list, { query: { orgId: org.id, ...query } })).json<Page>();
    for (const q of ['批量', 'pl']) {
      const page = await search({ q });
      expect(page, q).toMatchObject({ total: 10_000, totalCapped: true });
      expect(page.items).toHaveLength(20);
    }
    // The county's own range of the term (migration 0020) is capped the same way, in name order.
    const county = (await call(cadreA, memberRoutes.list, { query: { q: '批量' } })).json<Page>();
    expect(county).toMatchObject({ total: 10_000, totalCapped: true });
    const listed = county.items.map((r) => r.id);
    const stored = await app.core.db.selectFrom('person').select(['id', 'name']).where('id', 'in', listed).execute();
    const nameOf = new Map(stored.map((p) => [p.id, p.name]));
    const names = listed.map((id) => nameOf.get(id)!);
    expect(names.every((n) => n.startsWith('批量'))).toBe(true);
    expect(county.items).toHaveLength(20);
    expect(names).toEqual([...names].sort());
    // A filter on the person (the joined path) is capped the same way.
    expect(await search({ q: '批量', employmentType: 'migrant' })).toMatchObject({ total: 10_000, totalCapped: true });
    expect(await search({ q: '批量', gender: 'female' })).toMatchObject({ total: 0, totalCapped: false });
    // 批量1, 批量10–19, 批量100–199, 批量1000–1999, 批量10000–10004; by name.
    const narrow = await search({ q: '批量1', pageSize: '3' });
    expect(narrow).toMatchObject({ total: 1 + 10 + 100 + 1_000 + 5, totalCapped: false });
    expect(narrow.items.map((r) => r.id)).toEqual(
      [...persons]
        .filter((p) => p.name.startsWith('批量1'))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1))
        .slice(0, 3)
        .map((p) => p.id),
    );
    // An unsearched list over more than LARGE_SCOPE members walks the initials index: the
    // same order as a sort, the total from the counters.
    const first = await search({ pageSize: '3' });
    expect(first).toMatchObject({ total: 10_005, totalCapped: false });
    expect(first.items.map((r) => r.id)).toEqual(
      [...persons]
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1))
        .slice(0, 3)
        .map((p) => p.id),
    );
  });

  it('a duplicate anywhere in the batch rolls back the whole batch', async () => {
    const org = await makeOrg(app, { parent: tree.county, type: 'grassroots' });
    const existing = await makeMember(app, { org });
    const { persons, memberships } = rows(org, 600);
    // Row 550 is a person already on record (same ID number).
    persons[550]!.id_number_index = existing.person.id_number_index;
    memberships[550]!.id_number_index = existing.person.id_number_index;
    await expect(
      app.core.write(sys, async (s) => {
        await membersRepository.insertMany(s.trx, persons, memberships);
        await s.audit({ action: 'member.import', subjectType: 'organization', subjectId: org.id, orgPath: org.path });
      }),
    ).rejects.toThrow();
    const found = await membersRepository.findPersonsByIdNumberIndexes(
      app.core.db,
      persons.map((p) => p.id_number_index),
    );
    expect(found.map((p) => p.id)).toEqual([existing.person.id]);
  });
});
