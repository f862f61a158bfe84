import { type Kysely, sql } from 'kysely';
import { inScope, type Scope } from '../../core/access/scope.ts';
import type { DialectName } from '../../db/dialect.ts';
import {
  type DB,
  type InactivityProposalTable,
  MEMBERSHIP_COLUMNS,
  type MembershipActivityTable,
  type MembershipChangeTable,
  type MembershipTable,
  type MembershipTransferTable,
  type OrganizationTable,
  type PersonTable,
  type WorkflowInstanceTable,
} from '../../db/schema.ts';

type Q = Kysely<DB>;
type Page = { limit: number; offset: number };

/** Rows per IN (…) list and per multi-row INSERT: far below both engines' parameter limits. */
const CHUNK = 500;

function chunks<T>(all: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < all.length; i += CHUNK) out.push(all.slice(i, i + CHUNK));
  return out;
}

/** A transfer with what its lists show: the instance, the membership left, both unions' names. */
export type TransferRow = WorkflowInstanceTable & {
  transfer_id: string;
  started_by: MembershipTransferTable['started_by'];
  to_org_id: string;
  to_org_name: string;
  from_org_id: string;
  from_org_name: string;
  from_org_path: string;
  member_number: string | null;
  person_name: string;
  transfer_person_id: string;
};

/** A retention or withdrawal request with its union's name. */
export type RequestRow = WorkflowInstanceTable & { org_name: string };

export type HistoryMembership = MembershipTable & { org_name: string };

export type ProposalRow = InactivityProposalTable & {
  org_name: string;
  person_name: string;
  member_number: string | null;
};

/** A membership the inactivity rule proposes, before its last sign of life is read. */
export type InactiveCandidate = Pick<
  MembershipTable,
  'id' | 'person_id' | 'org_id' | 'org_path' | 'province_root' | 'started_on'
>;

/**
 * Queries of membership changes. The scope of every list is the caller's, applied with the one
 * scope helper on an org-scoped path: the transfer's own (the union joined), the membership's
 * (the union left, a request's union, a member's union), a proposal's.
 */
export const membershipsRepository = {
  async findOrg(db: Q, id: string): Promise<OrganizationTable | undefined> {
    return db.selectFrom('organization').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async orgNames(db: Q, ids: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const part of chunks([...new Set(ids)])) {
      const rows = await db.selectFrom('organization').select(['id', 'name']).where('id', 'in', part).execute();
      for (const r of rows) out.set(r.id, r.name);
    }
    return out;
  },

  async personIdOfUser(db: Q, userId: string): Promise<string | null> {
    const row = await db.selectFrom('user_account').select('person_id').where('id', '=', userId).executeTakeFirst();
    return row?.person_id ?? null;
  },

  /** The account speaking for a person (one at most: binding refuses a second). */
  async userOfPerson(db: Q, personId: string): Promise<string | null> {
    const row = await db
      .selectFrom('user_account')
      .select('id')
      .where('person_id', '=', personId)
      .where('status', '=', 'active')
      .executeTakeFirst();
    return row?.id ?? null;
  },

  async usersOfPersons(db: Q, personIds: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const part of chunks([...new Set(personIds)])) {
      const rows = await db
        .selectFrom('user_account')
        .select(['id', 'person_id'])
        .where('person_id', 'in', part)
        .where('status', '=', 'active')
        .execute();
      for (const r of rows) if (r.person_id) out.set(r.person_id, r.id);
    }
    return out;
  },

  async person(db: Q, id: string): Promise<PersonTable | undefined> {
    return db.selectFrom('person').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async personByIdNumberIndex(db: Q, index: string): Promise<PersonTable | undefined> {
    return db.selectFrom('person').selectAll().where('id_number_index', '=', index).executeTakeFirst();
  },

  async persons(db: Q, ids: readonly string[]): Promise<PersonTable[]> {
    const out: PersonTable[] = [];
    for (const part of chunks([...new Set(ids)])) {
      out.push(...(await db.selectFrom('person').selectAll().where('id', 'in', part).execute()));
    }
    return out;
  },

  /** The person's open membership (at most one: membership_one_open). */
  async openMembership(db: Q, personId: string): Promise<MembershipTable | undefined> {
    return db
      .selectFrom('membership')
      .selectAll()
      .where('person_id', '=', personId)
      .where('ended_on', 'is', null)
      .executeTakeFirst();
  },

  async openMemberships(db: Q, personIds: readonly string[]): Promise<MembershipTable[]> {
    const out: MembershipTable[] = [];
    for (const part of chunks([...new Set(personIds)])) {
      out.push(
        ...(await db
          .selectFrom('membership')
          .selectAll()
          .where('person_id', 'in', part)
          .where('ended_on', 'is', null)
          .execute()),
      );
    }
    return out;
  },

  /**
   * A membership as last committed, locked for the rest of the transaction on PostgreSQL
   * (SQLite runs one writer at a time): requests, steps and confirmations about one membership
   * take their turns, so two of them cannot both see it open.
   */
  async lockMembership(db: Q, dialect: DialectName, id: string): Promise<MembershipTable | undefined> {
    let q = db.selectFrom('membership').select(MEMBERSHIP_COLUMNS).where('id', '=', id);
    if (dialect === 'postgres') q = q.forUpdate();
    return q.executeTakeFirst();
  },

  /** The person's open membership at `orgId` with `memberNumber`, locked like lockMembership. */
  async lockOpenMembershipAt(
    db: Q,
    dialect: DialectName,
    at: { personId: string; orgId: string; memberNumber: string | null },
  ): Promise<MembershipTable | undefined> {
    if (at.memberNumber === null) return undefined;
    let q = db
      .selectFrom('membership')
      .select(MEMBERSHIP_COLUMNS)
      .where('person_id', '=', at.personId)
      .where('org_id', '=', at.orgId)
      .where('member_number', '=', at.memberNumber)
      .where('ended_on', 'is', null);
    if (dialect === 'postgres') q = q.forUpdate();
    return q.executeTakeFirst();
  },

  async lockMemberships(db: Q, dialect: DialectName, ids: readonly string[]): Promise<MembershipTable[]> {
    const out: MembershipTable[] = [];
    // Sorted, so two batches over the same memberships lock them in one order.
    for (const part of chunks([...new Set(ids)].sort())) {
      let q = db.selectFrom('membership').select(MEMBERSHIP_COLUMNS).where('id', 'in', part).orderBy('id');
      if (dialect === 'postgres') q = q.forUpdate();
      out.push(...(await q.execute()));
    }
    return out;
  },

  async memberships(db: Q, personId: string): Promise<HistoryMembership[]> {
    return db
      .selectFrom('membership')
      .innerJoin('organization', 'organization.id', 'membership.org_id')
      .select(MEMBERSHIP_COLUMNS.map((c) => `membership.${c}` as const))
      .select('organization.name as org_name')
      .where('membership.person_id', '=', personId)
      .orderBy('membership.started_on', 'desc')
      .orderBy('membership.created_at', 'desc')
      .execute();
  },

  async changesOf(db: Q, personId: string): Promise<MembershipChangeTable[]> {
    return db
      .selectFrom('membership_change')
      .selectAll()
      .where('person_id', '=', personId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  },

  async activityOf(db: Q, personId: string, limit: number) {
    return db
      .selectFrom('membership_activity')
      .innerJoin('membership', 'membership.id', 'membership_activity.membership_id')
      .innerJoin('organization', 'organization.id', 'membership.org_id')
      .selectAll('membership_activity')
      .select('organization.name as org_name')
      .where('membership_activity.person_id', '=', personId)
      .orderBy('membership_activity.occurred_on', 'desc')
      .orderBy('membership_activity.created_at', 'desc')
      .limit(limit)
      .execute();
  },

  /** Open instances of these definitions the person applied for (or was applied for). */
  async openInstancesOf(db: Q, personId: string, keys: readonly string[]): Promise<WorkflowInstanceTable[]> {
    return db
      .selectFrom('workflow_instance')
      .selectAll()
      .where('applicant_person_id', '=', personId)
      .where('definition_key', 'in', keys)
      .where('closed_at', 'is', null)
      .execute();
  },

  async instancesOf(db: Q, personId: string, keys: readonly string[]): Promise<WorkflowInstanceTable[]> {
    return db
      .selectFrom('workflow_instance')
      .selectAll()
      .where('applicant_person_id', '=', personId)
      .where('definition_key', 'in', keys)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
  },

  async findInstance(db: Q, id: string): Promise<WorkflowInstanceTable | undefined> {
    return db.selectFrom('workflow_instance').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async insertTransfer(db: Q, row: MembershipTransferTable): Promise<void> {
    await db.insertInto('membership_transfer').values(row).execute();
  },

  async transferOfInstance(db: Q, instanceId: string): Promise<MembershipTransferTable | undefined> {
    return db.selectFrom('membership_transfer').selectAll().where('instance_id', '=', instanceId).executeTakeFirst();
  },

  /** Path of the union a transfer leaves (its from-membership's, moved with the tree). */
  async transferFromPath(db: Q, instanceId: string): Promise<string | null> {
    const row = await db
      .selectFrom('membership_transfer')
      .innerJoin('membership', 'membership.id', 'membership_transfer.from_membership_id')
      .select('membership.org_path')
      .where('membership_transfer.instance_id', '=', instanceId)
      .executeTakeFirst();
    return row?.org_path ?? null;
  },

  async setTransferDone(db: Q, instanceId: string, toMembershipId: string, at: string): Promise<void> {
    await db
      .updateTable('membership_transfer')
      .set({ to_membership_id: toMembershipId, updated_at: at })
      .where('instance_id', '=', instanceId)
      .execute();
  },

  transferRows(db: Q) {
    return db
      .selectFrom('membership_transfer as mt')
      .innerJoin('workflow_instance as wi', 'wi.id', 'mt.instance_id')
      .innerJoin('membership as fm', 'fm.id', 'mt.from_membership_id')
      .innerJoin('organization as fo', 'fo.id', 'fm.org_id')
      .innerJoin('organization as tot', 'tot.id', 'mt.to_org_id')
      .selectAll('wi')
      .select([
        'mt.id as transfer_id',
        'mt.started_by',
        'mt.to_org_id',
        'tot.name as to_org_name',
        'fm.org_id as from_org_id',
        'fo.name as from_org_name',
        'fm.org_path as from_org_path',
        'fm.member_number',
        'fm.name as person_name',
        'mt.person_id as transfer_person_id',
      ]);
  },

  async transfersByInstance(db: Q, ids: readonly string[]): Promise<TransferRow[]> {
    const out: TransferRow[] = [];
    for (const part of chunks([...new Set(ids)])) {
      out.push(...((await this.transferRows(db).where('mt.instance_id', 'in', part).execute()) as TransferRow[]));
    }
    return out;
  },

  /** Transfers into (the union joined in scope) or out of (the membership left in scope) a scope. */
  async listTransfers(db: Q, scope: Scope, direction: 'in' | 'out', open: boolean | undefined, page: Page) {
    let q = this.transferRows(db);
    q =
      direction === 'in'
        ? q.where((eb) => inScope(eb, 'mt.org_path', scope))
        : q.where((eb) => inScope(eb, 'fm.org_path', scope));
    if (open === true) q = q.where('wi.closed_at', 'is', null);
    if (open === false) q = q.where('wi.closed_at', 'is not', null);
    const [rows, total] = await Promise.all([
      q.orderBy('wi.created_at', 'desc').orderBy('wi.id', 'desc').limit(page.limit).offset(page.offset).execute(),
      q
        .clearSelect()
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .executeTakeFirstOrThrow(),
    ]);
    return { rows: rows as TransferRow[], total: Number(total.n) };
  },

  async listRequests(
    db: Q,
    scope: Scope,
    keys: readonly string[],
    open: boolean | undefined,
    page: Page,
  ): Promise<{ rows: RequestRow[]; total: number }> {
    let q = db
      .selectFrom('workflow_instance as wi')
      .innerJoin('organization as o', 'o.id', 'wi.org_id')
      .where('wi.definition_key', 'in', keys)
      .where((eb) => inScope(eb, 'wi.org_path', scope));
    if (open === true) q = q.where('wi.closed_at', 'is', null);
    if (open === false) q = q.where('wi.closed_at', 'is not', null);
    const [rows, total] = await Promise.all([
      q
        .selectAll('wi')
        .select('o.name as org_name')
        .orderBy('wi.created_at', 'desc')
        .orderBy('wi.id', 'desc')
        .limit(page.limit)
        .offset(page.offset)
        .execute(),
      q.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { rows, total: Number(total.n) };
  },

  async requestsByInstance(db: Q, ids: readonly string[]): Promise<RequestRow[]> {
    const out: RequestRow[] = [];
    for (const part of chunks([...new Set(ids)])) {
      out.push(
        ...(await db
          .selectFrom('workflow_instance as wi')
          .innerJoin('organization as o', 'o.id', 'wi.org_id')
          .selectAll('wi')
          .select('o.name as org_name')
          .where('wi.id', 'in', part)
          .execute()),
      );
    }
    return out;
  },

  async insertMembership(db: Q, row: MembershipTable): Promise<void> {
    await db.insertInto('membership').values(row).execute();
  },

  /** Close an open membership; false when it was closed meanwhile. */
  async closeMembership(
    db: Q,
    id: string,
    set: { status: 'transferred_out' | 'withdrawn'; ended_on: string; end_reason: string; updated_at: string },
  ): Promise<boolean> {
    const r = await db
      .updateTable('membership')
      .set(set)
      .where('id', '=', id)
      .where('ended_on', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  async retain(db: Q, id: string, at: string): Promise<boolean> {
    const r = await db
      .updateTable('membership')
      .set({ status: 'retained', updated_at: at })
      .where('id', '=', id)
      .where('ended_on', 'is', null)
      .where('status', '=', 'active')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  async insertChanges(db: Q, rows: readonly MembershipChangeTable[]): Promise<void> {
    for (const part of chunks(rows)) await db.insertInto('membership_change').values(part).execute();
  },

  /** Open proposals of memberships that ended otherwise lapse. */
  async lapseProposals(db: Q, membershipIds: readonly string[], at: string): Promise<void> {
    for (const part of chunks([...new Set(membershipIds)])) {
      await db
        .updateTable('inactivity_proposal')
        .set({ status: 'lapsed', decided_at: at })
        .where('membership_id', 'in', part)
        .where('status', '=', 'open')
        .execute();
    }
  },

  /** Months of dues already recorded for these memberships. */
  async duesRecorded(db: Q, membershipIds: readonly string[], month: string): Promise<Set<string>> {
    const out = new Set<string>();
    for (const part of chunks([...new Set(membershipIds)])) {
      const rows = await db
        .selectFrom('membership_activity')
        .select('membership_id')
        .where('membership_id', 'in', part)
        .where('kind', '=', 'dues')
        .where('month', '=', month)
        .execute();
      for (const r of rows) out.add(r.membership_id);
    }
    return out;
  },

  /** Insert records; a month's dues already there (a concurrent recording) are left alone. */
  async insertActivity(db: Q, rows: readonly MembershipActivityTable[]): Promise<number> {
    let n = 0;
    for (const part of chunks(rows)) {
      const r = await db
        .insertInto('membership_activity')
        .values(part)
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .execute();
      n += r.length;
    }
    return n;
  },

  proposalRows(db: Q) {
    return db
      .selectFrom('inactivity_proposal as p')
      .innerJoin('organization as o', 'o.id', 'p.org_id')
      .innerJoin('membership as m', 'm.id', 'p.membership_id')
      .selectAll('p')
      .select(['o.name as org_name', 'm.name as person_name', 'm.member_number']);
  },

  async listProposals(db: Q, scope: Scope, status: InactivityProposalTable['status'], page: Page) {
    const base = db
      .selectFrom('inactivity_proposal as p')
      .where('p.status', '=', status)
      .where((eb) => inScope(eb, 'p.org_path', scope));
    const [rows, total] = await Promise.all([
      this.proposalRows(db)
        .where('p.status', '=', status)
        .where((eb) => inScope(eb, 'p.org_path', scope))
        .orderBy('p.org_path')
        .orderBy('p.last_sign_on')
        .orderBy('p.id')
        .limit(page.limit)
        .offset(page.offset)
        .execute(),
      base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { rows: rows as ProposalRow[], total: Number(total.n) };
  },

  async proposalsByIds(db: Q, ids: readonly string[]): Promise<ProposalRow[]> {
    const out: ProposalRow[] = [];
    for (const part of chunks([...new Set(ids)])) {
      out.push(...((await this.proposalRows(db).where('p.id', 'in', part).execute()) as ProposalRow[]));
    }
    return out;
  },

  /** Decide open proposals; returns the ids that were still open. */
  async decideProposals(
    db: Q,
    ids: readonly string[],
    set: {
      status: 'confirmed' | 'dismissed' | 'lapsed';
      reason: string | null;
      decided_by: string | null;
      decided_at: string;
    },
  ): Promise<void> {
    for (const part of chunks([...new Set(ids)])) {
      await db
        .updateTable('inactivity_proposal')
        .set(set)
        .where('id', 'in', part)
        .where('status', '=', 'open')
        .execute();
    }
  },

  /** Claim today's inactivity run; false when a run of this day exists (another process, an earlier tick). */
  async claimRun(db: Q, day: string, at: string): Promise<boolean> {
    const r = await db
      .insertInto('inactivity_run')
      .values({ day, proposed: 0, at })
      .onConflict((oc) => oc.doNothing())
      .returning('day')
      .execute();
    return r.length === 1;
  },

  async finishRun(db: Q, day: string, proposed: number): Promise<void> {
    await db.updateTable('inactivity_run').set({ proposed }).where('day', '=', day).execute();
  },

  /**
   * Active memberships with no sign of life on or after `since` (YYYY-MM-DD; `sinceAt` is its
   * Beijing start as an instant): started before it, no dues or activity recorded, no card of
   * the person checked, no application of the person started, and no open proposal or one
   * dismissed since then. Ordered by union, so each union's proposals come together.
   */
  async inactiveCandidates(db: Q, since: string, sinceAt: string): Promise<InactiveCandidate[]> {
    return db
      .selectFrom('membership as m')
      .select(['m.id', 'm.person_id', 'm.org_id', 'm.org_path', 'm.province_root', 'm.started_on'])
      .where('m.ended_on', 'is', null)
      .where('m.status', '=', 'active')
      .where('m.started_on', '<', since)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('membership_activity as a')
              .select('a.id')
              .whereRef('a.person_id', '=', 'm.person_id')
              .where('a.occurred_on', '>=', since),
          ),
        ),
      )
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('card_verification as v')
              .innerJoin('member_card as c', 'c.id', 'v.card_id')
              .select('v.id')
              .whereRef('c.person_id', '=', 'm.person_id')
              .where('v.at', '>=', sinceAt),
          ),
        ),
      )
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('workflow_instance as w')
              .select('w.id')
              .whereRef('w.applicant_person_id', '=', 'm.person_id')
              .where('w.created_at', '>=', sinceAt),
          ),
        ),
      )
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('inactivity_proposal as p')
              .select('p.id')
              .whereRef('p.membership_id', '=', 'm.id')
              .where((w) =>
                w.or([
                  w('p.status', '=', 'open'),
                  w.and([w('p.status', '=', 'dismissed'), w('p.decided_at', '>=', sinceAt)]),
                ]),
              ),
          ),
        ),
      )
      .orderBy('m.org_path')
      .orderBy('m.id')
      .execute();
  },

  /**
   * The latest sign of life of each person before the run, per source: dues and activities
   * (their day), card checks, applications and dismissed proposals (their instants).
   */
  async lastSigns(db: Q, personIds: readonly string[]) {
    const days = new Map<string, string>();
    const instants = new Map<string, string>();
    const keep = (map: Map<string, string>, id: string, v: string | null) => {
      if (v && (!map.has(id) || map.get(id)! < v)) map.set(id, v);
    };
    for (const part of chunks([...new Set(personIds)])) {
      const activity = await db
        .selectFrom('membership_activity')
        .select(['person_id', (eb) => eb.fn.max('occurred_on').as('last')])
        .where('person_id', 'in', part)
        .groupBy('person_id')
        .execute();
      for (const r of activity) keep(days, r.person_id, r.last);
      const cards = await db
        .selectFrom('card_verification as v')
        .innerJoin('member_card as c', 'c.id', 'v.card_id')
        .select(['c.person_id', sql<string | Date>`max(v.at)`.as('last')])
        .where('c.person_id', 'in', part)
        .groupBy('c.person_id')
        .execute();
      for (const r of cards) keep(instants, r.person_id, r.last ? new Date(r.last).toISOString() : null);
      const applications = await db
        .selectFrom('workflow_instance')
        .select(['applicant_person_id', sql<string | Date>`max(created_at)`.as('last')])
        .where('applicant_person_id', 'in', part)
        .groupBy('applicant_person_id')
        .execute();
      for (const r of applications) {
        if (r.applicant_person_id)
          keep(instants, r.applicant_person_id, r.last ? new Date(r.last).toISOString() : null);
      }
      const dismissed = await db
        .selectFrom('inactivity_proposal')
        .select(['person_id', sql<string | Date>`max(decided_at)`.as('last')])
        .where('person_id', 'in', part)
        .where('status', '=', 'dismissed')
        .groupBy('person_id')
        .execute();
      for (const r of dismissed) keep(instants, r.person_id, r.last ? new Date(r.last).toISOString() : null);
    }
    return { days, instants };
  },

  async insertProposals(db: Q, rows: readonly InactivityProposalTable[]): Promise<InactivityProposalTable[]> {
    const inserted: InactivityProposalTable[] = [];
    for (const part of chunks(rows)) {
      // The partial unique index keeps one open proposal per membership against a concurrent run.
      const r = await db
        .insertInto('inactivity_proposal')
        .values(part)
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .execute();
      const ids = new Set(r.map((x) => x.id));
      inserted.push(...part.filter((p) => ids.has(p.id)));
    }
    return inserted;
  },

  /** Union lookup for members: active grassroots and joint unions by name, optionally within a region. */
  async findUnions(db: Q, q: string, regionPrefix: string | null, limit: number) {
    let query = db
      .selectFrom('organization as o')
      .leftJoin('organization as parent', 'parent.id', 'o.parent_id')
      .select(['o.id', 'o.name', 'o.type', 'o.region_code', 'parent.name as parent_name'])
      .where('o.status', '=', 'active')
      .where('o.type', 'in', ['grassroots', 'joint'])
      // The typed text is matched literally: % and _ are escaped.
      .where(sql<boolean>`o.name like ${`%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`} escape '\\'`)
      .orderBy('o.name')
      .orderBy('o.id')
      .limit(limit);
    if (regionPrefix) {
      query = query.where('o.region_code', '>=', regionPrefix).where('o.region_code', '<', `${regionPrefix}~`);
    }
    return query.execute();
  },
};
