import {
  type activityRecordBody,
  type expelBody,
  type membershipRequestBody,
  type membershipStepBody,
  parseIdNumber,
  type proposalDecisionBody,
  RETENTION_REASON_LABELS,
  type transferStartBody,
} from '@zhgh/contracts';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import { covers, narrowScope, requireInScope, type Scope, scopeFor } from '../../core/access/scope.ts';
import { type RequestContext, SYSTEM_ACTOR } from '../../core/actor.ts';
import { AppError, fieldError } from '../../core/app-error.ts';
import { localDate } from '../../core/calendar.ts';
import { maskName } from '../../core/crypto/mask.ts';
import type { CoreDeps } from '../../core/deps.ts';
import { newId } from '../../core/ids.ts';
import { createOutbound, type Outbound } from '../../core/notify/inbox.ts';
import type { WriteScope } from '../../core/unit-of-work.ts';
import type { EffectContext } from '../../core/workflow/definition.ts';
import { type WorkflowEngine, workflowEngineIn } from '../../core/workflow/engine.ts';
import { lockShared } from '../../db/dialect.ts';
import { ORG_TREE_LOCK } from '../../db/org-scoped.ts';
import type {
  DB,
  InactivityProposalTable,
  MembershipActivityTable,
  MembershipChangeTable,
  MembershipTable,
  PersonTable,
} from '../../db/schema.ts';
import { PERSON_FIELD_CONTEXTS } from '../members/members.policy.ts';
import { applyCounterDeltas, CounterDeltas } from '../stats/stats.counters.ts';
import {
  beijingDayStart,
  checkActivityRecord,
  checkRequest,
  checkTransferTarget,
  duesAllowed,
  inactivitySince,
  isOpen,
} from './memberships.policy.ts';
import {
  presentActivity,
  presentHistory,
  presentProposal,
  presentRequest,
  presentTransfer,
  presentUnion,
} from './memberships.presenter.ts';
import { membershipsRepository as repo, type RequestRow, type TransferRow } from './memberships.repository.ts';
import {
  MEMBERSHIP_KEYS,
  membershipDefinitions,
  REQUEST_KEYS,
  RETAIN_KEY,
  type RequestData,
  TRANSFER_KEY,
  type TransferData,
  WITHDRAW_KEY,
} from './memberships.workflow.ts';

type Q = Kysely<DB>;
const SYS: RequestContext = { actor: SYSTEM_ACTOR };
const t = (zh: string, en: string) => ({ 'zh-CN': zh, en });
const pageOf = (page: number, pageSize: number) => ({ limit: pageSize, offset: (page - 1) * pageSize });
/** Dues and activities shown with a member's history. */
const ACTIVITY_SHOWN = 100;

/** Internal: today's inactivity run was made already (rolls the claim back, writes nothing). */
class RunDoneToday extends Error {}

/**
 * Membership changes (decision 0017): transfers, retention and withdrawal on the one engine,
 * expulsion and the inactivity rule as direct audited actions. Every change of a membership
 * keeps the subtree counters exact in the same transaction and records what happened in the
 * member's timeline; nothing is deleted.
 */
export function createMembershipsService(deps: CoreDeps, engine: WorkflowEngine) {
  const { db, write, dialect, blind } = deps;
  const today = () => localDate(deps.now());

  function userOf(ctx: RequestContext): string {
    if (ctx.actor.kind !== 'user') throw new AppError('UNAUTHENTICATED');
    return ctx.actor.id;
  }

  /**
   * One unit of work with the engine inside it: the tree lock is taken first (so the order is
   * always tree → instance → membership, as restructuring and the counters expect), and the
   * engine's step and the module's rows commit together (the SMS it queues leave after that).
   */
  async function inUnit<T>(ctx: RequestContext, work: (s: WriteScope, eng: WorkflowEngine) => Promise<T>): Promise<T> {
    return write(ctx, async (s) => {
      await lockShared(s.trx as unknown as Kysely<unknown>, dialect, ORG_TREE_LOCK);
      return work(s, workflowEngineIn(deps, engine.registry, s));
    });
  }

  function changeRow(
    m: Pick<MembershipTable, 'id' | 'person_id'>,
    kind: MembershipChangeTable['kind'],
    ctx: RequestContext,
    at: Date,
    extra: { reasonCode?: string | null; reason?: string | null; instanceId?: string | null } = {},
  ): MembershipChangeTable {
    return {
      id: newId(),
      person_id: m.person_id,
      membership_id: m.id,
      kind,
      reason_code: extra.reasonCode ?? null,
      reason: extra.reason ?? null,
      on_date: localDate(at),
      instance_id: extra.instanceId ?? null,
      created_by: ctx.actor.id,
      created_at: at.toISOString(),
    };
  }

  /** Close an open membership as withdrawn (or transferred out), with its counters and timeline. */
  async function closeOpen(
    s: Pick<WriteScope, 'trx'>,
    m: MembershipTable,
    person: PersonTable,
    status: 'withdrawn' | 'transferred_out',
    endReason: string,
    at: Date,
    deltas: CounterDeltas,
    /** Open inactivity proposals of the membership lapse, unless the caller decides them itself. */
    lapse = true,
  ) {
    const set = { status, ended_on: localDate(at), end_reason: endReason, updated_at: at.toISOString() };
    if (!(await repo.closeMembership(s.trx, m.id, set))) throw new AppError('MEMBERSHIP_NOT_OPEN');
    deltas.member(m.org_path, person, m.status as 'active' | 'retained', -1);
    if (lapse) await repo.lapseProposals(s.trx, [m.id], at.toISOString());
  }

  /**
   * The membership a step acts on, locked and still open. One that its union's merger closed goes on at the
   * union merged into, with the same member number (orgs.merge): a transfer or request filed
   * before the merger acts on that one, as the member would expect.
   */
  async function openForEffect(e: EffectContext<TransferData> | EffectContext<RequestData>, membershipId: string) {
    await lockShared(e.trx as unknown as Kysely<unknown>, dialect, ORG_TREE_LOCK);
    let m = await repo.lockMembership(e.trx, dialect, membershipId);
    // Merged unions can merge again; the chain is short, the bound only guards a bad row.
    for (let hop = 0; m && !isOpen(m) && hop < 16; hop++) {
      const org = await repo.findOrg(e.trx, m.org_id);
      if (org?.status !== 'merged' || !org.merged_into_id) break;
      m = await repo.lockOpenMembershipAt(e.trx, dialect, {
        personId: m.person_id,
        orgId: org.merged_into_id,
        memberNumber: m.member_number,
      });
    }
    if (!m || !isOpen(m)) throw new AppError('MEMBERSHIP_NOT_OPEN');
    const person = (await repo.person(e.trx, m.person_id))!;
    return { m, person };
  }

  const definitions = membershipDefinitions({
    async moveMembership(e) {
      const d = e.instance.data;
      const { m: from, person } = await openForEffect(e, d.fromMembershipId);
      const to = await repo.findOrg(e.trx, d.toOrgId);
      if (!to || to.status !== 'active') throw new AppError('ORG_NOT_ACTIVE');
      const fromOrg = (await repo.findOrg(e.trx, from.org_id))!;
      const at = e.now.toISOString();
      const deltas = new CounterDeltas();
      await closeOpen(e, from, person, 'transferred_out', 'transfer', e.now, deltas);
      // The same member number and card number: one membership that moved ("一次入会、动态接转").
      const opened: MembershipTable = {
        id: newId(),
        person_id: person.id,
        id_number_index: from.id_number_index,
        org_id: to.id,
        org_path: to.path,
        province_root: to.province_root,
        name: person.name,
        name_initials: person.name_initials,
        // A transfer follows a new job: the member is active in the union joined.
        status: 'active',
        started_on: localDate(e.now),
        ended_on: null,
        end_reason: null,
        member_number: from.member_number,
        card_number: from.card_number,
        created_at: at,
        updated_at: at,
      };
      await repo.insertMembership(e.trx, opened);
      await repo.setTransferDone(e.trx, e.instance.id, opened.id, at);
      await repo.insertChanges(e.trx, [
        changeRow(from, 'transfer_out', e.ctx, e.now, { reason: to.name, instanceId: e.instance.id }),
        changeRow(opened, 'transfer_in', e.ctx, e.now, { reason: fromOrg.name, instanceId: e.instance.id }),
      ]);
      deltas.member(to.path, person, 'active', 1);
      await applyCounterDeltas(e.trx, dialect, deltas);
      await e.audit({
        action: 'membership.transfer',
        subjectType: 'person',
        subjectId: person.id,
        orgPath: to.path,
        changes: [
          { field: 'membershipId', from: from.id, to: opened.id },
          { field: 'orgId', from: from.org_id, to: to.id },
          { field: 'status', from: from.status, to: 'active' },
          { field: 'memberNumber', from: from.member_number, to: opened.member_number },
        ],
      });
    },

    async retain(e) {
      const d = e.instance.data;
      const { m, person } = await openForEffect(e, d.membershipId);
      if (m.status !== 'active' || !(await repo.retain(e.trx, m.id, e.now.toISOString()))) {
        throw new AppError('MEMBERSHIP_STATUS_NOT_ALLOWED');
      }
      await repo.lapseProposals(e.trx, [m.id], e.now.toISOString());
      await repo.insertChanges(e.trx, [
        changeRow(m, 'retain', e.ctx, e.now, {
          reasonCode: d.reasonCode,
          reason: d.comment,
          instanceId: e.instance.id,
        }),
      ]);
      const deltas = new CounterDeltas();
      deltas.member(m.org_path, person, 'active', -1);
      deltas.member(m.org_path, person, 'retained', 1);
      await applyCounterDeltas(e.trx, dialect, deltas);
      await e.audit({
        action: 'membership.retain',
        subjectType: 'person',
        subjectId: person.id,
        orgPath: m.org_path,
        changes: [
          { field: 'status', from: 'active', to: 'retained' },
          { field: 'reasonCode', to: d.reasonCode },
        ],
      });
    },

    async withdraw(e) {
      const d = e.instance.data;
      const { m, person } = await openForEffect(e, d.membershipId);
      const deltas = new CounterDeltas();
      await closeOpen(e, m, person, 'withdrawn', 'withdrawal', e.now, deltas);
      await repo.insertChanges(e.trx, [
        changeRow(m, 'withdraw', e.ctx, e.now, { reason: d.comment, instanceId: e.instance.id }),
      ]);
      await applyCounterDeltas(e.trx, dialect, deltas);
      await e.audit({
        action: 'membership.withdraw',
        subjectType: 'person',
        subjectId: person.id,
        orgPath: m.org_path,
        changes: [{ field: 'status', from: m.status, to: 'withdrawn' }],
      });
    },

    async transferParties(q, instanceId) {
      const path = await repo.transferFromPath(q, instanceId);
      return path ? [path] : [];
    },
  });
  engine.registry.register(definitions.transfer);
  engine.registry.register(definitions.retain);
  engine.registry.register(definitions.withdraw);

  /** Whether the actor may know where the person is a member now: their member.read scope, or it is them. */
  function mayNameFrom(ctx: RequestContext, row: TransferRow): boolean {
    if (ctx.actor.kind === 'system') return true;
    if (ctx.actor.kind === 'user' && row.applicant_user_id === ctx.actor.id) return true;
    return covers(scopeFor(ctx.principal, 'member.read'), row.from_org_path);
  }

  function presentTransfers(ctx: RequestContext, rows: readonly TransferRow[], actionsOf?: Map<string, string[]>) {
    const now = deps.now();
    return rows.map((row) => {
      const def = engine.registry.get(row.definition_key, row.definition_version);
      const actions = actionsOf?.get(row.id) ?? (def ? engine.actionsFor(ctx, row, def) : []);
      return presentTransfer(row, engine.toView(row), def, actions, now, mayNameFrom(ctx, row));
    });
  }

  function presentRequests(ctx: RequestContext, rows: readonly RequestRow[]) {
    const now = deps.now();
    return rows.map((row) => {
      const def = engine.registry.get(row.definition_key, row.definition_version);
      return presentRequest(row, engine.toView(row), def, def ? engine.actionsFor(ctx, row, def) : [], now);
    });
  }

  /** An id that is not a transfer answers like a missing one (visibility is the engine's, next). */
  async function requireTransfer(id: string) {
    const [row] = await repo.transfersByInstance(db, [id]);
    if (!row) throw AppError.notFound();
    return row;
  }

  async function history(ctx: RequestContext, personId: string) {
    const person = await repo.person(db, personId);
    const memberships = person ? await repo.memberships(db, personId) : [];
    const current = memberships.find((m) => m.ended_on === null) ?? memberships[0];
    if (!person || !current) throw AppError.notFound();
    requireInScope(scopeFor(ctx.principal, 'member.read'), current.org_path);
    const [changes, activity] = await Promise.all([
      repo.changesOf(db, personId),
      repo.activityOf(db, personId, ACTIVITY_SHOWN),
    ]);
    return {
      personId,
      personName: maskName(person.name),
      memberships: presentHistory(memberships, changes),
      activity: activity.map(presentActivity),
    };
  }

  async function presentOneTransfer(ctx: RequestContext, id: string) {
    const detail = await engine.get(ctx, id);
    const [row] = await repo.transfersByInstance(db, [id]);
    return presentTransfers(ctx, [row!], new Map([[id, detail.actions]]))[0]!;
  }

  async function presentOneRequest(ctx: RequestContext, id: string) {
    const [row] = await repo.requestsByInstance(db, [id]);
    return presentRequests(ctx, [row!])[0]!;
  }

  async function refusePending(q: Q, personId: string) {
    if ((await repo.openInstancesOf(q, personId, MEMBERSHIP_KEYS)).length > 0) {
      throw new AppError('MEMBERSHIP_CHANGE_PENDING');
    }
  }

  /** The person a member's account speaks for, with their open membership. */
  async function mySelf(ctx: RequestContext) {
    const personId = await repo.personIdOfUser(db, userOf(ctx));
    const person = personId ? await repo.person(db, personId) : undefined;
    if (!person) throw new AppError('MEMBERSHIP_PERSON_NOT_BOUND');
    return { person, open: await repo.openMembership(db, person.id) };
  }

  function tell(out: Outbound, userId: string | null | undefined, title: ReturnType<typeof t>, zh: string, en: string) {
    if (!userId) return;
    out.tell({
      userId,
      kind: 'membership.change',
      title,
      body: t(zh, en),
      link: null,
      sms: `【智慧工会】${zh}。详情请登录智慧工会查看。`,
    });
  }

  return {
    definitions: MEMBERSHIP_KEYS,

    async unions(query: { q: string; regionCode?: string | undefined }) {
      // 610000 → 61, 610100 → 6101: a province or city code names everything inside it.
      const prefix = query.regionCode ? query.regionCode.replace(/(00)+$/, '') : null;
      const rows = await repo.findUnions(db, query.q, prefix, 20);
      return { items: rows.map(presentUnion) };
    },

    async mine(ctx: RequestContext) {
      const { person } = await mySelf(ctx);
      const [memberships, changes, instances] = await Promise.all([
        repo.memberships(db, person.id),
        repo.changesOf(db, person.id),
        repo.instancesOf(db, person.id, MEMBERSHIP_KEYS),
      ]);
      const transferIds = instances.filter((i) => i.definition_key === TRANSFER_KEY).map((i) => i.id);
      const requestIds = instances.filter((i) => i.definition_key !== TRANSFER_KEY).map((i) => i.id);
      const byNewest = <T extends { created_at: string; id: string }>(a: T, b: T) =>
        a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : a.id < b.id ? 1 : -1;
      return {
        personName: maskName(person.name),
        memberships: presentHistory(memberships, changes),
        transfers: presentTransfers(ctx, (await repo.transfersByInstance(db, transferIds)).sort(byNewest)),
        requests: presentRequests(ctx, (await repo.requestsByInstance(db, requestIds)).sort(byNewest)),
      };
    },

    /**
     * Start a transfer. The member names the union they move to; the union left names its
     * member (personId, in its membership.review scope); the union joined names the person by
     * ID number (the union must be in its scope). The handling union is always the union
     * joined; the union left is a party that sees and comments but has no step.
     */
    async startTransfer(ctx: RequestContext, body: z.infer<typeof transferStartBody>) {
      const me = userOf(ctx);
      if (body.personId && body.idNumber) {
        throw AppError.invalid(
          'body.idNumber',
          'invalid',
          t('转出工会填写 personId，转入工会填写身份证号，二者只填其一', 'give personId or idNumber, not both'),
        );
      }
      const review = scopeFor(ctx.principal, 'membership.review');
      const target = await repo.findOrg(db, body.toOrgId);
      let person: PersonTable | undefined;
      let open: MembershipTable | undefined;
      let startedBy: TransferData['startedBy'];
      if (body.personId) {
        person = await repo.person(db, body.personId);
        open = person ? await repo.openMembership(db, person.id) : undefined;
        // Outside the union's scope the person does not exist for it.
        if (!person || !open) throw AppError.notFound();
        requireInScope(review, open.org_path);
        if (!target) throw AppError.notFound();
        startedBy = 'from_union';
      } else if (body.idNumber) {
        if (!target) throw AppError.notFound();
        requireInScope(review, target.path);
        const parsed = parseIdNumber(body.idNumber, deps.now());
        if (!parsed.ok) throw AppError.invalid('body.idNumber', 'format');
        person = await repo.personByIdNumberIndex(db, blind.index(parsed.value, PERSON_FIELD_CONTEXTS.idNumber));
        open = person ? await repo.openMembership(db, person.id) : undefined;
        if (!person || !open) {
          throw new AppError('MEMBERSHIP_NOT_OPEN', [
            fieldError(
              'body.idNumber',
              'invalid',
              t(
                '该身份证号没有有效会籍，未入会的职工请办理入会',
                'No open membership has this ID number; a worker who is not a member joins instead',
              ),
            ),
          ]);
        }
        startedBy = 'to_union';
      } else {
        ({ person, open } = await mySelf(ctx));
        if (!open) throw new AppError('MEMBERSHIP_NOT_OPEN');
        if (!target) throw AppError.notFound();
        startedBy = 'member';
      }
      checkTransferTarget(target, open);
      await refusePending(db, person.id);
      const applicantUserId = startedBy === 'member' ? me : await repo.userOfPerson(db, person.id);
      const data: TransferData = {
        personId: person.id,
        personName: person.name,
        memberNumber: open.member_number,
        fromMembershipId: open.id,
        fromOrgId: open.org_id,
        toOrgId: target.id,
        startedBy,
        comment: body.comment?.trim() || null,
      };
      const id = await inUnit(ctx, async (s, eng) => {
        // Inside the lock: the membership is still the open one, and no other request slipped in.
        const now = await repo.lockMembership(s.trx, dialect, open.id);
        if (!now || !isOpen(now)) throw new AppError('MEMBERSHIP_NOT_OPEN');
        await refusePending(s.trx, person.id);
        const view = await eng.start(ctx, {
          definitionKey: TRANSFER_KEY,
          orgId: target.id,
          subjectId: person.id,
          applicantUserId,
          applicantPersonId: person.id,
          data,
          comment: data.comment,
          partyOrgPath: startedBy === 'from_union' ? now.org_path : null,
        });
        const at = deps.now().toISOString();
        const instance = (await repo.findInstance(s.trx, view.id))!;
        await repo.insertTransfer(s.trx, {
          id: newId(),
          instance_id: view.id,
          person_id: person.id,
          from_membership_id: open.id,
          to_org_id: target.id,
          org_path: instance.org_path,
          province_root: instance.province_root,
          started_by: startedBy,
          to_membership_id: null,
          created_at: at,
          updated_at: at,
        });
        await s.audit({
          action: 'membership.transfer.start',
          subjectType: 'person',
          subjectId: person.id,
          orgPath: instance.org_path,
          changes: [
            { field: 'instanceId', to: view.id },
            { field: 'fromMembershipId', to: open.id },
            { field: 'toOrgId', to: target.id },
            { field: 'startedBy', to: startedBy },
          ],
        });
        return view.id;
      });
      const [row] = await repo.transfersByInstance(db, [id]);
      return presentTransfers(ctx, [row!])[0]!;
    },

    async transfers(
      ctx: RequestContext,
      query: {
        direction: 'in' | 'out';
        orgId?: string | undefined;
        open?: boolean | undefined;
        page: number;
        pageSize: number;
      },
    ) {
      let scope: Scope = scopeFor(ctx.principal, 'membership.review');
      if (query.orgId) {
        const org = await repo.findOrg(db, query.orgId);
        if (!org) throw AppError.notFound();
        scope = narrowScope(scope, org.path);
      }
      const { rows, total } = await repo.listTransfers(
        db,
        scope,
        query.direction,
        query.open,
        pageOf(query.page, query.pageSize),
      );
      return { items: presentTransfers(ctx, rows), total, page: query.page, pageSize: query.pageSize };
    },

    async transfer(ctx: RequestContext, id: string) {
      await requireTransfer(id);
      return presentOneTransfer(ctx, id);
    },

    async transferStep(ctx: RequestContext, id: string, body: z.infer<typeof membershipStepBody>) {
      await requireTransfer(id);
      await inUnit(ctx, (_s, eng) =>
        eng.act(ctx, id, {
          action: body.action,
          comment: body.comment ?? null,
          ...(body.expectedVersion !== undefined ? { expectedVersion: body.expectedVersion } : {}),
        }),
      );
      return presentOneTransfer(ctx, id);
    },

    /** A member asks their union to retain their membership or to let them withdraw. */
    async request(ctx: RequestContext, body: z.infer<typeof membershipRequestBody>) {
      const me = userOf(ctx);
      const { person, open } = await mySelf(ctx);
      if (!open) throw new AppError('MEMBERSHIP_NOT_OPEN');
      checkRequest(body.kind, body.reasonCode, open);
      await refusePending(db, person.id);
      const data: RequestData = {
        kind: body.kind,
        personId: person.id,
        personName: person.name,
        memberNumber: open.member_number,
        membershipId: open.id,
        reasonCode: body.reasonCode ?? null,
        comment: body.comment?.trim() || null,
      };
      const id = await inUnit(ctx, async (s, eng) => {
        const now = await repo.lockMembership(s.trx, dialect, open.id);
        if (!now || !isOpen(now)) throw new AppError('MEMBERSHIP_NOT_OPEN');
        await refusePending(s.trx, person.id);
        const view = await eng.start(ctx, {
          definitionKey: body.kind === 'retain' ? RETAIN_KEY : WITHDRAW_KEY,
          orgId: now.org_id,
          subjectId: person.id,
          applicantUserId: me,
          applicantPersonId: person.id,
          data,
          comment: body.reasonCode
            ? `${RETENTION_REASON_LABELS[body.reasonCode]['zh-CN']}${data.comment ? `：${data.comment}` : ''}`
            : data.comment,
        });
        return view.id;
      });
      return presentOneRequest(ctx, id);
    },

    async requests(
      ctx: RequestContext,
      query: {
        kind?: 'retain' | 'withdraw' | undefined;
        orgId?: string | undefined;
        open?: boolean | undefined;
        page: number;
        pageSize: number;
      },
    ) {
      let scope: Scope = scopeFor(ctx.principal, 'membership.review');
      if (query.orgId) {
        const org = await repo.findOrg(db, query.orgId);
        if (!org) throw AppError.notFound();
        scope = narrowScope(scope, org.path);
      }
      const keys = query.kind ? [query.kind === 'retain' ? RETAIN_KEY : WITHDRAW_KEY] : [...REQUEST_KEYS];
      const { rows, total } = await repo.listRequests(db, scope, keys, query.open, pageOf(query.page, query.pageSize));
      return { items: presentRequests(ctx, rows), total, page: query.page, pageSize: query.pageSize };
    },

    async requestStep(ctx: RequestContext, id: string, body: z.infer<typeof membershipStepBody>) {
      const [row] = await repo.requestsByInstance(db, [id]);
      if (!row || !(REQUEST_KEYS as readonly string[]).includes(row.definition_key)) throw AppError.notFound();
      await inUnit(ctx, (_s, eng) =>
        eng.act(ctx, id, {
          action: body.action,
          comment: body.comment ?? null,
          ...(body.expectedVersion !== undefined ? { expectedVersion: body.expectedVersion } : {}),
        }),
      );
      return presentOneRequest(ctx, id);
    },

    /** Expulsion: a cadre's direct, audited decision with its reason; the member is told. */
    async expel(ctx: RequestContext, body: z.infer<typeof expelBody>) {
      const person = await repo.person(db, body.personId);
      const memberships = person ? await repo.memberships(db, person.id) : [];
      const current = memberships.find((m) => m.ended_on === null) ?? memberships[0];
      if (!person || !current) throw AppError.notFound();
      requireInScope(scopeFor(ctx.principal, 'membership.review'), current.org_path);
      if (!isOpen(current)) throw new AppError('MEMBERSHIP_NOT_OPEN');
      const reason = body.reason.trim();
      const out = createOutbound(deps.smsQueue);
      await write(ctx, async (s) => {
        await lockShared(s.trx as unknown as Kysely<unknown>, dialect, ORG_TREE_LOCK);
        const m = await repo.lockMembership(s.trx, dialect, current.id);
        if (!m || !isOpen(m)) throw new AppError('MEMBERSHIP_NOT_OPEN');
        const now = deps.now();
        const deltas = new CounterDeltas();
        await closeOpen(s, m, person, 'withdrawn', 'expelled', now, deltas);
        await repo.insertChanges(s.trx, [changeRow(m, 'expel', ctx, now, { reason })]);
        await applyCounterDeltas(s.trx, dialect, deltas);
        await s.audit({
          action: 'membership.expel',
          subjectType: 'person',
          subjectId: person.id,
          orgPath: m.org_path,
          changes: [
            { field: 'status', from: m.status, to: 'withdrawn' },
            { field: 'reason', to: reason },
          ],
        });
        tell(
          out,
          await repo.userOfPerson(s.trx, person.id),
          t('会籍变动', 'Membership'),
          `您的会籍已被${current.org_name}除名，原因：${reason}`,
          `Your membership of ${current.org_name} was ended by expulsion. Reason: ${reason}`,
        );
        await out.flush(s, now);
      });
      return history(ctx, person.id);
    },

    async proposals(
      ctx: RequestContext,
      query: { orgId?: string | undefined; status: InactivityProposalTable['status']; page: number; pageSize: number },
    ) {
      let scope: Scope = scopeFor(ctx.principal, 'membership.review');
      if (query.orgId) {
        const org = await repo.findOrg(db, query.orgId);
        if (!org) throw AppError.notFound();
        scope = narrowScope(scope, org.path);
      }
      const { rows, total } = await repo.listProposals(db, scope, query.status, pageOf(query.page, query.pageSize));
      return { items: rows.map(presentProposal), total, page: query.page, pageSize: query.pageSize };
    },

    /**
     * Confirm (each member withdrawn as inactive and told) or dismiss proposals, all in one unit
     * of work. A proposal decided already is left as it is; one whose membership ended or was
     * retained meanwhile lapses. Any id outside the actor's scope makes the whole batch 404.
     */
    async decideProposals(ctx: RequestContext, body: z.infer<typeof proposalDecisionBody>) {
      const scope = scopeFor(ctx.principal, 'membership.review');
      const found = await repo.proposalsByIds(db, body.ids);
      if (found.length !== body.ids.length || found.some((p) => !covers(scope, p.org_path))) throw AppError.notFound();
      const reason = body.reason?.trim() || null;
      if (body.decision === 'dismiss' && !reason) throw AppError.invalid('body.reason', 'required');
      const out = createOutbound(deps.smsQueue);
      await write(ctx, async (s) => {
        await lockShared(s.trx as unknown as Kysely<unknown>, dialect, ORG_TREE_LOCK);
        const now = deps.now();
        const at = now.toISOString();
        const open = (await repo.proposalsByIds(s.trx, body.ids)).filter((p) => p.status === 'open');
        const memberships = new Map(
          (
            await repo.lockMemberships(
              s.trx,
              dialect,
              open.map((p) => p.membership_id),
            )
          ).map((m) => [m.id, m]),
        );
        const decided = { by: ctx.actor.id, at };
        if (body.decision === 'dismiss') {
          await repo.decideProposals(
            s.trx,
            open.map((p) => p.id),
            { status: 'dismissed', reason, decided_by: decided.by, decided_at: at },
          );
          for (const p of open) {
            await s.audit({
              action: 'membership.inactivity.dismiss',
              subjectType: 'inactivity_proposal',
              subjectId: p.id,
              orgPath: p.org_path,
              changes: [
                { field: 'status', from: 'open', to: 'dismissed' },
                { field: 'reason', to: reason },
              ],
            });
          }
        } else {
          const confirm = open.filter((p) => {
            const m = memberships.get(p.membership_id);
            return m !== undefined && isOpen(m) && m.status === 'active';
          });
          const lapsed = open.filter((p) => !confirm.includes(p));
          const persons = new Map(
            (
              await repo.persons(
                s.trx,
                confirm.map((p) => p.person_id),
              )
            ).map((x) => [x.id, x]),
          );
          const users = await repo.usersOfPersons(
            s.trx,
            confirm.map((p) => p.person_id),
          );
          const deltas = new CounterDeltas();
          const changes: MembershipChangeTable[] = [];
          for (const p of confirm) {
            const m = memberships.get(p.membership_id)!;
            await closeOpen(s, m, persons.get(p.person_id)!, 'withdrawn', 'inactive', now, deltas, false);
            changes.push(
              changeRow(m, 'inactive', ctx, now, {
                reason: `连续六个月未交会费、未参加工会活动（最后记录 ${p.last_sign_on}）`,
              }),
            );
            await s.audit({
              action: 'membership.inactivity.confirm',
              subjectType: 'person',
              subjectId: p.person_id,
              orgPath: m.org_path,
              changes: [
                { field: 'status', from: 'active', to: 'withdrawn' },
                { field: 'proposalId', to: p.id },
              ],
            });
            tell(
              out,
              users.get(p.person_id),
              t('会籍变动', 'Membership'),
              `您连续六个月未交纳会费、未参加工会活动，${p.org_name}已按规定办理退会，如需继续入会可重新申请`,
              `You paid no dues and took part in no union activity for six months; ${p.org_name} has ended your membership. You may join again`,
            );
          }
          await repo.insertChanges(s.trx, changes);
          await repo.decideProposals(
            s.trx,
            confirm.map((p) => p.id),
            {
              status: 'confirmed',
              reason: null,
              decided_by: decided.by,
              decided_at: at,
            },
          );
          await repo.decideProposals(
            s.trx,
            lapsed.map((p) => p.id),
            { status: 'lapsed', reason: null, decided_by: decided.by, decided_at: at },
          );
          await applyCounterDeltas(s.trx, dialect, deltas);
        }
        // The decision itself, even when every proposal had been decided already.
        await s.audit({
          action: `membership.inactivity.${body.decision}.batch`,
          subjectType: 'inactivity_proposal',
          subjectId: null,
          changes: [
            { field: 'ids', to: body.ids },
            { field: 'open', to: open.length },
          ],
        });
        await out.flush(s, now);
      });
      const rows = new Map((await repo.proposalsByIds(db, body.ids)).map((p) => [p.id, p]));
      return { items: body.ids.map((id) => presentProposal(rows.get(id)!)) };
    },

    /** Dues paid for a month, or an activity attended, for members of unions in the actor's scope. */
    async recordActivity(ctx: RequestContext, body: z.infer<typeof activityRecordBody>) {
      const day = today();
      const occurredOn = body.occurredOn ?? day;
      checkActivityRecord({ kind: body.kind, month: body.month, title: body.title, occurredOn }, day);
      const scope = scopeFor(ctx.principal, 'member.write');
      const byPerson = new Map((await repo.openMemberships(db, body.personIds)).map((m) => [m.person_id, m]));
      const targets = body.personIds.map((id, i) => {
        const m = byPerson.get(id);
        // No open membership in the actor's scope: the person does not exist for them.
        if (!m || !covers(scope, m.org_path)) throw AppError.notFound();
        if (body.kind === 'dues' && !duesAllowed(m)) {
          throw new AppError('MEMBERSHIP_STATUS_NOT_ALLOWED', [
            fieldError(`body.personIds.${i}`, 'invalid', t('保留会籍的会员不交会费', 'Retained members pay no dues')),
          ]);
        }
        return m;
      });
      return write(ctx, async (s) => {
        const at = deps.now().toISOString();
        const already =
          body.kind === 'dues'
            ? await repo.duesRecorded(
                s.trx,
                targets.map((m) => m.id),
                body.month!,
              )
            : new Set<string>();
        const rows: MembershipActivityTable[] = targets
          .filter((m) => !already.has(m.id))
          .map((m) => ({
            id: newId(),
            person_id: m.person_id,
            membership_id: m.id,
            kind: body.kind,
            month: body.kind === 'dues' ? body.month! : null,
            occurred_on: occurredOn,
            title: body.kind === 'activity' ? body.title! : null,
            recorded_by: ctx.actor.id,
            created_at: at,
          }));
        const recorded = await repo.insertActivity(s.trx, rows);
        // One event per union: what was recorded and for whom (person ids, nothing personal).
        const byUnion = new Map<string, string[]>();
        for (const m of targets) byUnion.set(m.org_path, [...(byUnion.get(m.org_path) ?? []), m.person_id]);
        for (const [orgPath, personIds] of byUnion) {
          await s.audit({
            action: `membership.${body.kind}.record`,
            subjectType: 'membership_activity',
            subjectId: null,
            orgPath,
            changes: [
              { field: 'personIds', to: personIds },
              { field: 'occurredOn', to: occurredOn },
              ...(body.kind === 'dues' ? [{ field: 'month', to: body.month }] : [{ field: 'title', to: body.title }]),
            ],
          });
        }
        return { recorded, already: targets.length - recorded };
      });
    },

    history,

    /**
     * The daily inactivity run (every API process runs it from core/jobs/periodic.ts): once per
     * Beijing day, the active memberships with no dues, no activity, no card check and no
     * application for six calendar months, and no open or recently dismissed proposal, are
     * proposed to their unions. Claiming the day and writing the proposals is one transaction,
     * so a second run that day (another process, a later tick) finds the day taken and does
     * nothing. Returns how many were proposed.
     */
    async proposeInactive(): Promise<number> {
      const now = deps.now();
      const at = now.toISOString();
      const day = localDate(now);
      const since = inactivitySince(day);
      try {
        return await write(SYS, async (s) => {
          if (!(await repo.claimRun(s.trx, day, at))) throw new RunDoneToday();
          const candidates = await repo.inactiveCandidates(s.trx, since, beijingDayStart(since));
          const signs = await repo.lastSigns(
            s.trx,
            candidates.map((c) => c.person_id),
          );
          const rows: InactivityProposalTable[] = candidates.map((c) => {
            const instant = signs.instants.get(c.person_id);
            const last = [c.started_on, signs.days.get(c.person_id), instant ? localDate(new Date(instant)) : undefined]
              .filter((x): x is string => x !== undefined)
              .sort()
              .at(-1)!;
            return {
              id: newId(),
              run_on: day,
              person_id: c.person_id,
              membership_id: c.id,
              org_id: c.org_id,
              org_path: c.org_path,
              province_root: c.province_root,
              last_sign_on: last,
              status: 'open',
              reason: null,
              decided_by: null,
              decided_at: null,
              created_at: at,
            };
          });
          const inserted = await repo.insertProposals(s.trx, rows);
          const byUnion = new Map<string, number>();
          for (const p of inserted) byUnion.set(p.org_path, (byUnion.get(p.org_path) ?? 0) + 1);
          for (const [orgPath, n] of byUnion) {
            await s.audit({
              action: 'membership.inactivity.propose',
              subjectType: 'inactivity_run',
              subjectId: day,
              orgPath,
              changes: [{ field: 'proposed', to: n }],
            });
          }
          await repo.finishRun(s.trx, day, inserted.length);
          await s.audit({
            action: 'membership.inactivity.run',
            subjectType: 'inactivity_run',
            subjectId: day,
            changes: [
              { field: 'since', to: since },
              { field: 'proposed', to: inserted.length },
            ],
          });
          return inserted.length;
        });
      } catch (err) {
        if (err instanceof RunDoneToday) return 0;
        throw err;
      }
    },
  };
}
export type MembershipsService = ReturnType<typeof createMembershipsService>;
