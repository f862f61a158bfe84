import { CompiledQuery, type Kysely } from 'kysely';
import { type DialectName, sqliteEachRow } from '../../db/dialect.ts';
import {
  type DB,
  type ImportProblemTable,
  MEMBERSHIP_COLUMNS,
  type MembershipTable,
  type PersonTable,
} from '../../db/schema.ts';
import { membersRepository } from '../members/members.repository.ts';
import { importsPostgres } from './imports.postgres.ts';

type Q = Kysely<DB>;

/**
 * Data access of the roster import's write path. Bulk inserts bypass the query builder (at a
 * million rows its per-statement compile would cost more than the database does): on SQLite
 * one prepared one-row INSERT run per row, on PostgreSQL COPY (or one `unnest` INSERT per chunk
 * where the transaction's connection cannot be found).
 */

/**
 * Values per `IN (…)` list in bulk lookups on SQLite. PostgreSQL's lookups are one index probe
 * per key (imports.postgres.ts): it planned the lists as whole-index scans on tables filled
 * faster than their statistics were refreshed.
 */
const LOOKUP_CHUNK = 1_000;

export const PERSON_COLUMNS = [
  'id',
  'name',
  'name_initials',
  'id_number_cipher',
  'id_number_index',
  'gender',
  'birth_date',
  'ethnicity',
  'political_status',
  'education',
  'household_type',
  'household_region',
  'phone_cipher',
  'phone_index',
  'bank_card_cipher',
  'bank_card_index',
  'employment_type',
  'new_form_group',
  'work_unit_id',
  'work_unit_name',
  'real_name_verified',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof PersonTable)[];

const PROBLEM_COLUMNS = [
  'job_id',
  'row_number',
  'cells',
  'problems',
] as const satisfies readonly (keyof ImportProblemTable)[];

type Value = string | number | null;

const statementCache = new Map<string, string>();

/** `insert into t (a, b) values (?, ?)` (SQLite), the same string object for every call. */
function insertRowSql(table: string, columns: readonly string[]): string {
  const key = `row|${table}|${columns.join(',')}`;
  let text = statementCache.get(key);
  if (text) return text;
  text = `insert into ${table} (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`;
  statementCache.set(key, text);
  return text;
}

/** PostgreSQL types of the bulk-inserted columns that are not `text` (see the migrations). */
const PG_TYPES: Record<string, string> = {
  real_name_verified: 'integer',
  row_number: 'integer',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
};

/**
 * `insert into t (a, b) select * from unnest($1::text[], $2::integer[])`: one array parameter
 * per column whatever the row count, so PostgreSQL parses and plans one short statement per
 * chunk instead of binding tens of thousands of parameters.
 */
function unnestSql(table: string, columns: readonly string[]): string {
  const key = `unnest|${table}|${columns.join(',')}`;
  let text = statementCache.get(key);
  if (text) return text;
  const arrays = columns.map((c, i) => `$${i + 1}::${PG_TYPES[c] ?? 'text'}[]`);
  text = `insert into ${table} (${columns.join(', ')}) select * from unnest(${arrays.join(', ')})`;
  statementCache.set(key, text);
  return text;
}

/** Insert rows (objects with at least `columns`) in as few statements as the engine allows. */
async function insertBulk<T extends object>(
  q: Q,
  dialect: DialectName,
  table: string,
  columns: readonly (keyof T & string)[],
  rows: readonly T[],
): Promise<void> {
  if (rows.length === 0) return;
  if (dialect === 'postgres') {
    // COPY needs the transaction's own connection: outside one, the pool might hand it to
    // another caller between the statements.
    if (q.isTransaction && (await importsPostgres.copyRows(q, table, columns, rows))) return;
    const arrays = columns.map(() => new Array<Value>(rows.length));
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      for (let c = 0; c < columns.length; c++) arrays[c]![r] = row[columns[c]!] as Value;
    }
    await q.executeQuery(CompiledQuery.raw(unnestSql(table, columns), arrays));
    return;
  }
  const values = new Array<Value[]>(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    const v = new Array<Value>(columns.length);
    for (let c = 0; c < columns.length; c++) v[c] = row[columns[c]!] as Value;
    values[r] = v;
  }
  await q.executeQuery(sqliteEachRow(insertRowSql(table, columns), values));
}

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

export interface OpenMembershipHit {
  id_number_index: string;
  org_id: string;
  org_path: string;
  org_name: string;
}

export interface PersonHit {
  id: string;
  id_number_index: string;
  phone_index: string | null;
}

/** What the import reads of a person already on record: a rejoin keeps or updates these. */
const PERSON_ON_RECORD = [
  'id',
  'name',
  'id_number_cipher',
  'id_number_index',
  'phone_cipher',
  'phone_index',
  'bank_card_cipher',
  'bank_card_index',
  'real_name_verified',
  'created_at',
] as const satisfies readonly (keyof PersonTable)[];

export type PersonOnRecord = Pick<PersonTable, (typeof PERSON_ON_RECORD)[number]>;

export const importsRepository = {
  insertPersons: (q: Q, dialect: DialectName, rows: readonly PersonTable[]) =>
    insertBulk(q, dialect, 'person', PERSON_COLUMNS, rows),

  insertMemberships: (q: Q, dialect: DialectName, rows: readonly MembershipTable[]) =>
    insertBulk(q, dialect, 'membership', MEMBERSHIP_COLUMNS, rows),

  insertProblems: (q: Q, dialect: DialectName, rows: readonly ImportProblemTable[]) =>
    insertBulk(q, dialect, 'import_problem', PROBLEM_COLUMNS, rows),

  /** Open memberships of these ID number blind indexes, with their unions' names and paths. */
  async openMembershipsByIdIndex(q: Q, dialect: DialectName, indexes: readonly string[]): Promise<OpenMembershipHit[]> {
    if (dialect === 'postgres') return importsPostgres.openMembershipsByIdIndex(q, indexes);
    const out: OpenMembershipHit[] = [];
    for (const part of chunks(indexes, LOOKUP_CHUNK)) {
      out.push(
        ...(await q
          .selectFrom('membership')
          .innerJoin('organization', 'organization.id', 'membership.org_id')
          .select([
            'membership.id_number_index',
            'membership.org_id',
            'membership.org_path',
            'organization.name as org_name',
          ])
          .where('membership.id_number_index', 'in', part)
          .where('membership.ended_on', 'is', null)
          .execute()),
      );
    }
    return out;
  },

  /** Persons on record with one of these ID number indexes. */
  async personsByIdIndex(q: Q, dialect: DialectName, indexes: readonly string[]): Promise<PersonOnRecord[]> {
    if (dialect === 'postgres') return importsPostgres.personsByIdIndex(q, indexes, PERSON_ON_RECORD);
    const out: PersonOnRecord[] = [];
    for (const part of chunks(indexes, LOOKUP_CHUNK)) {
      out.push(
        ...(await q.selectFrom('person').select(PERSON_ON_RECORD).where('id_number_index', 'in', part).execute()),
      );
    }
    return out;
  },

  /** Persons holding one of these phone indexes. */
  async personsByPhoneIndex(q: Q, dialect: DialectName, indexes: readonly string[]): Promise<PersonHit[]> {
    if (dialect === 'postgres') return importsPostgres.personsByPhoneIndex(q, indexes);
    const out: PersonHit[] = [];
    for (const part of chunks(indexes, LOOKUP_CHUNK)) {
      out.push(
        ...(await q
          .selectFrom('person')
          .select(['id', 'id_number_index', 'phone_index'])
          .where('phone_index', 'in', part)
          .execute()),
      );
    }
    return out;
  },

  /** Which of these member numbers an open membership holds. */
  memberNumbersInUse: (q: Q, dialect: DialectName, numbers: readonly string[]): Promise<Set<string>> =>
    dialect === 'postgres'
      ? importsPostgres.memberNumbersInUse(q, numbers)
      : membersRepository.memberNumbersInUse(q, numbers),

  async updatePerson(q: Q, id: string, set: Partial<PersonTable>): Promise<void> {
    await q.updateTable('person').set(set).where('id', '=', id).execute();
  },

  /** Problems of a job in row order, a page at a time (the error report streams them). */
  async problemsAfter(q: Q, jobId: string, afterRow: number, limit: number): Promise<ImportProblemTable[]> {
    return q
      .selectFrom('import_problem')
      .selectAll()
      .where('job_id', '=', jobId)
      .where('row_number', '>', afterRow)
      .orderBy('row_number')
      .limit(limit)
      .execute();
  },
};
