import { randomBytes, randomUUID } from 'node:crypto';
import { allRoutes, type ErrorCode, luhnCheckDigit, PERMISSION_CODES, type RouteContract } from '@zhgh/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../src/core/actor.ts';
import type { JobTable, OrganizationTable, WorkUnitTable } from '../src/db/schema.ts';
import {
  type Agent,
  agent,
  lastSmsCode,
  makeOrg,
  makeRole,
  makeWorkUnit,
  makeInactivityProposal,
  makeMember,
  memberBody,
  multipartBody,
  makeTree,
  makeUser,
  randomCreditCode,
  permissionsWithout,
  randomIdNumber,
  randomPhone,
  signIn,
  type TestUser,
  TEST_PASSWORD,
  unique,
  withoutRequestId,
} from './factories.ts';
import { createTestApp, createTestClock } from './harness.ts';
import { csvBytes, rosterMatrix } from './import-files.ts';
import { joinFixture, subsidyFixture } from './workflow-fixtures.ts';
import { fundBudget, makeModelWorker } from './subsidies-fixtures.ts';
import { eventCode } from '../src/modules/enrollment/enrollment.policy.ts';

/**
 * The role matrix: every route of the contracts, for actors placed around one "home"
 * organization (a county federation), must answer exactly as the access rules say:
 *
 *   position   grant held at          scoped object at home   list of home's records
 *   same       the home node          allowed                 sees them
 *   parent     the city above         allowed                 sees them
 *   child      a grassroots below     404 (as a missing id)   does not see them
 *   sibling    a sibling county       404 (as a missing id)   does not see them
 *   none       no grant at all        403                     403
 *   lacking    home, minus the route's permission  403        403
 *   anonymous  no session             401                     401
 *
 * A route without an entry in SPECS fails the test, so a new endpoint cannot ship unchecked.
 */

type Position = 'same' | 'parent' | 'child' | 'sibling' | 'none' | 'lacking' | 'anonymous';
const POSITIONS: readonly Position[] = ['same', 'parent', 'child', 'sibling', 'none', 'lacking', 'anonymous'];

interface Req {
  method: string;
  url: string;
  body?: unknown;
  /** For bodies that are not JSON (multipart uploads). */
  headers?: Record<string, string>;
}

interface World {
  tree: Awaited<ReturnType<typeof makeTree>>;
  /** A cadre at home whose records are the targets of scoped routes. */
  target: TestUser;
  /** A plain account (no TOTP) for the public sign-in routes. */
  plain: TestUser;
  /** A second user's session id: revoking it must look like a missing id. */
  foreignSessionId: string;
}

type Spec =
  /** Open to everyone, signed in or not. */
  | { access: 'public'; request: (w: World) => Promise<Req> | Req }
  /** Any signed-in user, about themselves. `fresh` runs it as a new user of the position (it ends or changes the session). */
  | {
      access: 'self';
      /** `who` is null for the anonymous caller. */
      request: (w: World, a: Agent, who: TestUser | null) => Promise<Req> | Req;
      fresh?: true;
      /** The answer expected when the happy path does not apply to the actor's state. */
      allowCode?: ErrorCode;
    }
  /** A permission not tied to an organization (the registry, roles). */
  | { access: 'global'; request: (w: World) => Promise<Req> | Req }
  /** One record at the home node; `sees`, if given, tells whether an allowed answer holds home's records. */
  | {
      access: 'scoped';
      /** `a` is the actor making the request (for records only their owner may reach). */
      request: (w: World, a: Agent) => Promise<Req> | Req;
      sees?: (body: unknown, w: World) => boolean;
    }
  /** A list filtered by scope; `sees` tells whether home's records are in the answer. */
  | { access: 'list'; request: (w: World) => Promise<Req> | Req; sees: (body: unknown, w: World) => boolean };

type Items = { items: Record<string, unknown>[] };
const items = (body: unknown) => (body as Items).items;

const SPECS: Record<string, Spec> = {
  'system.health': { access: 'public', request: () => ({ method: 'GET', url: '/healthz' }) },
  'system.readiness': { access: 'public', request: () => ({ method: 'GET', url: '/readyz' }) },
  'system.meta': { access: 'public', request: () => ({ method: 'GET', url: '/api/meta' }) },

  'auth.login': {
    access: 'public',
    request: (w) => ({
      method: 'POST',
      url: '/api/auth/login',
      body: { account: w.plain.username, password: w.plain.password, kind: 'cadre' },
    }),
  },
  'auth.smsSend': {
    access: 'public',
    request: () => ({ method: 'POST', url: '/api/auth/sms-codes', body: { phone: randomPhone() } }),
  },
  'auth.smsLogin': {
    access: 'public',
    request: async () => {
      const phone = randomPhone();
      const sent = await anonymous.post('/api/auth/sms-codes', { phone });
      expect(sent.status).toBe(202);
      return { method: 'POST', url: '/api/auth/sms-login', body: { phone, code: lastSmsCode(app(), phone) } };
    },
  },
  'auth.totpRecoveryRequest': {
    access: 'public',
    request: (w) => ({
      method: 'POST',
      url: '/api/auth/totp/recovery-requests',
      body: { account: w.target.username, password: w.target.password, reason: '手机丢失，无法获取动态口令' },
    }),
  },

  'auth.session': { access: 'self', request: () => ({ method: 'GET', url: '/api/auth/session' }) },
  'auth.sessions': { access: 'self', request: () => ({ method: 'GET', url: '/api/auth/sessions' }) },
  'auth.logout': {
    access: 'self',
    fresh: true,
    request: () => ({ method: 'POST', url: '/api/auth/logout', body: {} }),
  },
  'auth.logoutAll': {
    access: 'self',
    fresh: true,
    request: () => ({ method: 'POST', url: '/api/auth/logout-all', body: {} }),
  },
  'auth.revokeSession': {
    access: 'self',
    fresh: true,
    request: async (w, _a, who) => {
      if (!who) return { method: 'DELETE', url: `/api/auth/sessions/${w.foreignSessionId}` };
      // A second session of the same user, to end from the first; a later TOTP step, as a
      // code is accepted only once.
      clock.advance(31_000);
      const other = await signIn(app(), who);
      const mine = await other.get('/api/auth/sessions');
      const id = items(mine.body).find((s) => s.current === true)!.id as string;
      return { method: 'DELETE', url: `/api/auth/sessions/${id}` };
    },
  },
  'auth.changePassword': {
    access: 'self',
    fresh: true,
    request: (_w, _a, who) => ({
      method: 'POST',
      url: '/api/auth/password',
      body: { oldPassword: who?.password ?? TEST_PASSWORD, newPassword: `${TEST_PASSWORD}-2` },
    }),
  },
  // Matrix actors hold privileged roles, so they are enrolled already: the route is open to
  // them and answers with the state, not with an access refusal.
  'auth.totpSetup': {
    access: 'self',
    allowCode: 'TOTP_ALREADY_ENABLED',
    request: () => ({ method: 'POST', url: '/api/auth/totp/setup', body: {} }),
  },
  'auth.totpEnable': {
    access: 'self',
    allowCode: 'TOTP_ALREADY_ENABLED',
    request: () => ({ method: 'POST', url: '/api/auth/totp/enable', body: { code: '123456' } }),
  },

  'access.permissions': { access: 'global', request: () => ({ method: 'GET', url: '/api/permissions' }) },
  'access.roles': { access: 'global', request: () => ({ method: 'GET', url: '/api/roles' }) },
  'access.createRole': {
    access: 'global',
    request: () => ({
      method: 'POST',
      url: '/api/roles',
      body: {
        code: unique('m_').toLowerCase(),
        name: { 'zh-CN': '矩阵角色', en: 'Matrix role' },
        permissions: ['org.read'],
      },
    }),
  },
  'access.updateRole': {
    access: 'global',
    request: async () => {
      const role = await makeRole(app(), ['org.read']);
      return {
        method: 'PUT',
        url: `/api/roles/${role.id}`,
        body: { name: { 'zh-CN': '改名', en: 'Renamed' }, permissions: ['org.read', 'member.read'] },
      };
    },
  },
  'access.users': {
    access: 'list',
    request: (w) => ({ method: 'GET', url: `/api/users?q=${w.target.username}` }),
    sees: (body, w) => items(body).some((u) => u.id === w.target.user.id),
  },
  'access.getUser': { access: 'scoped', request: (w) => ({ method: 'GET', url: `/api/users/${w.target.user.id}` }) },
  'access.createUser': {
    access: 'scoped',
    request: (w) => ({
      method: 'POST',
      url: '/api/users',
      body: {
        kind: 'cadre',
        username: unique('n'),
        displayName: '新干部',
        orgId: w.tree.county.id,
        initialPassword: TEST_PASSWORD,
      },
    }),
  },
  'access.updateUser': {
    access: 'scoped',
    request: (w) => ({ method: 'PATCH', url: `/api/users/${w.target.user.id}`, body: { displayName: '改名' } }),
  },
  'access.unlockUser': {
    access: 'scoped',
    request: (w) => ({ method: 'POST', url: `/api/users/${w.target.user.id}/unlock`, body: {} }),
  },
  'access.grants': {
    access: 'list',
    request: (w) => ({ method: 'GET', url: `/api/grants?userId=${w.target.user.id}` }),
    sees: (body) => items(body).length > 0,
  },
  'access.createGrant': {
    access: 'scoped',
    request: async (w) => {
      const grantee = await makeUser(app(), { org: w.tree.county });
      const role = (await app().services.access.listRoles()).find((r) => r.code === 'grassroots_cadre')!;
      return {
        method: 'POST',
        url: '/api/grants',
        body: { userId: grantee.user.id, roleId: role.id, orgId: w.tree.county.id },
      };
    },
  },
  'access.revokeGrant': {
    access: 'scoped',
    request: async (w) => {
      const holder = await makeUser(app(), { org: w.tree.county });
      const id = await app().services.access.provisionGrant(sys, {
        userId: holder.user.id,
        roleCode: 'grassroots_cadre',
        orgId: w.tree.county.id,
      });
      return { method: 'DELETE', url: `/api/grants/${id}` };
    },
  },
  'access.totpRecoveries': {
    access: 'list',
    request: () => ({ method: 'GET', url: '/api/totp-recovery-requests?status=pending' }),
    sees: (body, w) => items(body).some((r) => r.userId === w.target.user.id),
  },
  'access.decideTotpRecovery': {
    access: 'scoped',
    request: async (w) => {
      const requester = await makeUser(app(), { org: w.tree.county, totp: true });
      await app().services.auth.requestTotpRecovery(
        { actor: { kind: 'anonymous', id: null } },
        { account: requester.username!, password: requester.password, reason: '换了手机' },
      );
      const pending = await app()
        .core.db.selectFrom('totp_recovery')
        .select('id')
        .where('user_id', '=', requester.user.id)
        .executeTakeFirstOrThrow();
      return { method: 'POST', url: `/api/totp-recovery-requests/${pending.id}/decision`, body: { approve: false } };
    },
  },

  'org.get': { access: 'scoped', request: (w) => ({ method: 'GET', url: `/api/orgs/${w.tree.county.id}` }) },
  'org.children': {
    access: 'scoped',
    request: (w) => ({ method: 'GET', url: `/api/orgs/${w.tree.county.id}/children` }),
  },
  'org.roots': {
    access: 'list',
    request: () => ({ method: 'GET', url: '/api/orgs' }),
    sees: (body, w) => items(body).some((o) => w.tree.county.path.startsWith(String(o.path))),
  },
  'org.create': {
    access: 'scoped',
    request: (w) => ({
      method: 'POST',
      url: '/api/orgs',
      body: { parentId: w.tree.county.id, name: unique('新建工会'), type: 'grassroots' },
    }),
  },

  // organizations and work units: each request makes fresh organizations under the home
  // county, as moving, merging and dissolving change the tree.
  'org.update': {
    access: 'scoped',
    request: async (w) => {
      const org = await makeOrg(app(), { parent: w.tree.county, type: 'grassroots' });
      return { method: 'PATCH', url: `/api/orgs/${org.id}`, body: { name: unique('改名工会') } };
    },
  },
  'org.move': {
    access: 'scoped',
    request: async (w) => {
      const org = await makeOrg(app(), { parent: w.tree.county, type: 'grassroots' });
      const parent = await makeOrg(app(), { parent: w.tree.county, type: 'township' });
      return { method: 'POST', url: `/api/orgs/${org.id}/move`, body: { newParentId: parent.id } };
    },
  },
  'org.dissolve': {
    access: 'scoped',
    request: async (w) => {
      const org = await makeOrg(app(), { parent: w.tree.county, type: 'grassroots' });
      return { method: 'POST', url: `/api/orgs/${org.id}/dissolve`, body: { reason: '单位注销' } };
    },
  },
  'org.mergePreview': {
    access: 'scoped',
    request: async (w) => {
      const source = await makeOrg(app(), { parent: w.tree.county, type: 'grassroots' });
      const target = await makeOrg(app(), { parent: w.tree.county, type: 'joint' });
      return { method: 'GET', url: `/api/orgs/${source.id}/merge-preview?targetId=${target.id}` };
    },
  },
  'org.merge': {
    access: 'scoped',
    request: async (w) => {
      const source = await makeOrg(app(), { parent: w.tree.county, type: 'grassroots' });
      const target = await makeOrg(app(), { parent: w.tree.county, type: 'joint' });
      return {
        method: 'POST',
        url: `/api/orgs/${source.id}/merge`,
        body: { targetId: target.id, reason: '并入联合工会' },
      };
    },
  },
  'workUnit.list': {
    access: 'list',
    request: async (w) => {
      matrixUnit ??= await makeWorkUnit(app(), { org: w.tree.county, name: unique('矩阵单位') });
      return { method: 'GET', url: `/api/work-units?q=${encodeURIComponent(matrixUnit.name)}` };
    },
    sees: (body) => items(body).some((u) => u.id === matrixUnit?.id),
  },
  'workUnit.get': {
    access: 'scoped',
    request: async (w) => {
      const unit = await makeWorkUnit(app(), { org: w.tree.county });
      return { method: 'GET', url: `/api/work-units/${unit.id}` };
    },
  },
  'workUnit.create': {
    access: 'scoped',
    request: (w) => ({
      method: 'POST',
      url: '/api/work-units',
      body: {
        name: unique('新登记单位'),
        unitType: '170',
        industry: 'G',
        regionCode: '610113',
        employeeCount: 12,
        orgId: w.tree.county.id,
      },
    }),
  },
  'workUnit.update': {
    access: 'scoped',
    request: async (w) => {
      const unit = await makeWorkUnit(app(), { org: w.tree.county });
      return { method: 'PATCH', url: `/api/work-units/${unit.id}`, body: { employeeCount: 150 } };
    },
  },

  'regions.children': { access: 'public', request: () => ({ method: 'GET', url: '/api/regions?parent=610100' }) },

  // members: scoped requests register a fresh member in a fresh grassroots union directly
  // under the home county (not the child position's union, which lies below it too).
  'member.register': {
    access: 'scoped',
    request: async (w) => {
      const org = await makeOrg(app(), { parent: w.tree.county, type: 'grassroots' });
      return { method: 'POST', url: '/api/members', body: memberBody(org.id) };
    },
  },
  'member.list': {
    access: 'list',
    request: async (w) => {
      const m = await homeMember(w);
      return { method: 'GET', url: `/api/members?q=${m.idNumber}` };
    },
    sees: (body) => items(body).some((m) => m.id === matrixMember?.person.id),
  },
  'member.get': {
    access: 'scoped',
    request: async (w) => ({ method: 'GET', url: `/api/members/${(await freshMember(w)).person.id}` }),
  },
  'member.update': {
    access: 'scoped',
    request: async (w) => ({
      method: 'PATCH',
      url: `/api/members/${(await freshMember(w)).person.id}`,
      body: { education: 'master' },
    }),
  },
  'member.reveal': {
    access: 'scoped',
    request: async (w) => ({
      method: 'POST',
      url: `/api/members/${(await freshMember(w)).person.id}/reveal`,
      body: { reason: '核对补助发放信息', fields: ['idNumber', 'phone'] },
    }),
  },
  'member.memberships': {
    access: 'scoped',
    request: async (w) => ({ method: 'GET', url: `/api/members/${(await freshMember(w)).person.id}/memberships` }),
  },
  'member.asOf': {
    access: 'scoped',
    request: async (w) => {
      await homeMember(w);
      return { method: 'GET', url: `/api/orgs/${w.tree.county.id}/members?subtree=true&pageSize=200` };
    },
    sees: (body) => items(body).some((m) => m.id === matrixMember?.person.id),
  },

  // statistics
  'stats.subtree': {
    access: 'scoped',
    request: (w) => ({ method: 'GET', url: `/api/stats?orgId=${w.tree.county.id}` }),
  },

  // imports
  'imports.memberTemplate': {
    access: 'global',
    request: () => ({ method: 'GET', url: '/api/imports/member-template' }),
  },
  'imports.memberPreview': {
    access: 'scoped',
    request: (w) => {
      const { body, contentType } = multipartBody({
        orgId: w.tree.county.id,
        file: { filename: 'roster.csv', content: csvBytes(rosterMatrix(3)) },
      });
      return { method: 'POST', url: '/api/imports/member-preview', body, headers: { 'content-type': contentType } };
    },
  },
  'imports.memberImport': {
    access: 'scoped',
    request: async (w) => {
      const { body, contentType } = multipartBody({
        orgId: (await homeUnion(w)).id,
        file: { filename: 'roster.csv', content: csvBytes(rosterMatrix(3)) },
      });
      return { method: 'POST', url: '/api/imports/members', body, headers: { 'content-type': contentType } };
    },
  },
  'imports.errorReport': {
    access: 'scoped',
    request: async (w) => ({
      method: 'GET',
      url: `/api/imports/${(await homeJob(w, { kind: 'member.import', status: 'succeeded' })).id}/error-report`,
    }),
  },

  // jobs
  'job.list': {
    access: 'list',
    request: async (w) => {
      await homeJob(w, { status: 'succeeded' });
      return { method: 'GET', url: '/api/jobs?kind=matrix.job&pageSize=200' };
    },
    sees: (body, w) => items(body).some((j) => j.orgId === w.tree.county.id),
  },
  'job.get': {
    access: 'scoped',
    request: async (w) => ({ method: 'GET', url: `/api/jobs/${(await homeJob(w, { status: 'succeeded' })).id}` }),
  },
  'job.cancel': {
    access: 'scoped',
    request: async (w) => ({ method: 'POST', url: `/api/jobs/${(await homeJob(w, { status: 'queued' })).id}/cancel` }),
  },
  'job.resume': {
    access: 'scoped',
    request: async (w) => ({
      method: 'POST',
      url: `/api/jobs/${(await homeJob(w, { status: 'cancelled' })).id}/resume`,
    }),
  },

  // exports: the file is its requester's only, so each actor downloads an export they asked
  // for; an actor who may not ask gets someone else's finished export, which must not exist for them.
  'exports.members': {
    access: 'scoped',
    request: (w) => ({ method: 'POST', url: '/api/exports/members', body: { orgId: w.tree.county.id, format: 'csv' } }),
  },
  'exports.unions': {
    access: 'scoped',
    request: (w) => ({ method: 'POST', url: '/api/exports/unions', body: { orgId: w.tree.county.id, format: 'xlsx' } }),
  },
  'exports.file': {
    access: 'scoped',
    request: async (w, a) => {
      const asked = await agent(app(), a.cookie, a.csrf).post('/api/exports/unions', {
        orgId: w.tree.county.id,
        format: 'csv',
      });
      let id: string;
      if (asked.status === 202) {
        id = asked.json<{ id: string }>().id;
        await t.app.core.jobs.drain();
      } else {
        id = (await homeJob(w, { kind: 'export.unions', status: 'succeeded' })).id;
      }
      return { method: 'GET', url: `/api/exports/${id}/file` };
    },
  },

  'audit.list': {
    access: 'list',
    request: () => ({ method: 'GET', url: '/api/audit-events?action=matrix.marker&pageSize=200' }),
    sees: (body) => items(body).length > 0,
  },

  // workflow: an instance is its applicant's and the handling union's. Self-service routes run
  // on an instance each actor applied for themselves (filed at home); out-of-scope 404s of
  // those routes are proven in workflow-routes.test.ts.
  'workflow.get': {
    access: 'self',
    request: async (w, _a, who) => ({ method: 'GET', url: `/api/workflow/instances/${await ownInstance(w, who)}` }),
  },
  'workflow.comment': {
    access: 'self',
    request: async (w, _a, who) => ({
      method: 'POST',
      url: `/api/workflow/instances/${await ownInstance(w, who)}/comments`,
      body: { text: '请尽快办理' },
    }),
  },
  'workflow.attach': {
    access: 'self',
    request: async (w, _a, who) => {
      const { body, contentType } = multipartBody({
        kind: 'employmentProof',
        file: { filename: 'proof.pdf', content: Buffer.from('%PDF-1.4'), contentType: 'application/pdf' },
      });
      return {
        method: 'POST',
        url: `/api/workflow/instances/${await ownInstance(w, who)}/attachments`,
        body,
        headers: { 'content-type': contentType },
      };
    },
  },
  'workflow.attachmentFile': {
    access: 'self',
    request: async (w, a, who) => {
      if (!who) return { method: 'GET', url: `/api/workflow/attachments/${randomUUID()}/file` };
      const { body, contentType } = multipartBody({
        kind: 'employmentProof',
        file: { filename: 'proof.pdf', content: Buffer.from('%PDF-1.4'), contentType: 'application/pdf' },
      });
      const up = await agent(app(), a.cookie, a.csrf).request(
        'POST',
        `/api/workflow/instances/${await ownInstance(w, who)}/attachments`,
        body,
        { 'content-type': contentType },
      );
      expect(up.status).toBe(201);
      return { method: 'GET', url: `/api/workflow/attachments/${up.json<{ id: string }>().id}/file` };
    },
  },
  'workflow.notices': { access: 'self', request: () => ({ method: 'GET', url: '/api/workflow/notices' }) },
  'workflow.object': {
    access: 'self',
    request: async (w) => ({
      method: 'POST',
      url: `/api/workflow/notices/${(await homeNotice(w)).noticeId}/objections`,
      body: { reason: '公示对象情况不属实' },
    }),
  },
  'workflow.decideObjection': {
    access: 'scoped',
    request: async (w) => {
      const { noticeId } = await homeNotice(w);
      const objection = await app().services.workflow.engine.object(
        { actor: { kind: 'user', id: w.plain.user.id, userKind: 'cadre' } },
        noticeId,
        '收入不属实',
      );
      return {
        method: 'POST',
        url: `/api/workflow/objections/${objection.id}/decision`,
        body: { decision: 'dismissed', reason: '经核实不影响' },
      };
    },
  },
  'workflow.queue': {
    access: 'list',
    request: async (w) => {
      matrixInstance ??= await ownInstance(w, null);
      return { method: 'GET', url: '/api/workflow/queue?definitionKey=testJoin&pageSize=200' };
    },
    sees: (body) => items(body).some((i) => i.id === matrixInstance),
  },
  // finance: home's accounts and batches at the county; every write gets fresh records, so
  // each position meets the same state.
  'finance.accounts': {
    access: 'list',
    request: async (w) => ({
      method: 'GET',
      url: `/api/finance/accounts?purpose=${(await homeFinance(w)).purpose}&pageSize=200`,
    }),
    sees: (body) => items(body).length > 0,
  },
  'finance.account': {
    access: 'scoped',
    request: async (w) => ({ method: 'GET', url: `/api/finance/accounts/${(await homeFinance(w)).budget.id}` }),
  },
  'finance.statement': {
    access: 'scoped',
    request: async (w) => ({
      method: 'GET',
      url: `/api/finance/accounts/${(await homeFinance(w)).budget.id}/statement`,
    }),
  },
  'finance.openAccount': {
    access: 'scoped',
    request: (w) => ({
      method: 'POST',
      url: '/api/finance/accounts',
      body: { orgId: w.tree.county.id, kind: 'budget', purpose: unique('m_').toLowerCase() },
    }),
  },
  'finance.allocate': {
    access: 'scoped',
    request: async (w) => {
      const { funding, budget } = await homeFinance(w);
      return {
        method: 'POST',
        url: '/api/finance/transfers',
        body: { debitAccountId: funding.id, creditAccountId: budget.id, amount: 1, idempotencyKey: randomUUID() },
      };
    },
  },
  'finance.reverse': {
    access: 'scoped',
    request: async (w) => {
      const { funding, budget } = await homeFinance(w);
      const transfer = await app().services.ledger.transfer(sys, {
        idempotencyKey: randomUUID(),
        debitAccountId: funding.id,
        creditAccountId: budget.id,
        amount: 1,
        kind: 'allocation',
      });
      return {
        method: 'POST',
        url: `/api/finance/transfers/${transfer.id}/reversal`,
        body: { reason: '矩阵冲正', idempotencyKey: randomUUID() },
      };
    },
  },
  'payout.list': {
    access: 'list',
    request: async (w) => {
      matrixBatch ??= (await homeBatch(w, 'draft')).id;
      return { method: 'GET', url: '/api/finance/payout-batches?pageSize=200' };
    },
    sees: (body) => items(body).some((b) => b.id === matrixBatch),
  },
  'payout.get': {
    access: 'scoped',
    request: async (w) => ({ method: 'GET', url: `/api/finance/payout-batches/${(await homeBatch(w, 'draft')).id}` }),
  },
  'payout.create': {
    access: 'scoped',
    request: async (w) => ({
      method: 'POST',
      url: '/api/finance/payout-batches',
      body: { orgId: w.tree.county.id, purpose: (await homeOwed(w)).purpose },
    }),
  },
  'payout.cancel': {
    access: 'scoped',
    request: async (w) => ({
      method: 'POST',
      url: `/api/finance/payout-batches/${(await homeBatch(w, 'draft')).id}/cancel`,
    }),
  },
  'payout.send': {
    access: 'scoped',
    request: async (w) => ({
      method: 'POST',
      url: `/api/finance/payout-batches/${(await homeBatch(w, 'draft')).id}/send`,
    }),
  },
  'payout.bankFile': {
    access: 'scoped',
    request: async (w) => ({
      method: 'GET',
      url: `/api/finance/payout-batches/${(await homeBatch(w, 'sent')).id}/bank-file`,
    }),
  },
  'payout.reconcile': {
    access: 'scoped',
    request: async (w) => {
      const { body, contentType } = multipartBody({
        file: { filename: 'result.csv', content: Buffer.from('行号,结果\r\n1,成功\r\n'), contentType: 'text/csv' },
      });
      return {
        method: 'POST',
        url: `/api/finance/payout-batches/${(await homeBatch(w, 'sent')).id}/results`,
        body,
        headers: { 'content-type': contentType },
      };
    },
  },

  // model-worker registry: scoped requests act on a fresh entry kept by the home county.
  'modelWorker.list': {
    access: 'list',
    request: async (w) => {
      await homeModelWorker(w);
      return { method: 'GET', url: `/api/model-workers?pageSize=200&year=2019` };
    },
    sees: (body) => items(body).some((m) => m.id === matrixModelWorker),
  },
  'modelWorker.export': {
    access: 'scoped',
    request: (w) => ({ method: 'GET', url: `/api/model-workers/export?orgId=${w.tree.county.id}` }),
  },
  'modelWorker.get': {
    access: 'scoped',
    request: async (w) => ({ method: 'GET', url: `/api/model-workers/${await freshModelWorker(w)}` }),
  },
  'modelWorker.create': {
    access: 'scoped',
    request: (w) => ({
      method: 'POST',
      url: '/api/model-workers',
      body: {
        orgId: w.tree.county.id,
        name: '李劳模',
        idNumber: randomIdNumber(),
        category: 'model_worker',
        level: 'city',
        title: '市级劳动模范',
        yearAwarded: 2020,
        employmentStatus: 'employed',
      },
    }),
  },
  'modelWorker.update': {
    access: 'scoped',
    request: async (w) => ({
      method: 'PATCH',
      url: `/api/model-workers/${await freshModelWorker(w)}`,
      body: { employmentStatus: 'retired' },
    }),
  },
  'modelWorker.revoke': {
    access: 'scoped',
    request: async (w) => ({
      method: 'POST',
      url: `/api/model-workers/${await freshModelWorker(w)}/revoke`,
      body: { revokedOn: '2024-01-02', reason: '违纪被撤销荣誉称号' },
    }),
  },
  'modelWorker.restore': {
    access: 'scoped',
    request: async (w) => {
      const id = await freshModelWorker(w);
      await app().services.modelWorkers.revoke(sys, id, { revokedOn: '2024-01-02', reason: '误撤销' });
      return { method: 'POST', url: `/api/model-workers/${id}/restore`, body: { reason: '复核后恢复' } };
    },
  },
  'modelWorker.certificate': {
    access: 'scoped',
    request: async (w) => ({ method: 'GET', url: `/api/model-workers/${await freshModelWorker(w)}/certificate` }),
  },

  // subsidies: home (a federation) keeps rules, pays plans and handles applications.
  'subsidies.policies': {
    access: 'scoped',
    request: (w) => ({ method: 'GET', url: `/api/subsidies/policies?orgId=${w.tree.county.id}` }),
  },
  'subsidies.addPolicy': {
    access: 'scoped',
    request: (w) => ({
      method: 'POST',
      url: '/api/subsidies/policies',
      body: {
        orgId: w.tree.county.id,
        kind: 'hardship',
        // Each version starts later than the one before, as a change of the rules does.
        effectiveFrom: new Date(Date.UTC(2030, 0, ++policyDay)).toISOString().slice(0, 10),
        amountMinFen: 100_000,
        amountMaxFen: 500_000,
      },
    }),
  },
  'subsidies.apply': {
    access: 'self',
    allowCode: 'SUBSIDY_PERSON_NOT_BOUND',
    request: () => ({ method: 'POST', url: '/api/subsidies/applications', body: { kind: 'farmer' } }),
  },
  'subsidies.applications': {
    access: 'list',
    request: async (w) => {
      matrixSubsidy ??= await subsidyInstance(w, null);
      return { method: 'GET', url: '/api/subsidies/applications?pageSize=200' };
    },
    sees: (body) => items(body).some((i) => i.id === matrixSubsidy),
  },
  'subsidies.application': {
    access: 'self',
    request: async (w, _a, who) => ({
      method: 'GET',
      url: `/api/subsidies/applications/${await subsidyInstance(w, who)}`,
    }),
  },
  'subsidies.step': {
    access: 'self',
    // The applicant's own application in its survey: nothing for them to do there yet.
    allowCode: 'WORKFLOW_ACTION_UNAVAILABLE',
    request: async (w, _a, who) => ({
      method: 'POST',
      url: `/api/subsidies/applications/${await subsidyInstance(w, who)}/steps`,
      body: { action: 'resubmit' },
    }),
  },
  'subsidies.festival': {
    access: 'scoped',
    request: (w) => ({
      method: 'POST',
      url: '/api/subsidies/festival-greetings',
      body: { orgId: w.tree.county.id, year: 2026 },
    }),
  },
  'subsidies.createPlan': {
    access: 'scoped',
    request: async (w) => {
      await pendingGreeting(w);
      return {
        method: 'POST',
        url: '/api/subsidies/plans',
        body: { orgId: w.tree.county.id, year: 2031, kind: 'festival' },
      };
    },
  },
  'subsidies.plans': {
    access: 'list',
    request: async (w) => {
      matrixPlan ??= await homePlan(w);
      return { method: 'GET', url: '/api/subsidies/plans?pageSize=200' };
    },
    sees: (body) => items(body).some((i) => i.id === matrixPlan),
  },
  'subsidies.mine': {
    access: 'self',
    allowCode: 'SUBSIDY_PERSON_NOT_BOUND',
    request: () => ({ method: 'GET', url: '/api/subsidies/mine' }),
  },
  'subsidies.report': {
    access: 'scoped',
    request: (w) => ({ method: 'GET', url: `/api/subsidies/report?orgId=${w.tree.county.id}&year=2026` }),
  },

  // me: the signed-in user's own inbox, applications and real-name link; another user's
  // notification or application answers 404 (proven in me.test.ts).
  'me.notifications': { access: 'self', request: () => ({ method: 'GET', url: '/api/me/notifications' }) },
  'me.unreadCount': { access: 'self', request: () => ({ method: 'GET', url: '/api/me/notifications/unread-count' }) },
  'me.readNotification': {
    access: 'self',
    request: async (w, _a, who) => {
      if (!who) return { method: 'POST', url: `/api/me/notifications/${randomUUID()}/read`, body: {} };
      const inst = await ownInstance(w, who);
      const n = await app()
        .core.db.selectFrom('notification')
        .select('id')
        .where('link_id', '=', inst)
        .executeTakeFirstOrThrow();
      return { method: 'POST', url: `/api/me/notifications/${n.id}/read`, body: {} };
    },
  },
  'me.readAllNotifications': {
    access: 'self',
    request: () => ({ method: 'POST', url: '/api/me/notifications/read-all', body: {} }),
  },
  'me.applications': { access: 'self', request: () => ({ method: 'GET', url: '/api/me/applications' }) },
  'me.act': {
    access: 'self',
    request: async (w, _a, who) => {
      const id = await ownInstance(w, who);
      await workflowEngine().act(sys, id, { action: 'reject', comment: '材料不全' });
      return { method: 'POST', url: `/api/me/applications/${id}/actions`, body: { action: 'resubmit' } };
    },
  },
  'me.realName': { access: 'self', request: () => ({ method: 'GET', url: '/api/me/real-name' }) },
  'me.bindRealName': {
    access: 'self',
    // The matrix's actors have no real-name record: a clean refusal (not 401/403/500) is their answer.
    allowCode: 'REAL_NAME_NOT_MATCHED',
    request: () => ({
      method: 'POST',
      url: '/api/me/real-name',
      body: { name: '王小明', idNumber: '11010519491231002X' },
    }),
  },

  // cards: the holder's own card (the matrix's actors have no real-name record, so a clean
  // refusal is their answer; cards.test.ts covers holders), and verification, which is not
  // about an organization: any holder of card.verify checks any union's card.
  'card.mine': {
    access: 'self',
    allowCode: 'CARD_PERSON_NOT_BOUND',
    request: () => ({ method: 'GET', url: '/api/me/card' }),
  },
  'card.issue': {
    access: 'self',
    allowCode: 'CARD_PERSON_NOT_BOUND',
    request: () => ({ method: 'POST', url: '/api/me/card', body: {} }),
  },
  'card.pdf': {
    access: 'self',
    allowCode: 'CARD_PERSON_NOT_BOUND',
    request: () => ({ method: 'GET', url: '/api/me/card/pdf' }),
  },
  'card.verify': {
    access: 'global',
    request: () => ({
      method: 'POST',
      url: '/api/cards/verify',
      body: { code: `ZG1.${randomUUID()}.1.AAAAAAAAAAAAAAAA` },
    }),
  },

  // founding: an application is its applicant's (any signed-in user, for a workplace); the
  // list is the handling union's (home's township here), by founding.review.
  'founding.handlingUnions': {
    access: 'self',
    request: () => ({ method: 'GET', url: '/api/founding/handling-unions?regionCode=610113' }),
  },
  'founding.apply': {
    access: 'self',
    request: async (w) => {
      await foundingHandler(w);
      return { method: 'POST', url: '/api/founding/applications', body: foundingBody() };
    },
  },
  'founding.mine': { access: 'self', request: () => ({ method: 'GET', url: '/api/founding/mine' }) },
  'founding.list': {
    access: 'list',
    request: async (w) => {
      matrixFounding ??= await foundingOf(w, await makeUser(app(), { kind: 'member' }));
      return { method: 'GET', url: '/api/founding/applications?pageSize=200' };
    },
    sees: (body) => items(body).some((i) => i.id === matrixFounding),
  },
  'founding.get': {
    access: 'self',
    request: async (w, _a, who) => ({ method: 'GET', url: `/api/founding/applications/${await foundingOf(w, who)}` }),
  },
  'founding.step': {
    access: 'self',
    request: async (w, _a, who) => ({
      method: 'POST',
      url: `/api/founding/applications/${await foundingOf(w, who)}/steps`,
      body: { action: 'withdraw' },
    }),
  },
  // memberships (decision 0017): the member's own requests are `self` (the matrix's actors have
  // no real-name record, so a clean refusal is their answer; memberships.test.ts covers members);
  // transfers and requests are reached by their applicant; the union's lists and actions are
  // scoped to home's members, proposals and transfers into home.
  'memberships.unions': {
    access: 'self',
    request: () => ({ method: 'GET', url: `/api/memberships/unions?q=${encodeURIComponent('工会')}` }),
  },
  'memberships.mine': {
    access: 'self',
    allowCode: 'MEMBERSHIP_PERSON_NOT_BOUND',
    request: () => ({ method: 'GET', url: '/api/memberships/mine' }),
  },
  'memberships.startTransfer': {
    access: 'self',
    allowCode: 'MEMBERSHIP_PERSON_NOT_BOUND',
    request: async (w) => ({
      method: 'POST',
      url: '/api/memberships/transfers',
      body: { toOrgId: (await homeUnion(w)).id },
    }),
  },
  'memberships.transfers': {
    access: 'list',
    request: async (w) => {
      matrixTransfer ??= await transferInstance(w, null);
      return { method: 'GET', url: '/api/memberships/transfers?direction=in&pageSize=200' };
    },
    sees: (body) => items(body).some((i) => i.id === matrixTransfer),
  },
  'memberships.transfer': {
    access: 'self',
    request: async (w, _a, who) => ({
      method: 'GET',
      url: `/api/memberships/transfers/${await transferInstance(w, who)}`,
    }),
  },
  'memberships.transferStep': {
    access: 'self',
    request: async (w, _a, who) => ({
      method: 'POST',
      url: `/api/memberships/transfers/${await transferInstance(w, who)}/steps`,
      body: { action: 'cancel' },
    }),
  },
  'memberships.request': {
    access: 'self',
    allowCode: 'MEMBERSHIP_PERSON_NOT_BOUND',
    request: () => ({ method: 'POST', url: '/api/memberships/requests', body: { kind: 'withdraw' } }),
  },
  'memberships.requests': {
    access: 'list',
    request: async (w) => {
      matrixRequest ??= await requestInstance(w, null);
      return { method: 'GET', url: '/api/memberships/requests?pageSize=200' };
    },
    sees: (body) => items(body).some((i) => i.id === matrixRequest),
  },
  'memberships.requestStep': {
    access: 'self',
    request: async (w, _a, who) => ({
      method: 'POST',
      url: `/api/memberships/requests/${await requestInstance(w, who)}/steps`,
      body: { action: 'cancel' },
    }),
  },
  'memberships.expel': {
    access: 'scoped',
    request: async (w) => ({
      method: 'POST',
      url: '/api/memberships/expulsions',
      body: { personId: (await makeMember(app(), { org: await homeUnion(w) })).person.id, reason: '严重违反工会章程' },
    }),
  },
  'memberships.proposals': {
    access: 'list',
    request: async (w) => {
      matrixProposal ??= await homeProposal(w);
      return { method: 'GET', url: '/api/memberships/inactivity-proposals?pageSize=200' };
    },
    sees: (body) => items(body).some((i) => i.id === matrixProposal),
  },
  'memberships.decideProposals': {
    access: 'scoped',
    request: async (w) => ({
      method: 'POST',
      url: '/api/memberships/inactivity-proposals/decisions',
      body: { ids: [await homeProposal(w)], decision: 'dismiss', reason: '会费由单位代扣' },
    }),
  },
  'memberships.recordActivity': {
    access: 'scoped',
    request: async (w) => ({
      method: 'POST',
      url: '/api/memberships/activity-records',
      body: {
        kind: 'activity',
        personIds: [(await makeMember(app(), { org: await homeUnion(w) })).person.id],
        title: '矩阵活动',
      },
    }),
  },
  'memberships.history': {
    access: 'scoped',
    request: async (w) => ({
      method: 'GET',
      url: `/api/memberships/people/${(await makeMember(app(), { org: await homeUnion(w) })).person.id}`,
    }),
  },
  // joining: applications filed at a union directly under home; the worker's own routes are
  // self-service (each actor applies for themselves), the review routes scoped to home.
  'joining.submit': {
    access: 'self',
    request: async (w) => ({ method: 'POST', url: '/api/joining/applications', body: await joinForm(w) }),
  },
  'joining.mine': { access: 'self', request: () => ({ method: 'GET', url: '/api/joining/applications/mine' }) },
  'joining.get': {
    access: 'self',
    request: async (w, _a, who) => ({
      method: 'GET',
      url: `/api/joining/applications/${await joinApplication(w, who)}`,
    }),
  },
  'joining.resubmit': {
    access: 'self',
    request: async (w, _a, who) => ({
      method: 'POST',
      url: `/api/joining/applications/${await joinApplication(w, who)}/resubmit`,
      body: await joinForm(w),
    }),
  },
  'joining.queue': {
    access: 'list',
    request: async (w) => {
      matrixJoin ??= await joinApplication(w, null);
      return { method: 'GET', url: '/api/joining/applications?pageSize=200' };
    },
    sees: (body) => items(body).some((i) => i.id === matrixJoin),
  },
  'joining.approve': {
    access: 'scoped',
    request: async (w) => ({
      method: 'POST',
      url: `/api/joining/applications/${await joinApplication(w, null)}/approve`,
      body: {},
    }),
  },
  'joining.reject': {
    access: 'scoped',
    request: async (w) => ({
      method: 'POST',
      url: `/api/joining/applications/${await joinApplication(w, null)}/reject`,
      body: { reason: '材料不实' },
    }),
  },
  'joining.batchApprove': {
    access: 'list',
    request: async (w) => ({
      method: 'POST',
      url: '/api/joining/applications/batch-approve',
      body: { ids: [await joinApplication(w, null)] },
    }),
    sees: (body) => (body as { results: { ok: boolean }[] }).results[0]!.ok,
  },
  'joining.setPool': {
    access: 'scoped',
    request: async (w) => {
      // A pool belongs to a federation with a region: home gets one.
      await t.app.core.db
        .updateTable('organization')
        .set({ region_code: '610113' })
        .where('id', '=', w.tree.county.id)
        .execute();
      return {
        method: 'PUT',
        url: '/api/joining/pools',
        body: { federationId: w.tree.county.id, newFormGroup: 'courier', poolOrgId: (await homeUnion(w)).id },
      };
    },
  },
  'joining.employers': { access: 'self', request: () => ({ method: 'GET', url: '/api/joining/employers?q=测试单位' }) },
  'joining.localUnions': {
    access: 'self',
    request: () => ({ method: 'GET', url: '/api/joining/local-unions?regionCode=610113' }),
  },

  // group enrollment: home's batches (a list and an event) filed at a union under home; the
  // worker's side (the event page, applying) is any signed-in account's.
  'enrollment.batches': {
    access: 'list',
    request: async (w) => {
      await homeEnrollment(w);
      return { method: 'GET', url: '/api/enrollment/batches?pageSize=200' };
    },
    sees: (body) => items(body).some((b) => b.id === matrixEnrollment?.listBatchId),
  },
  'enrollment.batch': {
    access: 'scoped',
    request: async (w) => ({ method: 'GET', url: `/api/enrollment/batches/${(await homeEnrollment(w)).listBatchId}` }),
  },
  'enrollment.applications': {
    access: 'scoped',
    request: async (w) => ({
      method: 'GET',
      url: `/api/enrollment/batches/${(await homeEnrollment(w)).listBatchId}/applications`,
    }),
  },
  'enrollment.approve': {
    access: 'scoped',
    request: async (w) => ({
      method: 'POST',
      url: `/api/enrollment/batches/${(await homeEnrollment(w)).listBatchId}/approve`,
      body: {},
    }),
  },
  'enrollment.errorReport': {
    access: 'scoped',
    request: async (w) => ({
      method: 'GET',
      url: `/api/enrollment/batches/${(await homeEnrollment(w)).listBatchId}/error-report`,
    }),
  },
  'enrollment.preview': {
    access: 'scoped',
    request: async (w) => enrollmentUpload('/api/enrollment/list-preview', (await homeUnion(w)).id),
  },
  'enrollment.importList': {
    access: 'scoped',
    request: async (w) => enrollmentUpload('/api/enrollment/lists', (await homeUnion(w)).id),
  },
  'enrollment.createEvent': {
    access: 'scoped',
    request: async (w) => ({
      method: 'POST',
      url: '/api/enrollment/events',
      body: {
        orgId: (await homeUnion(w)).id,
        title: '矩阵入会活动',
        place: '矩阵广场',
        opensAt: new Date(Date.now() - 3_600_000).toISOString(),
        closesAt: new Date(Date.now() + 86_400_000).toISOString(),
      },
    }),
  },
  'enrollment.closeEvent': {
    access: 'scoped',
    // A fresh event each time: a closed one answers 409.
    request: async (w) => ({
      method: 'POST',
      url: `/api/enrollment/events/${(await freshEnrollmentEvent(w)).eventId}/close`,
      body: {},
    }),
  },
  'enrollment.eventQr': {
    access: 'scoped',
    request: async (w) => ({ method: 'GET', url: `/api/enrollment/events/${(await homeEnrollment(w)).eventId}/qr` }),
  },
  'enrollment.eventPoster': {
    access: 'scoped',
    request: async (w) => ({
      method: 'GET',
      url: `/api/enrollment/events/${(await homeEnrollment(w)).eventId}/poster`,
    }),
  },
  'enrollment.publicEvent': {
    access: 'self',
    request: async (w) => ({ method: 'GET', url: `/api/enrollment/join-events/${(await homeEnrollment(w)).code}` }),
  },
  'enrollment.joinEvent': {
    access: 'self',
    request: async (w) => ({
      method: 'POST',
      url: `/api/enrollment/join-events/${(await homeEnrollment(w)).code}/applications`,
      body: { name: '矩阵职工', idNumber: randomIdNumber(), workUnitName: '矩阵单位', employmentType: 'regular' },
    }),
  },
};

/** Home's group enrollment: a list batch (with its job) and an open event, written directly. */
let matrixEnrollment: { listBatchId: string; eventId: string; code: string } | undefined;
async function homeEnrollment(w: World) {
  matrixEnrollment ??= await (async () => {
    const job = await homeJob(w, { kind: 'enrollment.list', status: 'succeeded' });
    const list = await enrollmentBatch(w, 'list', job.id);
    const event = await freshEnrollmentEvent(w);
    return { listBatchId: list, eventId: event.eventId, code: event.code };
  })();
  return matrixEnrollment;
}
async function enrollmentBatch(w: World, kind: 'list' | 'event', jobId: string | null): Promise<string> {
  const union = await homeUnion(w);
  const id = randomUUID();
  const at = new Date().toISOString();
  await t.app.core.db
    .insertInto('enrollment_batch')
    .values({
      id,
      org_id: union.id,
      org_path: union.path,
      province_root: union.province_root,
      kind,
      title: '矩阵批次',
      job_id: jobId,
      file_name: kind === 'list' ? 'roster.csv' : null,
      file_sha256: null,
      rows_read: 0,
      created_count: 0,
      refused_count: 0,
      duplicate_count: 0,
      created_by: null,
      created_at: at,
      updated_at: at,
    })
    .execute();
  return id;
}
async function freshEnrollmentEvent(w: World) {
  const batchId = await enrollmentBatch(w, 'event', null);
  const eventId = randomUUID();
  const code = eventCode(randomBytes(16));
  await t.app.core.db
    .insertInto('enrollment_event')
    .values({
      id: eventId,
      batch_id: batchId,
      code,
      place: '矩阵广场',
      opens_at: new Date(Date.now() - 86_400_000).toISOString(),
      closes_at: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      work_unit_id: null,
      work_unit_name: null,
      employment_type: null,
      new_form_group: null,
      quota: null,
      joined: 0,
      status: 'open',
      closed_at: null,
      closed_by: null,
    })
    .execute();
  return { eventId, code };
}
/** A one-row enrollment list as a multipart request to `url` for `orgId`. */
function enrollmentUpload(url: string, orgId: string): Req {
  const lines = [
    '姓名,身份证号,手机号码,工作单位,用工形式',
    `张师傅,${randomIdNumber()},${randomPhone()},某平台,灵活就业`,
  ];
  const { body, contentType } = multipartBody({
    orgId,
    file: { filename: 'list.csv', content: Buffer.from(`${lines.join('\r\n')}\r\n`), contentType: 'text/csv' },
  });
  return { method: 'POST', url, body, headers: { 'content-type': contentType } };
}

/** A township under home with the region code foundings of 610113 are routed to; made on first use. */
let matrixTownship: OrganizationTable | undefined;
async function foundingHandler(w: World) {
  matrixTownship ??= await app().services.orgs.provisionChild(sys, {
    parentId: w.tree.county.id,
    name: unique('矩阵街道工会'),
    type: 'township',
    level: null,
    regionCode: '610113',
  });
  return matrixTownship;
}
function foundingBody() {
  return {
    unitName: unique('矩阵测试公司'),
    creditCode: randomCreditCode(),
    unitType: '170',
    industry: 'C',
    regionCode: '610113',
    address: '西安市雁塔区科技路 1 号',
    employeeCount: 30,
    contactName: '刘联系',
    contactPhone: randomPhone(),
  };
}
/** Home's founding application, for the list. */
let matrixFounding: string | undefined;
/** A founding application handled at home's township with `who` as its applicant (a random id for the anonymous caller). */
async function foundingOf(w: World, who: TestUser | null): Promise<string> {
  if (who === null) return randomUUID();
  await foundingHandler(w);
  const applicant = who;
  const created = await app().services.founding.apply(
    { actor: { kind: 'user', id: applicant.user.id, userKind: applicant.user.kind } },
    foundingBody() as Parameters<ReturnType<typeof app>['services']['founding']['apply']>[1],
  );
  return created.id;
}

/** Home's join application, for the queue. */
let matrixJoin: string | undefined;
/** A work unit whose union is home's union: applications for it are filed there. */
let matrixJoinUnit: WorkUnitTable | undefined;
/** A join form for a worker of home's union's unit, with a fresh ID number. */
async function joinForm(w: World) {
  matrixJoinUnit ??= await makeWorkUnit(app(), { org: await homeUnion(w) });
  return {
    name: '冯入会',
    idNumber: randomIdNumber(),
    employmentType: 'regular' as const,
    workUnitId: matrixJoinUnit.id,
  };
}
/** A join application filed at home's union with `who` as its applicant (none for the review routes). */
async function joinApplication(w: World, who: TestUser | null): Promise<string> {
  const view = await app().services.joining.start(sys, await joinForm(w), {
    source: who ? 'portal' : 'list',
    applicantUserId: who?.user.id ?? null,
  });
  return view.id;
}

/** Home's funding and budget accounts of one purpose, made on first use. */
let matrixFinance: Awaited<ReturnType<typeof homeOwed>> | undefined;
async function homeFinance(w: World) {
  matrixFinance ??= await homeOwed(w);
  return matrixFinance;
}
/** A new purpose at home: a funded budget and one payee with a bank card owed 100 fen. */
async function homeOwed(w: World) {
  const ledger = app().services.ledger;
  const purpose = unique('m_').toLowerCase();
  const funding = await ledger.open(sys, { kind: 'funding', orgId: w.tree.county.id, purpose });
  const budget = await ledger.open(sys, { kind: 'budget', orgId: w.tree.county.id, purpose });
  await ledger.transfer(sys, {
    idempotencyKey: randomUUID(),
    debitAccountId: funding.id,
    creditAccountId: budget.id,
    amount: 1_000_000,
    kind: 'allocation',
  });
  const member = await makeMember(app(), { org: await homeUnion(w), bankCard: matrixCard() });
  const payable = await ledger.open(sys, {
    kind: 'payable',
    orgId: w.tree.county.id,
    purpose,
    personId: member.person.id,
  });
  await ledger.transfer(sys, {
    idempotencyKey: randomUUID(),
    debitAccountId: budget.id,
    creditAccountId: payable.id,
    amount: 100,
    kind: 'payment',
  });
  return { purpose, funding, budget };
}
function matrixCard(): string {
  const payload = `621700${String(Math.floor(Math.random() * 1e12)).padStart(12, '0')}`;
  return payload + luhnCheckDigit(payload);
}
/** Home's batch for the list route. */
let matrixBatch: string | undefined;
/** A fresh batch at home, left as a draft or sent. */
async function homeBatch(w: World, status: 'draft' | 'sent') {
  const { purpose } = await homeOwed(w);
  const { batch } = await app().services.payouts.createBatch(sys, { orgId: w.tree.county.id, purpose });
  if (status === 'sent') await app().services.payouts.sendBatch(sys, batch.id);
  return batch;
}

let policyDay = 0;
/** Home's subsidy application, for the queue. */
let matrixSubsidy: string | undefined;
/** A hardship application filed at home with `who` as its applicant. */
async function subsidyInstance(w: World, who: TestUser | null): Promise<string> {
  const inst = await app().services.workflow.engine.start(sys, {
    definitionKey: 'subsidy.hardship',
    orgId: w.tree.county.id,
    applicantUserId: who?.user.id ?? null,
    data: {
      kind: 'hardship',
      year: 2026,
      personId: 'none',
      modelWorkerId: 'none',
      personName: '王大明',
      appliedOn: '2026-01-05',
      cause: 'unemployment',
      description: null,
      requestedAmountFen: 100_000,
      approvedAmountFen: null,
      surveyFindings: null,
    },
  });
  return inst.id;
}
let matrixPlan: string | undefined;
async function homePlan(w: World): Promise<string> {
  const id = randomUUID();
  const at = new Date().toISOString();
  await t.app.core.db
    .insertInto('subsidy_plan')
    .values({
      id,
      org_id: w.tree.county.id,
      org_path: w.tree.county.path,
      province_root: w.tree.county.province_root,
      year: 2026,
      kind: 'festival',
      payment_date: '2026-01-10',
      status: 'batched',
      payout_batch_id: null,
      award_count: 0,
      total_fen: 0,
      created_by: null,
      created_at: at,
      updated_at: at,
    })
    .execute();
  return id;
}
let budgetFunded = false;
/** A generated festival greeting waiting at home for a model worker with a card, and money to pay it. */
async function pendingGreeting(w: World) {
  if (!budgetFunded) {
    await fundBudget(app(), w.tree.county, 10_000_000);
    budgetFunded = true;
  }
  const mw = await makeModelWorker(app(), { org: await homeUnion(w), registryOrg: w.tree.county });
  const at = new Date().toISOString();
  await t.app.core.db
    .insertInto('subsidy_award')
    .values({
      id: randomUUID(),
      kind: 'festival',
      year: 2031,
      person_id: mw.personId,
      model_worker_id: mw.worker.id,
      instance_id: null,
      unit_org_id: w.tree.county.id,
      policy_id: null,
      amount_fen: null,
      org_id: w.tree.county.id,
      org_path: w.tree.county.path,
      province_root: w.tree.county.province_root,
      plan_id: null,
      payment_date: null,
      payout_line_id: null,
      status: 'pending',
      transfer_id: null,
      failure_reason: null,
      created_at: at,
      updated_at: at,
      paid_at: null,
    })
    .execute();
}

/** The fixture definitions, registered on the app's one engine at first use. */
function workflowEngine() {
  const engine = app().services.workflow.engine;
  if (!engine.registry.get(joinFixture.key)) engine.registry.register(joinFixture);
  if (!engine.registry.get(subsidyFixture.key)) engine.registry.register(subsidyFixture);
  return engine;
}
/** Home's join application, for the queue. */
let matrixInstance: string | undefined;
/** A join application filed at home with `who` as its applicant (a random id for the anonymous caller). */
async function ownInstance(w: World, who: TestUser | null): Promise<string> {
  const inst = await workflowEngine().start(sys, {
    definitionKey: joinFixture.key,
    orgId: w.tree.county.id,
    applicantUserId: who?.user.id ?? null,
    data: { name: '王小明', age: 30 },
  });
  return inst.id;
}
/** A subsidy application of home in its public notice. */
async function homeNotice(w: World) {
  const engine = workflowEngine();
  const inst = await engine.start(sys, {
    definitionKey: subsidyFixture.key,
    orgId: w.tree.county.id,
    data: { personName: '王大明', amountFen: 100_000 },
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
  return { instanceId: inst.id, noticeId: (await engine.get(sys, inst.id)).notices[0]!.id };
}

const sys = { actor: SYSTEM_ACTOR };
/** Home's work unit for the list route, made on first use. */
let matrixUnit: WorkUnitTable | undefined;
/** A registry entry (year 2019) kept by the home county, made on first use. */
let matrixModelWorker: string | undefined;
async function homeModelWorker(w: World) {
  matrixModelWorker ??= await freshModelWorker(w, 2019);
  return matrixModelWorker;
}
async function freshModelWorker(w: World, year = 2021): Promise<string> {
  const entry = await app().services.modelWorkers.provision(sys, {
    orgId: w.tree.county.id,
    name: '张工匠',
    idNumber: randomIdNumber(),
    category: 'craftsman',
    level: 'city',
    title: '市级工匠',
    yearAwarded: year,
    employmentStatus: 'employed',
    farmer: false,
    lostWorkCapacity: false,
  });
  return entry.row.id;
}
/** Home's member for the member list and as-of routes, made on first use. */
let matrixMember: Awaited<ReturnType<typeof makeMember>> | undefined;
async function homeMember(w: World) {
  matrixMember ??= await freshMember(w);
  return matrixMember;
}
/** A member of a new grassroots union directly under the home county. */
async function freshMember(w: World) {
  return makeMember(app(), { org: await makeOrg(app(), { parent: w.tree.county, type: 'grassroots' }) });
}
/** A union directly under home (not the child position's), for imports; made on first use. */
let matrixUnion: OrganizationTable | undefined;
async function homeUnion(w: World) {
  matrixUnion ??= await makeOrg(app(), { parent: w.tree.county, type: 'grassroots' });
  return matrixUnion;
}
/**
 * A fresh job filed at home. Kind matrix.job has no handler, so it stays in the state given;
 * a member.import job carries the payload its error report reads.
 */
async function homeJob(w: World, set: { kind?: string; status: JobTable['status'] }) {
  const at = new Date().toISOString();
  const row: JobTable = {
    id: randomUUID(),
    kind: set.kind ?? 'matrix.job',
    status: set.status,
    payload: JSON.stringify({ headers: ['姓名', '身份证号'], fileName: 'roster.csv' }),
    checkpoint: null,
    result: null,
    error: null,
    progress_done: 0,
    progress_total: null,
    cancel_requested: 0,
    attempts: 0,
    created_by: null,
    org_path: w.tree.county.path,
    province_root: w.tree.county.province_root,
    created_at: at,
    updated_at: at,
    started_at: null,
    finished_at: null,
  };
  await t.app.core.db.insertInto('job').values(row).execute();
  return row;
}
const clock = createTestClock();
let t: Awaited<ReturnType<typeof createTestApp>>;
const app = () => t.app;
let anonymous: Agent;
let world: World;
/** Where each position's grant sits, and with which permissions. */
async function placeActor(position: Exclude<Position, 'anonymous'>, missing: string | null): Promise<TestUser> {
  const { tree } = world;
  const at: Record<Exclude<Position, 'anonymous' | 'none'>, OrganizationTable> = {
    same: tree.county,
    parent: tree.city,
    child: tree.grassroots,
    sibling: tree.sibling,
    lacking: tree.county,
  };
  if (position === 'none') return makeUser(app(), { org: tree.county, totp: true });
  const permissions = missing ? permissionsWithout(PERMISSION_CODES, missing) : [...PERMISSION_CODES];
  const role = await makeRole(app(), permissions);
  return makeUser(app(), { org: at[position], roles: [role.code], totp: true });
}

const agents = new Map<string, { who: TestUser; agent: Agent }>();
async function actorFor(position: Exclude<Position, 'anonymous'>, route: RouteContract, fresh: boolean) {
  const missing = position === 'lacking' ? String(route.permission) : null;
  const key = `${position}:${missing ?? ''}`;
  if (!fresh && agents.has(key)) return agents.get(key)!;
  const who = await placeActor(position, missing);
  const entry = { who, agent: await signIn(app(), who) };
  if (!fresh) agents.set(key, entry);
  return entry;
}

function expected(spec: Spec, position: Position): 'allow' | 401 | 403 | 404 {
  if (spec.access === 'public') return 'allow';
  if (position === 'anonymous') return 401;
  if (spec.access === 'self') return 'allow';
  if (position === 'none' || position === 'lacking') return 403;
  if (spec.access === 'scoped' && (position === 'child' || position === 'sibling')) return 404;
  return 'allow';
}

describe('role matrix', () => {
  const results: { route: string; position: Position; ok: boolean; leak: boolean; note: string }[] = [];

  beforeAll(async () => {
    // Many sign-ins from one address in a short time: lift the per-address limits here only.
    t = await createTestApp(
      { LOGIN_IP_LIMIT_PER_MINUTE: '100000', SMS_IP_LIMIT_PER_HOUR: '100000' },
      { now: clock.now },
    );
    anonymous = agent(t.app);
    const tree = await makeTree(t.app);
    const target = await makeUser(t.app, { org: tree.county, totp: true });
    const plain = await makeUser(t.app, { org: tree.county });
    const stranger = await makeUser(t.app, { org: tree.sibling });
    const strangerAgent = await signIn(t.app, stranger);
    const strangerSessions = await strangerAgent.get('/api/auth/sessions');
    world = {
      tree,
      target,
      plain,
      foreignSessionId: items(strangerSessions.body)[0]!.id as string,
    };
    // Home's records for the list routes: a grant and a pending authenticator reset of the
    // target, and an audit event filed at home.
    await t.app.services.access.provisionGrant(sys, {
      userId: target.user.id,
      roleCode: 'grassroots_cadre',
      orgId: tree.county.id,
    });
    await t.app.services.auth.requestTotpRecovery(
      { actor: { kind: 'anonymous', id: null } },
      { account: target.username!, password: target.password, reason: '手机丢失' },
    );
    await t.app.core.write(sys, (s) =>
      s.audit({
        action: 'matrix.marker',
        subjectType: 'organization',
        subjectId: tree.county.id,
        orgPath: tree.county.path,
      }),
    );
  });

  afterAll(async () => {
    const checks = results.length;
    const leaks = results.filter((r) => r.leak).length;
    const routes = new Set(results.map((r) => r.route)).size;
    console.log(
      `role matrix: ${routes} routes × ${POSITIONS.length} actor positions = ${checks} checks, leaks found: ${leaks}`,
    );
    await t.close();
  });

  it('has an expectation for every route of the contracts, and none for routes that do not exist', () => {
    const ids = allRoutes.map((r) => r.id);
    expect(
      ids.filter((id) => !(id in SPECS)),
      'routes without a matrix entry',
    ).toEqual([]);
    expect(
      Object.keys(SPECS).filter((id) => !ids.includes(id)),
      'entries for unknown routes',
    ).toEqual([]);
  });

  it('declares access that matches each contract', () => {
    for (const route of allRoutes) {
      const spec = SPECS[route.id]!;
      if (route.permission === 'public') expect(spec.access, route.id).toBe('public');
      else if (route.permission === 'authenticated') expect(spec.access, route.id).toBe('self');
      else expect(['global', 'scoped', 'list'], route.id).toContain(spec.access);
    }
  });

  for (const route of allRoutes) {
    it(`${route.id}: ${route.method} ${route.path}`, async () => {
      const spec = SPECS[route.id];
      expect(spec, `no matrix entry for ${route.id}`).toBeDefined();
      if (!spec) return;
      const missingBody = await notFoundBody();
      for (const position of POSITIONS) {
        const want = expected(spec, position);
        let a = anonymous;
        let who: TestUser | null = null;
        if (position !== 'anonymous') {
          const fresh = spec.access === 'self' && spec.fresh === true;
          const actor = await actorFor(position, route, fresh);
          a = actor.agent;
          who = actor.who;
        }
        const req =
          spec.access === 'self'
            ? await spec.request(world, a, who)
            : spec.access === 'scoped'
              ? await spec.request(world, a)
              : await spec.request(world);
        // A copy, so a sign-in answer's cookie does not replace the cached actor's session.
        const res = await agent(app(), a.cookie, a.csrf).request(req.method, req.url, req.body, req.headers);
        const code = (res.body as { error?: { code?: string } } | null)?.error?.code;
        const where = `${route.id} as ${position}: got ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
        let leak = false;
        if (want === 'allow') {
          const allowed =
            res.status < 300 || (spec.access === 'self' && spec.allowCode !== undefined && code === spec.allowCode);
          expect(allowed, where).toBe(true);
          if (spec.access === 'list') {
            const sees = spec.sees(res.body, world);
            const shouldSee = position === 'same' || position === 'parent';
            leak = sees && !shouldSee;
            expect(sees, `${where} — home's records ${shouldSee ? 'missing' : 'LEAKED'}`).toBe(shouldSee);
          }
          if (spec.access === 'scoped' && spec.sees)
            expect(spec.sees(res.body, world), `${where} — home's records missing`).toBe(true);
        } else {
          // Anything but the refusal due is a leak: an answer, or a 403 that confirms existence.
          leak = res.status < 400 || (want === 404 && res.status === 403);
          expect(res.status, where).toBe(want);
          if (want === 404) expect(withoutRequestId(res), where).toEqual(missingBody);
        }
        results.push({ route: route.id, position, ok: true, leak, note: '' });
      }
    });
  }

  it('refuses to end another user’s session as if it did not exist', async () => {
    const { agent: a } = await actorFor(
      'same',
      allRoutes.find((r) => r.id === 'auth.revokeSession')!,
      false,
    );
    const res = await a.delete(`/api/auth/sessions/${world.foreignSessionId}`);
    expect(res.status).toBe(404);
    expect(withoutRequestId(res)).toEqual(await notFoundBody());
  });
});

/** The body of a 404 for an id that exists nowhere. */
async function notFoundBody() {
  const { agent: a } = await actorFor(
    'same',
    allRoutes.find((r) => r.id === 'org.get')!,
    false,
  );
  const res = await a.get(`/api/orgs/${randomUUID()}`);
  expect(res.status).toBe(404);
  return withoutRequestId(res);
}

/** Home's transfer (into a union under home) and request, for the lists. */
let matrixTransfer: string | undefined;
let matrixRequest: string | undefined;
let matrixProposal: string | undefined;
/**
 * A transfer into a union under home of a member from elsewhere, with `who` as its applicant,
 * filed as the memberships service files one (the instance and its transfer row).
 */
async function transferInstance(w: World, who: TestUser | null): Promise<string> {
  const member = await makeMember(app());
  const to = await homeUnion(w);
  const inst = await workflowEngine().start(sys, {
    definitionKey: 'membership.transfer',
    orgId: to.id,
    subjectId: member.person.id,
    applicantUserId: who?.user.id ?? null,
    applicantPersonId: member.person.id,
    data: {
      personId: member.person.id,
      personName: member.person.name,
      memberNumber: member.membership.member_number,
      fromMembershipId: member.membership.id,
      fromOrgId: member.org.id,
      toOrgId: to.id,
      startedBy: 'member',
      comment: null,
    },
  });
  const at = new Date().toISOString();
  await app()
    .core.db.insertInto('membership_transfer')
    .values({
      id: randomUUID(),
      instance_id: inst.id,
      person_id: member.person.id,
      from_membership_id: member.membership.id,
      to_org_id: to.id,
      org_path: to.path,
      province_root: to.province_root,
      started_by: 'member',
      to_membership_id: null,
      created_at: at,
      updated_at: at,
    })
    .execute();
  return inst.id;
}
/** A withdrawal request of a member of home's union, with `who` as its applicant. */
async function requestInstance(w: World, who: TestUser | null): Promise<string> {
  const member = await makeMember(app(), { org: await homeUnion(w) });
  const inst = await workflowEngine().start(sys, {
    definitionKey: 'membership.withdraw',
    orgId: member.org.id,
    subjectId: member.person.id,
    applicantUserId: who?.user.id ?? null,
    applicantPersonId: member.person.id,
    data: {
      kind: 'withdraw',
      personId: member.person.id,
      personName: member.person.name,
      memberNumber: member.membership.member_number,
      membershipId: member.membership.id,
      reasonCode: null,
      comment: null,
    },
  });
  return inst.id;
}
/** An open inactivity proposal of a member of home's union (as the daily run writes one). */
async function homeProposal(w: World): Promise<string> {
  const member = await makeMember(app(), { org: await homeUnion(w) });
  return makeInactivityProposal(app(), member.membership, { runOn: '2026-03-10', lastSignOn: '2024-03-01' });
}
