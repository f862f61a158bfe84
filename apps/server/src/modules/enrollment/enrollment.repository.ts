import { type Kysely, sql } from 'kysely';
import { inScope, type Scope } from '../../core/access/scope.ts';
import type { DB, EnrollmentBatchTable, EnrollmentEventTable } from '../../db/schema.ts';

type Q = Kysely<DB>;

const applicationColumns = [
  'join_application.instance_id',
  'join_application.source',
  'join_application.name',
  'join_application.id_number_cipher',
  'join_application.phone_cipher',
  'workflow_instance.state',
  'workflow_instance.state_kind',
  'workflow_instance.definition_key',
  'workflow_instance.definition_version',
  'join_application.created_at',
] as const;

/** Values per `IN (…)` list in bulk lookups. */
const LOOKUP_CHUNK = 1_000;

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

export type BatchRow = EnrollmentBatchTable & { org_name: string };

/** A join application of a batch with its instance's state. */
export interface BatchApplicationRow {
  instance_id: string;
  source: 'portal' | 'list' | 'event';
  name: string;
  id_number_cipher: string;
  phone_cipher: string | null;
  state: string;
  state_kind: string;
  definition_key: string;
  definition_version: number;
  created_at: string;
}

/** The join application's state kinds a batch counts as pending, approved and rejected. */
const TALLY = { review: 'pending', done: 'approved', rejected: 'rejected' } as const;

export interface BatchCounts {
  batch_id: string;
  state_kind: string;
  n: number;
}

/** Data access of group enrollment: batches, events, and the join applications a batch groups. */
export const enrollmentRepository = {
  insertBatch: (q: Q, row: EnrollmentBatchTable) => q.insertInto('enrollment_batch').values(row).execute(),

  insertEvent: (q: Q, row: EnrollmentEventTable) => q.insertInto('enrollment_event').values(row).execute(),

  findBatch: (q: Q, id: string): Promise<BatchRow | undefined> =>
    q
      .selectFrom('enrollment_batch')
      .innerJoin('organization', 'organization.id', 'enrollment_batch.org_id')
      .selectAll('enrollment_batch')
      .select('organization.name as org_name')
      .where('enrollment_batch.id', '=', id)
      .executeTakeFirst(),

  async batches(
    q: Q,
    scope: Scope,
    filter: { kind?: 'list' | 'event' | undefined },
    page: { limit: number; offset: number },
  ): Promise<{ rows: BatchRow[]; total: number }> {
    let base = q
      .selectFrom('enrollment_batch')
      .innerJoin('organization', 'organization.id', 'enrollment_batch.org_id')
      .where((eb) => inScope(eb, 'enrollment_batch.org_path', scope));
    if (filter.kind) base = base.where('enrollment_batch.kind', '=', filter.kind);
    const [rows, count] = await Promise.all([
      base
        .selectAll('enrollment_batch')
        .select('organization.name as org_name')
        .orderBy('enrollment_batch.created_at', 'desc')
        .orderBy('enrollment_batch.id', 'desc')
        .limit(page.limit)
        .offset(page.offset)
        .execute(),
      base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { rows, total: Number(count.n) };
  },

  updateBatch: (q: Q, id: string, set: Partial<EnrollmentBatchTable>) =>
    q.updateTable('enrollment_batch').set(set).where('id', '=', id).execute(),

  /** Add a committed chunk's tallies to the batch (the job's checkpoint commits with them). */
  addTallies: (
    q: Q,
    id: string,
    add: { rowsRead: number; created: number; refused: number; duplicates: number },
    at: string,
  ) =>
    q
      .updateTable('enrollment_batch')
      .set({
        rows_read: sql`rows_read + ${add.rowsRead}`,
        created_count: sql`created_count + ${add.created}`,
        refused_count: sql`refused_count + ${add.refused}`,
        duplicate_count: sql`duplicate_count + ${add.duplicates}`,
        updated_at: at,
      })
      .where('id', '=', id)
      .execute(),

  eventOfBatch: (q: Q, batchId: string) =>
    q.selectFrom('enrollment_event').selectAll().where('batch_id', '=', batchId).executeTakeFirst(),

  eventsOfBatches: async (q: Q, batchIds: readonly string[]): Promise<EnrollmentEventTable[]> =>
    batchIds.length === 0
      ? []
      : q.selectFrom('enrollment_event').selectAll().where('batch_id', 'in', batchIds).execute(),

  findEvent: (q: Q, id: string) => q.selectFrom('enrollment_event').selectAll().where('id', '=', id).executeTakeFirst(),

  findEventByCode: (q: Q, code: string) =>
    q.selectFrom('enrollment_event').selectAll().where('code', '=', code).executeTakeFirst(),

  /** Close an open event; false when it was closed already. */
  async closeEvent(q: Q, id: string, at: string, by: string | null): Promise<boolean> {
    const r = await q
      .updateTable('enrollment_event')
      .set({ status: 'closed', closed_at: at, closed_by: by })
      .where('id', '=', id)
      .where('status', '=', 'open')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  /**
   * Take one place of an open event: a conditional update, so of two workers scanning for the
   * last place one gets it and the other meets a full quota.
   */
  async takePlace(q: Q, id: string): Promise<boolean> {
    const r = await q
      .updateTable('enrollment_event')
      .set({ joined: sql`joined + 1` })
      .where('id', '=', id)
      .where('status', '=', 'open')
      .where((eb) => eb.or([eb('quota', 'is', null), eb('joined', '<', eb.ref('quota'))]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  workUnit: (q: Q, id: string) =>
    q.selectFrom('work_unit').select(['id', 'name', 'org_path']).where('id', '=', id).executeTakeFirst(),

  findOrg: (q: Q, id: string) => q.selectFrom('organization').selectAll().where('id', '=', id).executeTakeFirst(),

  /** ID number indexes among these with a join application waiting for a union. */
  async pendingIdIndexes(q: Q, indexes: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const part of chunks(indexes, LOOKUP_CHUNK)) {
      const rows = await q
        .selectFrom('join_application')
        .select('id_number_index')
        .where('id_number_index', 'in', part)
        .where('pending', '=', 1)
        .execute();
      for (const r of rows) out.add(r.id_number_index);
    }
    return out;
  },

  /** Applications of each batch per kind of state, counted live from their instances. */
  async tallies(
    q: Q,
    batchIds: readonly string[],
  ): Promise<Map<string, { pending: number; approved: number; rejected: number; other: number }>> {
    const out = new Map<string, { pending: number; approved: number; rejected: number; other: number }>();
    if (batchIds.length === 0) return out;
    const rows = await q
      .selectFrom('join_application')
      .innerJoin('workflow_instance', 'workflow_instance.id', 'join_application.instance_id')
      .select(['join_application.batch_id', 'workflow_instance.state_kind'])
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('join_application.batch_id', 'in', batchIds)
      .groupBy(['join_application.batch_id', 'workflow_instance.state_kind'])
      .execute();
    for (const r of rows) {
      const t = out.get(r.batch_id!) ?? { pending: 0, approved: 0, rejected: 0, other: 0 };
      t[TALLY[r.state_kind as keyof typeof TALLY] ?? 'other'] += Number(r.n);
      out.set(r.batch_id!, t);
    }
    return out;
  },

  async applicationsOfBatch(
    q: Q,
    batchId: string,
    stateKind: string | undefined,
    page: { limit: number; offset: number },
  ): Promise<{ rows: BatchApplicationRow[]; total: number }> {
    let base = q
      .selectFrom('join_application')
      .innerJoin('workflow_instance', 'workflow_instance.id', 'join_application.instance_id')
      .where('join_application.batch_id', '=', batchId);
    if (stateKind) base = base.where('workflow_instance.state_kind', '=', stateKind);
    const [rows, count] = await Promise.all([
      base
        .select(applicationColumns)
        .orderBy('join_application.created_at')
        .orderBy('join_application.id')
        .limit(page.limit)
        .offset(page.offset)
        .execute(),
      base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { rows: rows as BatchApplicationRow[], total: Number(count.n) };
  },

  async applicationsByInstance(q: Q, instanceIds: readonly string[]): Promise<BatchApplicationRow[]> {
    if (instanceIds.length === 0) return [];
    const rows = await q
      .selectFrom('join_application')
      .innerJoin('workflow_instance', 'workflow_instance.id', 'join_application.instance_id')
      .select(applicationColumns)
      .where('join_application.instance_id', 'in', instanceIds)
      .execute();
    return rows as BatchApplicationRow[];
  },

  /** Instances of a batch waiting for their first review (the 一键审核 takes these). */
  async waitingInBatch(q: Q, batchId: string): Promise<string[]> {
    const rows = await q
      .selectFrom('join_application')
      .innerJoin('workflow_instance', 'workflow_instance.id', 'join_application.instance_id')
      .select('workflow_instance.id')
      .where('join_application.batch_id', '=', batchId)
      .where('workflow_instance.state', '=', 'submitted')
      .orderBy('join_application.created_at')
      .execute();
    return rows.map((r) => r.id);
  },

  /** Persons holding one of these phone indexes, with their ID number index. */
  async phoneHolders(q: Q, indexes: readonly string[]) {
    const out: { id_number_index: string; phone_index: string | null }[] = [];
    for (const part of chunks(indexes, LOOKUP_CHUNK)) {
      out.push(
        ...(await q
          .selectFrom('person')
          .select(['id_number_index', 'phone_index'])
          .where('phone_index', 'in', part)
          .execute()),
      );
    }
    return out;
  },
};
