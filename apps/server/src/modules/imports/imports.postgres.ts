import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CompiledQuery, type Kysely } from 'kysely';
import { from as copyFrom } from 'pg-copy-streams';
import { pgClientOf } from '../../db/dialect.ts';
import type { DB, PersonTable } from '../../db/schema.ts';
import type { OpenMembershipHit, PersonHit } from './imports.repository.ts';

type Q = Kysely<DB>;
type Value = string | number | null;

/**
 * The roster import's data access on PostgreSQL only (the shared and SQLite paths are in
 * imports.repository.ts): one statement per chunk and lookup, and COPY for the bulk rows.
 */

/**
 * Duplicate lookups as one probe per key: `unnest($1) … cross join lateral (… limit 1)`.
 * Every looked-up column has a unique index, so `limit 1` changes no answer; it keeps the
 * planner from flattening the lateral join, which, on a table filled faster than autovacuum
 * analyzes it, planned `in (…)` lists as whole scans of the wrong partial index (86 ms per
 * 1,000 keys at 35,000 memberships, growing with the table: quadratic over an import).
 */
function probeSql(keyType: string, select: string, from: string, where: string): string {
  return `select ${select} from unnest($1::${keyType}[]) as k(v) cross join lateral (select * from ${from} where ${where} limit 1) as hit`;
}

const OPEN_MEMBERSHIPS = probeSql(
  'text',
  'hit.id_number_index, hit.org_id, hit.org_path, hit.org_name',
  `(select m.id_number_index, m.org_id, m.org_path, o.name as org_name, m.ended_on
     from membership m join organization o on o.id = m.org_id) as m`,
  'm.id_number_index = k.v and m.ended_on is null',
);
const PERSONS_BY_PHONE_INDEX = probeSql(
  'text',
  'hit.id, hit.id_number_index, hit.phone_index',
  'person',
  'person.phone_index = k.v',
);
const MEMBER_NUMBERS_IN_USE = probeSql(
  'text',
  'hit.member_number',
  'membership',
  'membership.member_number = k.v and membership.ended_on is null',
);

async function probe<R>(q: Q, text: string, keys: readonly string[]): Promise<R[]> {
  if (keys.length === 0) return [];
  const { rows } = await q.executeQuery<R>(CompiledQuery.raw(text, [[...new Set(keys)]]));
  return rows;
}

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * One value in COPY's text format: `\N` for null, backslash escapes for the separators.
 * Integers and ISO timestamps need nothing more: COPY parses them as it would literals.
 */
function copyValue(v: Value): string {
  if (v === null) return '\\N';
  const s = typeof v === 'string' ? v : String(v);
  return /[\\\t\n\r]/.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!) : s;
}

/** Rows as COPY text lines. */
function copyText<T extends object>(columns: readonly (keyof T & string)[], rows: readonly T[]): string {
  const lines = new Array<string>(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    let line = copyValue(row[columns[0]!] as Value);
    for (let c = 1; c < columns.length; c++) line += '\t' + copyValue(row[columns[c]!] as Value);
    lines[r] = line;
  }
  return lines.join('\n') + '\n';
}

export const importsPostgres = {
  openMembershipsByIdIndex: (q: Q, indexes: readonly string[]) =>
    probe<OpenMembershipHit>(q, OPEN_MEMBERSHIPS, indexes),

  /** Persons by ID number index, with only the `columns` the caller reads. */
  personsByIdIndex: <C extends keyof PersonTable & string>(q: Q, indexes: readonly string[], columns: readonly C[]) =>
    probe<Pick<PersonTable, C>>(
      q,
      probeSql('text', columns.map((c) => `hit.${c}`).join(', '), 'person', 'person.id_number_index = k.v'),
      indexes,
    ),

  personsByPhoneIndex: (q: Q, indexes: readonly string[]) => probe<PersonHit>(q, PERSONS_BY_PHONE_INDEX, indexes),

  async memberNumbersInUse(q: Q, numbers: readonly string[]): Promise<Set<string>> {
    const rows = await probe<{ member_number: string }>(q, MEMBER_NUMBERS_IN_USE, numbers);
    return new Set(rows.map((r) => r.member_number));
  },

  /**
   * `COPY table (columns) FROM STDIN` on the transaction's own connection: the rows are
   * parsed as plain text lines instead of as one array literal per column, and no statement
   * is planned (against `insert … select from unnest(…)` in alternating 5,000-row chunks:
   * person 81 against 107 µs a row, membership 78 against 94). The unique indexes, foreign
   * keys and the transaction hold as for an INSERT. Returns false, having written nothing,
   * when the connection cannot be reached (a pooling proxy): the caller then inserts.
   */
  async copyRows<T extends object>(
    q: Q,
    table: string,
    columns: readonly (keyof T & string)[],
    rows: readonly T[],
  ): Promise<boolean> {
    const client = await pgClientOf(q as unknown as Kysely<unknown>);
    if (!client) return false;
    // The whole chunk's text is built before the COPY starts and handed over at once: fed
    // piece by piece, the server would wait between pieces for this thread, which is busy
    // preparing the next chunk.
    const text = copyText(columns, rows);
    const stream = client.query(copyFrom(`copy ${table} (${columns.join(', ')}) from stdin`));
    await pipeline(Readable.from([text]), stream);
    return true;
  },
};
