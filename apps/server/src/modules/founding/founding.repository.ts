import { type Kysely, sql } from 'kysely';
import { inScope, type Scope } from '../../core/access/scope.ts';
import type { DB, FoundingApplicationTable, OrganizationTable, WorkflowInstanceTable } from '../../db/schema.ts';
import { HANDLING_TYPES } from './founding.policy.ts';

type Q = Kysely<DB>;

/** An application with its instance's columns the lists show. */
export type ApplicationRow = FoundingApplicationTable & { instance: WorkflowInstanceTable; handling_org_name: string };

export interface ApplicationFilter {
  state?: string | undefined;
  status?: FoundingApplicationTable['status'] | undefined;
  overdueAt?: string | undefined;
  /** Name contains, or the exact credit code. */
  q?: string | undefined;
}

async function withInstances(q: Q, rows: FoundingApplicationTable[]): Promise<ApplicationRow[]> {
  const ids = rows.map((r) => r.instance_id).filter((id): id is string => id !== null);
  if (ids.length === 0) return [];
  const instances = new Map(
    (await q.selectFrom('workflow_instance').selectAll().where('id', 'in', ids).execute()).map((i) => [i.id, i]),
  );
  const orgs = new Map(
    (
      await q
        .selectFrom('organization')
        .select(['id', 'name'])
        .where('id', 'in', [...new Set(rows.map((r) => r.org_id))])
        .execute()
    ).map((o) => [o.id, o.name]),
  );
  return rows
    .filter((r) => r.instance_id !== null && instances.has(r.instance_id))
    .map((r) => ({ ...r, instance: instances.get(r.instance_id!)!, handling_org_name: orgs.get(r.org_id) ?? '' }));
}

export const foundingRepository = {
  findOrg: (q: Q, id: string): Promise<OrganizationTable | undefined> =>
    q.selectFrom('organization').selectAll().where('id', '=', id).executeTakeFirst(),

  /** Active unions that may handle a founding, by region code (the unit's region chain). */
  handlersIn: (q: Q, regionCodes: readonly string[]) =>
    q
      .selectFrom('organization')
      .select(['id', 'name', 'type', 'region_code', 'depth', 'path'])
      .where('region_code', 'in', regionCodes)
      .where('type', 'in', HANDLING_TYPES)
      .where('status', '=', 'active')
      .execute(),

  findById: (q: Q, id: string) =>
    q.selectFrom('founding_application').selectAll().where('id', '=', id).executeTakeFirst(),

  findByInstance: (q: Q, instanceId: string) =>
    q.selectFrom('founding_application').selectAll().where('instance_id', '=', instanceId).executeTakeFirst(),

  findOpenByCreditCode: (q: Q, creditCode: string) =>
    q
      .selectFrom('founding_application')
      .selectAll()
      .where('credit_code', '=', creditCode)
      .where('status', '=', 'open')
      .executeTakeFirst(),

  /** The work unit holding a credit code, with the union covering it (if any). */
  unitByCreditCode: (q: Q, creditCode: string) =>
    q
      .selectFrom('work_unit')
      .leftJoin('organization', 'organization.id', 'work_unit.union_org_id')
      .select([
        'work_unit.id',
        'work_unit.union_org_id',
        'organization.name as union_name',
        'organization.path as union_path',
      ])
      .where('work_unit.credit_code', '=', creditCode)
      .executeTakeFirst(),

  insert: (q: Q, row: FoundingApplicationTable) => q.insertInto('founding_application').values(row).execute(),

  update: (q: Q, id: string, set: Partial<FoundingApplicationTable>) =>
    q.updateTable('founding_application').set(set).where('id', '=', id).execute(),

  async withInstance(q: Q, row: FoundingApplicationTable): Promise<ApplicationRow | null> {
    return (await withInstances(q, [row]))[0] ?? null;
  },

  async ofApplicant(q: Q, userId: string): Promise<ApplicationRow[]> {
    const rows = await q
      .selectFrom('founding_application')
      .selectAll()
      .where('applicant_user_id', '=', userId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return withInstances(q, rows);
  },

  /** Applications filed in the scope: open ones first, soonest due first, then newest. */
  async list(
    q: Q,
    scope: Scope,
    filter: ApplicationFilter,
    page: { limit: number; offset: number },
  ): Promise<{ rows: ApplicationRow[]; total: number }> {
    let query = q
      .selectFrom('founding_application as f')
      .innerJoin('workflow_instance as i', 'i.id', 'f.instance_id')
      .where((eb) => inScope(eb, 'f.org_path', scope));
    if (filter.state) query = query.where('i.state', '=', filter.state);
    if (filter.status) query = query.where('f.status', '=', filter.status);
    if (filter.overdueAt) {
      query = query.where('i.closed_at', 'is', null).where('i.due_at', '<', filter.overdueAt);
    }
    if (filter.q) {
      const text = filter.q.replace(/[%_\\]/g, '');
      query = query.where((eb) =>
        eb.or([eb('f.unit_name', 'like', `%${text}%`), eb('f.credit_code', '=', text.toUpperCase())]),
      );
    }
    const rows = await query
      .selectAll('f')
      .orderBy(sql`case when ${sql.ref('i.closed_at')} is null then 0 else 1 end`)
      .orderBy(sql`case when ${sql.ref('i.due_at')} is null then 1 else 0 end`)
      .orderBy('i.due_at')
      .orderBy('f.created_at', 'desc')
      .orderBy('f.id')
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    const count = await query.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
    return { rows: await withInstances(q, rows), total: Number(count.n) };
  },
};
