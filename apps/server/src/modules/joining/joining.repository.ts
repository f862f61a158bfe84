import { type Kysely, sql } from 'kysely';
import { inScope, type Scope } from '../../core/access/scope.ts';
import type {
  DB,
  JoinApplicationTable,
  JoinPoolTable,
  OrganizationTable,
  WorkflowInstanceTable,
  WorkUnitTable,
} from '../../db/schema.ts';
import type { RouteOrg } from './joining.policy.ts';

type Q = Kysely<DB>;

/** An application's form with its instance, as lists and details read them. */
export type ApplicationRow = { app: JoinApplicationTable; instance: WorkflowInstanceTable };

const routeColumns = ['id', 'name', 'type', 'status', 'path', 'region_code'] as const;
const EMPLOYER_SEARCH_LIMIT = 20;

/** LIKE wildcards typed by a user match themselves. */
const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

async function withInstances(db: Q, apps: JoinApplicationTable[]): Promise<ApplicationRow[]> {
  const ids = apps.flatMap((a) => (a.instance_id ? [a.instance_id] : []));
  if (ids.length === 0) return [];
  const instances = await db.selectFrom('workflow_instance').selectAll().where('id', 'in', ids).execute();
  const byId = new Map(instances.map((i) => [i.id, i]));
  return apps.flatMap((app) => {
    const instance = app.instance_id ? byId.get(app.instance_id) : undefined;
    return instance ? [{ app, instance }] : [];
  });
}

/** IN-list size of bulk lookups: well under both engines' parameter limits. */
const LOOKUP_CHUNK = 500;

export const joiningRepository = {
  async findOrg(db: Q, id: string): Promise<OrganizationTable | undefined> {
    return db.selectFrom('organization').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async orgNames(db: Q, ids: readonly string[]): Promise<Map<string, string>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return new Map();
    const rows = await db.selectFrom('organization').select(['id', 'name']).where('id', 'in', unique).execute();
    return new Map(rows.map((r) => [r.id, r.name]));
  },

  async findWorkUnit(db: Q, id: string): Promise<WorkUnitTable | undefined> {
    return db.selectFrom('work_unit').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async findWorkUnitByCreditCode(db: Q, creditCode: string): Promise<WorkUnitTable | undefined> {
    return db.selectFrom('work_unit').selectAll().where('credit_code', '=', creditCode).executeTakeFirst();
  },

  async routeOrg(db: Q, id: string | null): Promise<RouteOrg | null> {
    if (!id) return null;
    return (await db.selectFrom('organization').select(routeColumns).where('id', '=', id).executeTakeFirst()) ?? null;
  },

  /**
   * The pool union of a new-form group for the first of `codes` (the region, then its city)
   * that has one: a county federation may set its own, else its city's applies.
   */
  async poolFor(db: Q, group: string, codes: readonly string[]): Promise<RouteOrg | null> {
    if (codes.length === 0) return null;
    const rows = await db
      .selectFrom('join_pool')
      .innerJoin('organization as fed', 'fed.id', 'join_pool.federation_org_id')
      .innerJoin('organization as pool', 'pool.id', 'join_pool.pool_org_id')
      .select([
        'fed.region_code as federation_region',
        'pool.id',
        'pool.name',
        'pool.type',
        'pool.status',
        'pool.path',
        'pool.region_code',
      ])
      .where('join_pool.new_form_group', '=', group)
      .where('fed.region_code', 'in', [...codes])
      .where('fed.status', '=', 'active')
      .execute();
    for (const code of codes) {
      const hit = rows.find((r) => r.federation_region === code);
      if (hit) {
        const { federation_region: _federationRegion, ...org } = hit;
        return org;
      }
    }
    return null;
  },

  /** Active township and joint unions filed under these region codes, pool unions left out. */
  async localUnions(db: Q, codes: readonly string[]): Promise<RouteOrg[]> {
    if (codes.length === 0) return [];
    return db
      .selectFrom('organization')
      .select(routeColumns)
      .where('region_code', 'in', [...codes])
      .where('type', 'in', ['township', 'joint'])
      .where('status', '=', 'active')
      .where((eb) =>
        eb.not(
          eb.exists(
            eb.selectFrom('join_pool').select('join_pool.id').whereRef('join_pool.pool_org_id', '=', 'organization.id'),
          ),
        ),
      )
      .limit(200)
      .execute();
  },

  async searchEmployers(db: Q, q: string, creditCode: string | null) {
    let query = db
      .selectFrom('work_unit')
      .leftJoin('organization', 'organization.id', 'work_unit.union_org_id')
      .select([
        'work_unit.id',
        'work_unit.name',
        'work_unit.credit_code',
        'work_unit.region_code',
        'organization.name as union_name',
      ]);
    query = creditCode
      ? query.where('work_unit.credit_code', '=', creditCode)
      : query.where(sql<boolean>`work_unit.name like ${`%${escapeLike(q)}%`} escape '\\'`);
    return query.orderBy('work_unit.name').limit(EMPLOYER_SEARCH_LIMIT).execute();
  },

  async insertApplication(db: Q, row: JoinApplicationTable): Promise<void> {
    await db.insertInto('join_application').values(row).execute();
  },

  async linkInstance(db: Q, applicationId: string, instanceId: string): Promise<void> {
    await db.updateTable('join_application').set({ instance_id: instanceId }).where('id', '=', applicationId).execute();
  },

  async updateApplication(db: Q, instanceId: string, set: Partial<JoinApplicationTable>): Promise<void> {
    await db.updateTable('join_application').set(set).where('instance_id', '=', instanceId).execute();
  },

  /** The instances of open applications (in one of `states`) to the union `unionId`. */
  async openInstancesFor(db: Q, unionId: string, states: readonly string[]): Promise<string[]> {
    const rows = await db
      .selectFrom('join_application')
      .select('instance_id')
      .where('union_org_id', '=', unionId)
      .where('state', 'in', [...states])
      .execute();
    return rows.flatMap((r) => (r.instance_id ? [r.instance_id] : []));
  },

  /** Open applications to `from` (in one of `states`) now open their membership at `to`. */
  async repointOpenApplications(db: Q, from: string, to: string, states: readonly string[], at: string): Promise<void> {
    await db
      .updateTable('join_application')
      .set({ union_org_id: to, updated_at: at })
      .where('union_org_id', '=', from)
      .where('state', 'in', [...states])
      .execute();
  },

  /**
   * Approved applications record their person and membership: one UPDATE per chunk (a CASE on
   * the instance id), not one per application, for batch approval.
   */
  async recordApprovals(
    db: Q,
    rows: readonly { instanceId: string; personId: string; membershipId: string }[],
    state: string,
    at: string,
  ): Promise<void> {
    for (let i = 0; i < rows.length; i += LOOKUP_CHUNK) {
      const part = rows.slice(i, i + LOOKUP_CHUNK);
      const pick = (value: (r: (typeof part)[number]) => string) =>
        sql<string>`case instance_id ${sql.join(
          part.map((r) => sql`when ${r.instanceId} then ${value(r)}`),
          sql` `,
        )} end`;
      await db
        .updateTable('join_application')
        .set({
          state,
          pending: 0,
          person_id: pick((r) => r.personId),
          membership_id: pick((r) => r.membershipId),
          updated_at: at,
        })
        .where(
          'instance_id',
          'in',
          part.map((r) => r.instanceId),
        )
        .execute();
    }
  },

  /** The applications of these instances, in the order of the ids given. */
  async findByInstances(db: Q, instanceIds: readonly string[]): Promise<JoinApplicationTable[]> {
    const byInstance = new Map<string, JoinApplicationTable>();
    for (let i = 0; i < instanceIds.length; i += LOOKUP_CHUNK) {
      const rows = await db
        .selectFrom('join_application')
        .selectAll()
        .where('instance_id', 'in', instanceIds.slice(i, i + LOOKUP_CHUNK))
        .execute();
      for (const r of rows) byInstance.set(r.instance_id!, r);
    }
    return instanceIds.map((id) => {
      const row = byInstance.get(id);
      if (!row) throw new Error(`join instance ${id} has no application`);
      return row;
    });
  },

  async findByInstance(db: Q, instanceId: string): Promise<JoinApplicationTable | undefined> {
    return db.selectFrom('join_application').selectAll().where('instance_id', '=', instanceId).executeTakeFirst();
  },

  async findRow(db: Q, instanceId: string): Promise<ApplicationRow | undefined> {
    const app = await joiningRepository.findByInstance(db, instanceId);
    return app ? (await withInstances(db, [app]))[0] : undefined;
  },

  /** The pending application of an ID number (at most one: join_application_one_pending). */
  async pendingOf(db: Q, idNumberIndex: string): Promise<JoinApplicationTable | undefined> {
    return db
      .selectFrom('join_application')
      .selectAll()
      .where('id_number_index', '=', idNumberIndex)
      .where('pending', '=', 1)
      .executeTakeFirst();
  },

  async mine(db: Q, userId: string): Promise<ApplicationRow[]> {
    const apps = await db
      .selectFrom('join_application')
      .selectAll()
      .where('applicant_user_id', '=', userId)
      .orderBy('created_at', 'desc')
      .limit(50)
      .execute();
    return withInstances(db, apps);
  },

  /** Applications handled in `scope`, soonest due first (decided ones last, newest first). */
  async queue(
    db: Q,
    scope: Scope,
    filter: { state?: string | undefined; overdueAt?: string | undefined; batchId?: string | undefined },
    page: { limit: number; offset: number },
  ): Promise<{ rows: ApplicationRow[]; total: number }> {
    let q = db
      .selectFrom('workflow_instance')
      .innerJoin('join_application', 'join_application.instance_id', 'workflow_instance.id')
      .where((eb) => inScope(eb, 'workflow_instance.org_path', scope));
    if (filter.state) q = q.where('workflow_instance.state', '=', filter.state);
    if (filter.overdueAt) {
      q = q.where('workflow_instance.closed_at', 'is', null).where('workflow_instance.due_at', '<', filter.overdueAt);
    }
    if (filter.batchId) q = q.where('join_application.batch_id', '=', filter.batchId);
    const count = await q.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
    const apps = await q
      .selectAll('join_application')
      .orderBy(sql`case when workflow_instance.due_at is null then 1 else 0 end`)
      .orderBy('workflow_instance.due_at')
      .orderBy('workflow_instance.created_at', 'desc')
      .orderBy('workflow_instance.id')
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    return { rows: await withInstances(db, apps), total: Number(count.n) };
  },

  async attachedKinds(db: Q, instanceIds: readonly string[]): Promise<Map<string, Set<string>>> {
    const out = new Map<string, Set<string>>();
    if (instanceIds.length === 0) return out;
    const rows = await db
      .selectFrom('workflow_attachment')
      .select(['instance_id', 'kind'])
      .where('instance_id', 'in', [...instanceIds])
      .execute();
    for (const r of rows) out.set(r.instance_id, (out.get(r.instance_id) ?? new Set()).add(r.kind));
    return out;
  },

  /** The reason of the last refusal of each instance (reject, or appeal denied). */
  async rejectionReasons(db: Q, instanceIds: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (instanceIds.length === 0) return out;
    const rows = await db
      .selectFrom('workflow_history')
      .select(['instance_id', 'comment', 'seq'])
      .where('instance_id', 'in', [...instanceIds])
      .where('action', 'in', ['reject', 'appealDeny'])
      .orderBy('seq')
      .execute();
    for (const r of rows) if (r.comment) out.set(r.instance_id, r.comment);
    return out;
  },

  async memberNumbers(db: Q, membershipIds: readonly string[]): Promise<Map<string, string | null>> {
    const ids = membershipIds.filter(Boolean);
    if (ids.length === 0) return new Map();
    const rows = await db.selectFrom('membership').select(['id', 'member_number']).where('id', 'in', ids).execute();
    return new Map(rows.map((r) => [r.id, r.member_number]));
  },

  async account(db: Q, userId: string) {
    return db
      .selectFrom('user_account')
      .select(['id', 'kind', 'person_id', 'phone_cipher', 'phone_index'])
      .where('id', '=', userId)
      .executeTakeFirst();
  },

  /** Another account already speaking for the person. */
  async otherAccountOf(db: Q, personId: string, userId: string) {
    return db
      .selectFrom('user_account')
      .select('id')
      .where('person_id', '=', personId)
      .where('id', '!=', userId)
      .executeTakeFirst();
  },

  async bindAccount(db: Q, userId: string, personId: string, at: string): Promise<boolean> {
    const r = await db
      .updateTable('user_account')
      .set({ person_id: personId, updated_at: at })
      .where('id', '=', userId)
      .where('person_id', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  async findPool(db: Q, federationId: string, group: string): Promise<JoinPoolTable | undefined> {
    return db
      .selectFrom('join_pool')
      .selectAll()
      .where('federation_org_id', '=', federationId)
      .where('new_form_group', '=', group)
      .executeTakeFirst();
  },

  async upsertPool(db: Q, row: JoinPoolTable): Promise<void> {
    await db
      .insertInto('join_pool')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['federation_org_id', 'new_form_group']).doUpdateSet({
          pool_org_id: row.pool_org_id,
          updated_by: row.updated_by,
          updated_at: row.updated_at,
        }),
      )
      .execute();
  },
};
