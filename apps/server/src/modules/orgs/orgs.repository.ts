import { type ExpressionBuilder, type Kysely, sql } from 'kysely';
import { inScope, type Scope } from '../../core/access/scope.ts';
import { type DialectName, pathInSubtree, rebasedPath } from '../../db/dialect.ts';
import { ORG_SCOPED_TABLES } from '../../db/org-scoped.ts';
import {
  type DB,
  MEMBERSHIP_COLUMNS,
  type MembershipTable,
  type OrganizationTable,
  type WorkUnitTable,
} from '../../db/schema.ts';

type Q = Kysely<DB>;

/** Counts shown beside an organization: active children, and work units a union covers. */
export interface OrgCounts {
  children: Map<string, number>;
  workUnits: Map<string, number>;
}

/** A grant at `orgId` not revoked and not expired by `now`. */
const liveGrantAt = (orgId: string, now: string) => (eb: ExpressionBuilder<DB, 'role_grant'>) =>
  eb.and([
    eb('org_id', '=', orgId),
    eb('revoked_at', 'is', null),
    eb.or([eb('valid_to', 'is', null), eb('valid_to', '>', now)]),
  ]);

export const orgsRepository = {
  async findById(db: Q, id: string): Promise<OrganizationTable | undefined> {
    return db.selectFrom('organization').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async findManyByIds(db: Q, ids: readonly string[]): Promise<OrganizationTable[]> {
    if (ids.length === 0) return [];
    return db
      .selectFrom('organization')
      .selectAll()
      .where('id', 'in', [...ids])
      .execute();
  },

  async findByPaths(db: Q, paths: readonly string[]): Promise<OrganizationTable[]> {
    if (paths.length === 0) return [];
    return db
      .selectFrom('organization')
      .selectAll()
      .where('path', 'in', [...paths])
      .orderBy('name')
      .execute();
  },

  async findChildrenInScope(
    db: Q,
    parentId: string,
    scope: Scope,
    options: { includeInactive?: boolean } = {},
  ): Promise<OrganizationTable[]> {
    let q = db
      .selectFrom('organization')
      .selectAll()
      .where('parent_id', '=', parentId)
      .where((eb) => inScope(eb, 'organization.path', scope));
    if (!options.includeInactive) q = q.where('status', '=', 'active');
    return q.orderBy('name').execute();
  },

  /** Type and level of the active direct children, once each: what a new parent must accept. */
  async activeChildKinds(db: Q, parentId: string): Promise<{ type: string; level: string | null }[]> {
    return db
      .selectFrom('organization')
      .select(['type', 'level'])
      .distinct()
      .where('parent_id', '=', parentId)
      .where('status', '=', 'active')
      .execute();
  },

  async counts(db: Q, ids: readonly string[]): Promise<OrgCounts> {
    const out: OrgCounts = { children: new Map(), workUnits: new Map() };
    if (ids.length === 0) return out;
    const children = await db
      .selectFrom('organization')
      .select(['parent_id', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('parent_id', 'in', [...ids])
      .where('status', '=', 'active')
      .groupBy('parent_id')
      .execute();
    for (const r of children) out.children.set(r.parent_id!, Number(r.n));
    out.workUnits = await orgsRepository.unitsCovered(db, ids);
    return out;
  },

  /** How many work units each of `unionIds` covers; a union covering none is missing. */
  async unitsCovered(db: Q, unionIds: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    // 1,000 ids a statement: far below both engines' bound-parameter limits.
    for (let i = 0; i < unionIds.length; i += 1_000) {
      const rows = await db
        .selectFrom('work_unit')
        .select(['union_org_id', (eb) => eb.fn.countAll<number | string>().as('n')])
        .where('union_org_id', 'in', unionIds.slice(i, i + 1_000))
        .groupBy('union_org_id')
        .execute();
      for (const r of rows) out.set(r.union_org_id!, Number(r.n));
    }
    return out;
  },

  async countAll(db: Q): Promise<number> {
    const row = await db
      .selectFrom('organization')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  },

  async insert(db: Q, row: OrganizationTable): Promise<void> {
    await db.insertInto('organization').values(row).execute();
  },

  async update(db: Q, id: string, set: Partial<OrganizationTable>): Promise<void> {
    await db.updateTable('organization').set(set).where('id', '=', id).execute();
  },

  /** Open memberships (active or retained) anywhere in the subtree at `path`. */
  async countOpenMemberships(db: Q, dialect: DialectName, path: string): Promise<number> {
    const row = await db
      .selectFrom('membership')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where(() => pathInSubtree(dialect, 'membership.org_path', path))
      .where('ended_on', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },

  async countOpenMembershipsAt(db: Q, orgId: string): Promise<number> {
    const row = await db
      .selectFrom('membership')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('org_id', '=', orgId)
      .where('ended_on', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },

  async findOpenMembershipsAt(db: Q, orgId: string): Promise<MembershipTable[]> {
    return db
      .selectFrom('membership')
      .select(MEMBERSHIP_COLUMNS)
      .where('org_id', '=', orgId)
      .where('ended_on', 'is', null)
      .orderBy('id')
      .execute();
  },

  /** Close every open membership at an organization; returns how many. */
  async closeOpenMembershipsAt(
    db: Q,
    orgId: string,
    set: { status: MembershipTable['status']; endedOn: string; reason: string; now: string },
  ): Promise<number> {
    const r = await db
      .updateTable('membership')
      .set({ status: set.status, ended_on: set.endedOn, end_reason: set.reason, updated_at: set.now })
      .where('org_id', '=', orgId)
      .where('ended_on', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  },

  async insertMemberships(db: Q, rows: readonly MembershipTable[]): Promise<void> {
    // Batches keep each statement well under both engines' bound-parameter limits.
    for (let i = 0; i < rows.length; i += 500) {
      await db
        .insertInto('membership')
        .values(rows.slice(i, i + 500))
        .execute();
    }
  },

  /**
   * Open transfers out of memberships at `orgId` now leave from the membership each was
   * reopened as (`reopenedAs`: closed id → new id); returns how many. Few rows: a transfer is
   * open for days, so the join starts from the open instances.
   */
  async repointOpenTransfersFrom(
    db: Q,
    orgId: string,
    reopenedAs: ReadonlyMap<string, string>,
    now: string,
  ): Promise<number> {
    const open = await db
      .selectFrom('membership_transfer as mt')
      .innerJoin('workflow_instance as wi', 'wi.id', 'mt.instance_id')
      .innerJoin('membership as m', 'm.id', 'mt.from_membership_id')
      .select(['mt.id', 'mt.from_membership_id'])
      .where('wi.closed_at', 'is', null)
      .where('m.org_id', '=', orgId)
      .execute();
    let moved = 0;
    for (const t of open) {
      const to = reopenedAs.get(t.from_membership_id);
      if (!to) continue;
      await db
        .updateTable('membership_transfer')
        .set({ from_membership_id: to, updated_at: now })
        .where('id', '=', t.id)
        .execute();
      moved++;
    }
    return moved;
  },

  /**
   * Rewrite the paths under `from` to lie under `to`, in every org-scoped table, as one
   * set-based UPDATE per table. `keepRoot` leaves the rows filed exactly at `from` alone
   * (a merge moves only what lies below the source). Returns the rows rewritten per table.
   */
  async rewriteSubtree(
    db: Q,
    dialect: DialectName,
    move: { from: string; to: string; provinceRoot: string; depthDelta: number; keepRoot?: boolean },
  ): Promise<Record<string, number>> {
    const rewritten: Record<string, number> = {};
    for (const t of ORG_SCOPED_TABLES) {
      const sets = [sql`${sql.ref(t.path)} = ${rebasedPath(t.path, move.from, move.to)}`];
      if (t.provinceRoot) sets.push(sql`${sql.ref(t.provinceRoot)} = ${move.provinceRoot}`);
      if (t.depth) sets.push(sql`${sql.ref(t.depth)} = ${sql.ref(t.depth)} + ${sql.lit(move.depthDelta)}`);
      const keepRoot = move.keepRoot ? sql` and ${sql.ref(t.path)} <> ${move.from}` : sql``;
      const r = await sql`update ${sql.table(t.table)} set ${sql.join(sets)}
        where ${pathInSubtree(dialect, t.path, move.from)}${keepRoot}`.execute(db);
      rewritten[t.table] = Number(r.numAffectedRows ?? 0);
    }
    return rewritten;
  },

  /** Direct children of any status: those `reparentChildren` moves. */
  async countChildren(db: Q, parentId: string): Promise<number> {
    const row = await db
      .selectFrom('organization')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('parent_id', '=', parentId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },

  /** Re-parent the direct children of one organization; returns how many. */
  async reparentChildren(db: Q, fromParentId: string, toParentId: string, now: string): Promise<number> {
    const r = await db
      .updateTable('organization')
      .set({ parent_id: toParentId, updated_at: now })
      .where('parent_id', '=', fromParentId)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  },

  /** Work units covered by, or filed at, `orgId`: those `repointWorkUnits` will change. */
  async findWorkUnitsOf(db: Q, orgId: string): Promise<WorkUnitTable[]> {
    return db
      .selectFrom('work_unit')
      .selectAll()
      .where((eb) => eb.or([eb('union_org_id', '=', orgId), eb('org_id', '=', orgId)]))
      .orderBy('id')
      .execute();
  },

  /** Work units covered by, or answered for by, `orgId` pass to `to` (union cleared when `to.union` is null). */
  async repointWorkUnits(
    db: Q,
    orgId: string,
    to: { union: string | null; org: { id: string; path: string; province_root: string } },
    now: string,
  ): Promise<number> {
    const affected = await db
      .selectFrom('work_unit')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where((eb) => eb.or([eb('union_org_id', '=', orgId), eb('org_id', '=', orgId)]))
      .executeTakeFirstOrThrow();
    await db
      .updateTable('work_unit')
      .set({ union_org_id: to.union, updated_at: now })
      .where('union_org_id', '=', orgId)
      .executeTakeFirst();
    await db
      .updateTable('work_unit')
      .set({ org_id: to.org.id, org_path: to.org.path, province_root: to.org.province_root, updated_at: now })
      .where('org_id', '=', orgId)
      .executeTakeFirst();
    return Number(affected.n);
  },

  /** The model-worker registry entries filed at `orgId` pass to `to`: the registry lives on. */
  async repointModelWorkers(
    db: Q,
    orgId: string,
    to: { id: string; path: string; province_root: string },
    now: string,
  ): Promise<number> {
    const r = await db
      .updateTable('model_worker')
      .set({ org_id: to.id, org_path: to.path, province_root: to.province_root, updated_at: now })
      .where('org_id', '=', orgId)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  },

  /**
   * Open enrollment events of `orgId` close, as a cadre would close one: their QR codes were
   * filing applications to a union that takes no one now. The batches stay as its history.
   */
  async closeEnrollmentEventsAt(db: Q, orgId: string, at: string, by: string | null): Promise<number> {
    const r = await db
      .updateTable('enrollment_event')
      .set({ status: 'closed', closed_at: at, closed_by: by })
      .where('status', '=', 'open')
      .where('batch_id', 'in', (eb) => eb.selectFrom('enrollment_batch').select('id').where('org_id', '=', orgId))
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  },

  /**
   * Open inactivity proposals at `orgId` lapse, as the memberships module lapses them when it
   * ends a membership: the merge ended theirs.
   */
  async lapseInactivityProposalsAt(db: Q, orgId: string, at: string): Promise<number> {
    const r = await db
      .updateTable('inactivity_proposal')
      .set({ status: 'lapsed', decided_at: at })
      .where('org_id', '=', orgId)
      .where('status', '=', 'open')
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  },

  /** Accounts homed at one organization move to another (a merge); their pending TOTP resets follow. */
  async rehomeAccounts(
    db: Q,
    from: { id: string; path: string },
    to: { id: string; path: string; province_root: string },
    now: string,
  ): Promise<number> {
    const r = await db
      .updateTable('user_account')
      .set({ org_id: to.id, org_path: to.path, province_root: to.province_root, updated_at: now })
      .where('org_id', '=', from.id)
      .executeTakeFirst();
    await db.updateTable('totp_recovery').set({ org_path: to.path }).where('org_path', '=', from.path).execute();
    return Number(r.numUpdatedRows);
  },

  /** How many grants at one organization are in force or still to come (what a stop revokes). */
  async countLiveGrantsAt(db: Q, orgId: string, now: string): Promise<number> {
    const row = await db
      .selectFrom('role_grant')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where(liveGrantAt(orgId, now))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },

  /** Revoke the grants at one organization that are in force or still to come; returns their holders. */
  async revokeLiveGrantsAt(
    db: Q,
    orgId: string,
    by: string | null,
    now: string,
  ): Promise<{ grants: number; users: string[] }> {
    const holders = await db
      .selectFrom('role_grant')
      .select('user_id')
      .distinct()
      .where(liveGrantAt(orgId, now))
      .execute();
    const r = await db
      .updateTable('role_grant')
      .set({ revoked_at: now, revoked_by: by })
      .where(liveGrantAt(orgId, now))
      .executeTakeFirst();
    return { grants: Number(r.numUpdatedRows), users: holders.map((h) => h.user_id) };
  },
};
