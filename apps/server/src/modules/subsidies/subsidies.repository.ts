import type { Kysely } from 'kysely';
import { inScope, type Scope } from '../../core/access/scope.ts';
import { subtreeUpperBound } from '../../core/org-path.ts';
import type {
  DB,
  ModelWorkerTable,
  PersonTable,
  SubsidyAwardTable,
  SubsidyKind,
  SubsidyPlanTable,
  SubsidyPolicyTable,
  WorkflowInstanceTable,
} from '../../db/schema.ts';

type Q = Kysely<DB>;

export type WorkerWithPerson = ModelWorkerTable & {
  person_name: string;
  gender: PersonTable['gender'];
  birth_date: string;
  has_bank_card: boolean;
  phone_cipher: string | null;
};

async function workersWithPeople(q: Q, rows: ModelWorkerTable[]): Promise<WorkerWithPerson[]> {
  if (rows.length === 0) return [];
  const people = await q
    .selectFrom('person')
    .select(['id', 'name', 'gender', 'birth_date', 'bank_card_cipher', 'phone_cipher'])
    .where(
      'id',
      'in',
      rows.map((r) => r.person_id),
    )
    .execute();
  const byId = new Map(people.map((p) => [p.id, p]));
  return rows.map((r) => {
    const p = byId.get(r.person_id)!;
    return {
      ...r,
      person_name: p.name,
      gender: p.gender,
      birth_date: p.birth_date,
      has_bank_card: p.bank_card_cipher !== null,
      phone_cipher: p.phone_cipher,
    };
  });
}

export const subsidiesRepository = {
  transferWithKey: (q: Q, key: string) =>
    q.selectFrom('ledger_transfer').select('id').where('idempotency_key', '=', key).executeTakeFirst(),

  findOrg: (q: Q, id: string) => q.selectFrom('organization').selectAll().where('id', '=', id).executeTakeFirst(),

  orgsByIds: (q: Q, ids: readonly string[]) =>
    ids.length === 0
      ? Promise.resolve([])
      : q.selectFrom('organization').select(['id', 'name', 'level', 'path']).where('id', 'in', ids).execute(),

  personIdOfUser: async (q: Q, userId: string) =>
    (await q.selectFrom('user_account').select('person_id').where('id', '=', userId).executeTakeFirst())?.person_id ??
    null,

  /** The sign-in account bound to a person, so an application made for them shows on their portal. */
  userOfPerson: async (q: Q, personId: string) =>
    (
      await q
        .selectFrom('user_account')
        .select('id')
        .where('person_id', '=', personId)
        .orderBy('created_at')
        .executeTakeFirst()
    )?.id ?? null,

  activeMembershipOrg: async (q: Q, personId: string) =>
    (await q
      .selectFrom('membership')
      .select(['org_id', 'org_path'])
      .where('person_id', '=', personId)
      .where('status', '=', 'active')
      .executeTakeFirst()) ?? null,

  /** Active memberships of these people: where each one's union is. */
  activeMembershipsOf: async (q: Q, personIds: readonly string[]) =>
    personIds.length === 0
      ? new Map<string, { org_id: string; org_path: string }>()
      : new Map(
          (
            await q
              .selectFrom('membership')
              .select(['person_id', 'org_id', 'org_path'])
              .where('person_id', 'in', personIds)
              .where('status', '=', 'active')
              .execute()
          ).map((m) => [m.person_id, { org_id: m.org_id, org_path: m.org_path }]),
        ),

  /** The person's registry entries, city model worker entries first. */
  async workersOfPerson(q: Q, personId: string): Promise<WorkerWithPerson[]> {
    const rows = await q.selectFrom('model_worker').selectAll().where('person_id', '=', personId).execute();
    const rank = (r: ModelWorkerTable) => (r.category === 'model_worker' && r.level === 'city' ? 0 : 1);
    return workersWithPeople(
      q,
      rows.sort((a, b) => rank(a) - rank(b)),
    );
  },

  async findWorker(q: Q, id: string): Promise<WorkerWithPerson | undefined> {
    const row = await q.selectFrom('model_worker').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? (await workersWithPeople(q, [row]))[0] : undefined;
  },

  /** Living city model workers keeping the honour, filed in a subtree: the festival greetings' recipients. */
  async eligibleWorkersUnder(q: Q, path: string): Promise<WorkerWithPerson[]> {
    const rows = await q
      .selectFrom('model_worker')
      .selectAll()
      .where('org_path', '>=', path)
      .where('org_path', '<', subtreeUpperBound(path))
      .where('category', '=', 'model_worker')
      .where('level', '=', 'city')
      .where('honor_status', '=', 'kept')
      .where('deceased_on', 'is', null)
      .orderBy('id')
      .execute();
    return workersWithPeople(q, rows);
  },

  /** Rule versions of these federations (a node and its ancestors) for a kind, oldest first. */
  policiesOn: (q: Q, paths: readonly string[], kind?: SubsidyKind) => {
    let query = q.selectFrom('subsidy_policy').selectAll().where('org_path', 'in', paths);
    if (kind) query = query.where('kind', '=', kind);
    return query.orderBy('effective_from').orderBy('created_at').execute();
  },

  insertPolicy: (q: Q, row: SubsidyPolicyTable) => q.insertInto('subsidy_policy').values(row).execute(),

  closePolicy: (q: Q, id: string, effectiveTo: string) =>
    q.updateTable('subsidy_policy').set({ effective_to: effectiveTo }).where('id', '=', id).execute(),

  /** Whether a payment dated on or after `date` used the version. */
  usedFrom: async (q: Q, policyId: string, date: string) =>
    (await q
      .selectFrom('subsidy_award')
      .select('id')
      .where('policy_id', '=', policyId)
      .where('payment_date', '>=', date)
      .executeTakeFirst()) !== undefined,

  awardOf: (q: Q, personId: string, kind: SubsidyKind, year: number) =>
    q
      .selectFrom('subsidy_award')
      .selectAll()
      .where('person_id', '=', personId)
      .where('kind', '=', kind)
      .where('year', '=', year)
      .executeTakeFirst(),

  awardOfInstance: (q: Q, instanceId: string) =>
    q.selectFrom('subsidy_award').selectAll().where('instance_id', '=', instanceId).executeTakeFirst(),

  awardsOfInstances: (q: Q, ids: readonly string[]) =>
    ids.length === 0
      ? Promise.resolve([])
      : q
          .selectFrom('subsidy_award')
          .leftJoin('payout_line', 'payout_line.id', 'subsidy_award.payout_line_id')
          .selectAll('subsidy_award')
          .select('payout_line.status as line_status')
          .where('subsidy_award.instance_id', 'in', ids)
          .execute(),

  awardsOfPerson: (q: Q, personId: string) =>
    q
      .selectFrom('subsidy_award')
      .leftJoin('payout_line', 'payout_line.id', 'subsidy_award.payout_line_id')
      .selectAll('subsidy_award')
      .select('payout_line.status as line_status')
      .where('subsidy_award.person_id', '=', personId)
      .orderBy('subsidy_award.year', 'desc')
      .orderBy('subsidy_award.kind')
      .execute(),

  findAward: (q: Q, id: string) => q.selectFrom('subsidy_award').selectAll().where('id', '=', id).executeTakeFirst(),

  awardPersonIdsOf: async (q: Q, kind: SubsidyKind, year: number, personIds: readonly string[]) =>
    personIds.length === 0
      ? new Set<string>()
      : new Set(
          (
            await q
              .selectFrom('subsidy_award')
              .select('person_id')
              .where('kind', '=', kind)
              .where('year', '=', year)
              .where('person_id', 'in', personIds)
              .execute()
          ).map((r) => r.person_id),
        ),

  insertAward: (q: Q, row: SubsidyAwardTable) => q.insertInto('subsidy_award').values(row).execute(),

  insertAwards: (q: Q, rows: SubsidyAwardTable[]) =>
    rows.length === 0
      ? Promise.resolve()
      : q
          .insertInto('subsidy_award')
          .values(rows)
          .execute()
          .then(() => undefined),

  /** Move an award on only from the statuses given: a concurrent plan or settlement finds it gone. */
  updateAwardFrom: async (
    q: Q,
    id: string,
    from: readonly SubsidyAwardTable['status'][],
    set: Partial<SubsidyAwardTable>,
  ) =>
    Number(
      (
        await q
          .updateTable('subsidy_award')
          .set(set)
          .where('id', '=', id)
          .where('status', 'in', from)
          .executeTakeFirst()
      ).numUpdatedRows,
    ) === 1,

  setLines: async (q: Q, lines: readonly { awardId: string; lineId: string }[]) => {
    for (const l of lines) {
      await q.updateTable('subsidy_award').set({ payout_line_id: l.lineId }).where('id', '=', l.awardId).execute();
    }
  },

  /** Festival greetings of a paying federation and year that no plan has paid or holds. */
  awaitingFestival: (q: Q, orgId: string, year: number) =>
    q
      .selectFrom('subsidy_award')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('kind', '=', 'festival')
      .where('year', '=', year)
      .where('status', 'in', ['pending', 'failed'])
      .orderBy('id')
      .execute(),

  /** Applications of these definitions waiting in a state, in a subtree. */
  instancesIn: (q: Q, keys: readonly string[], state: string, path: string) =>
    q
      .selectFrom('workflow_instance')
      .selectAll()
      .where('definition_key', 'in', keys)
      .where('state', '=', state)
      .where('org_path', '>=', path)
      .where('org_path', '<', subtreeUpperBound(path))
      .orderBy('id')
      .execute(),

  openInstancesOf: (q: Q, personId: string, key: string) =>
    q
      .selectFrom('workflow_instance')
      .selectAll()
      .where('applicant_person_id', '=', personId)
      .where('definition_key', '=', key)
      .where('closed_at', 'is', null)
      .execute(),

  instancesOfPerson: (q: Q, personId: string, keys: readonly string[]) =>
    q
      .selectFrom('workflow_instance')
      .selectAll()
      .where('applicant_person_id', '=', personId)
      .where('definition_key', 'in', keys)
      .orderBy('created_at', 'desc')
      .execute(),

  findInstance: (q: Q, id: string) =>
    q.selectFrom('workflow_instance').selectAll().where('id', '=', id).executeTakeFirst(),

  /** The queue: applications of these definitions in a scope, soonest due first. */
  async queue(
    q: Q,
    scope: Scope,
    keys: readonly string[],
    filter: { state?: string | undefined; overdueAt?: string | undefined },
    page: { limit: number; offset: number },
  ): Promise<{ rows: WorkflowInstanceTable[]; total: number }> {
    let base = q
      .selectFrom('workflow_instance')
      .where('definition_key', 'in', keys)
      .where((eb) => inScope(eb, 'workflow_instance.org_path', scope));
    if (filter.state) base = base.where('state', '=', filter.state);
    else base = base.where('closed_at', 'is', null);
    if (filter.overdueAt) base = base.where('due_at', '<', filter.overdueAt).where('closed_at', 'is', null);
    const total = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = await base
      .selectAll()
      .orderBy('due_at')
      .orderBy('created_at')
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    return { rows, total: Number(total.n) };
  },

  insertPlan: (q: Q, row: SubsidyPlanTable) => q.insertInto('subsidy_plan').values(row).execute(),

  updatePlan: (q: Q, id: string, set: Partial<SubsidyPlanTable>) =>
    q.updateTable('subsidy_plan').set(set).where('id', '=', id).execute(),

  findPlan: (q: Q, id: string) => q.selectFrom('subsidy_plan').selectAll().where('id', '=', id).executeTakeFirst(),

  async plans(q: Q, scope: Scope, year: number | undefined, page: { limit: number; offset: number }) {
    let base = q.selectFrom('subsidy_plan').where((eb) => inScope(eb, 'subsidy_plan.org_path', scope));
    if (year !== undefined) base = base.where('year', '=', year);
    const total = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = await base.selectAll().orderBy('created_at', 'desc').limit(page.limit).offset(page.offset).execute();
    return { rows, total: Number(total.n) };
  },

  planTotals: (q: Q, planIds: readonly string[]) =>
    planIds.length === 0
      ? Promise.resolve([])
      : q
          .selectFrom('subsidy_award')
          .select(['plan_id', 'kind'])
          .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('amount_fen').as('total')])
          .where('plan_id', 'in', planIds)
          .groupBy(['plan_id', 'kind'])
          .execute(),

  /** Paid awards of a year whose model worker's union lies in the scope, with that union's path. */
  paidIn: (q: Q, scope: Scope, year: number) =>
    q
      .selectFrom('subsidy_award')
      .innerJoin('organization', 'organization.id', 'subsidy_award.unit_org_id')
      .select(['subsidy_award.kind', 'subsidy_award.amount_fen', 'organization.path as unit_path'])
      .where('subsidy_award.year', '=', year)
      .where('subsidy_award.status', '=', 'paid')
      .where((eb) => inScope(eb, 'organization.path', scope))
      .execute(),
};
