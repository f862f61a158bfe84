import { type Kysely, sql } from 'kysely';
import {
  type AncestorKey,
  ancestorKeyOf,
  inScope,
  inScopeByAncestor,
  inScopeUnindexed,
  type Scope,
} from '../../core/access/scope.ts';
import type { DialectName } from '../../db/dialect.ts';
import { type DB, MEMBERSHIP_COLUMNS, type MembershipTable, type PersonTable } from '../../db/schema.ts';
import { readCounters, STAT_KEYS } from '../stats/stats.counters.ts';
import { orgIdOfPath } from '../../core/org-path.ts';

type Q = Kysely<DB>;

/** A membership with the name of its union. */
export type MembershipRow = MembershipTable & { org_name: string };

/** One row of a member list: the person's listed fields and the membership shown. */
export interface MemberListRow {
  id: string;
  name: string;
  gender: PersonTable['gender'];
  birth_date: string;
  id_number_cipher: string;
  phone_cipher: string | null;
  employment_type: string;
  membership_id: string;
  org_id: string;
  org_name: string;
  status: MembershipTable['status'];
  started_on: string;
  ended_on: string | null;
  member_number: string | null;
}

/** How a list narrows by the search term: an exact blind-index match, a prefix, or nothing. */
export type MemberSearchFilter =
  | { column: 'person.id_number_index' | 'person.phone_index'; equals: string }
  | { column: 'membership.name' | 'membership.name_initials'; prefix: string }
  | { none: true };

export interface MemberListFilter {
  status: 'active' | 'retained' | 'open';
  employmentType?: string | undefined;
  gender?: string | undefined;
  search?: MemberSearchFilter | undefined;
}

/**
 * Rows per INSERT in bulk writes: 500 persons × 23 columns stays far below both engines'
 * bound-parameter limits (SQLite 32,766, PostgreSQL 65,535).
 */
const INSERT_CHUNK = 500;
/** Values per `IN (…)` list in bulk lookups. */
const LOOKUP_CHUNK = 1_000;
/**
 * A name or initials search counts its hits up to here and then says "10,000+": an exact
 * count of a common surname in a province is a walk over hundreds of thousands of index
 * entries, and nobody pages that far; they narrow the search.
 */
export const SEARCH_COUNT_CAP = 10_000;
/**
 * Members in scope above which a list walks the name or initials index in order and checks
 * the scope on each entry: in-scope entries are dense enough that a page is found after a
 * few thousand entries at most, where reading every row of the scope and sorting them costs
 * hundreds of milliseconds (a county of 100,000) to seconds (a city).
 */
export const LARGE_SCOPE = 10_000;

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/**
 * "Starts with" as a range on the column's index, `[prefix, prefix + U+10FFFF)`: SQLite's
 * LIKE is case-insensitive and so never uses a BINARY index, and PostgreSQL's needs the C
 * collation. The search columns compare bytewise on both engines (migration 0007), so the
 * range holds exactly the names with the prefix. Wildcards mean nothing here.
 */
const prefixEnd = (s: string) => `${s}\u{10FFFF}`;

const listColumns = [
  'person.id',
  'person.name',
  'person.gender',
  'person.birth_date',
  'person.id_number_cipher',
  'person.phone_cipher',
  'person.employment_type',
  'membership.id as membership_id',
  'membership.org_id',
  'organization.name as org_name',
  'membership.status',
  'membership.started_on',
  'membership.ended_on',
  'membership.member_number',
] as const;

function membershipsWithOrg(db: Q) {
  return (
    db
      .selectFrom('membership')
      .innerJoin('organization', 'organization.id', 'membership.org_id')
      // Named columns, not `membership.*`: the generated search keys (migration 0020) must not
      // ride along into a row a caller may write again.
      .select(MEMBERSHIP_COLUMNS.map((c) => `membership.${c}` as const))
      .select('organization.name as org_name')
  );
}

function listBase(db: Q) {
  return db
    .selectFrom('membership')
    .innerJoin('person', 'person.id', 'membership.person_id')
    .innerJoin('organization', 'organization.id', 'membership.org_id');
}

/** Whether the filter reads a person column, so a count must join the persons. */
const filtersPersons = (filter: MemberListFilter) =>
  Boolean(filter.employmentType || filter.gender || (filter.search && 'equals' in filter.search));

/**
 * How a query states the scope, which decides the index it reads: `range`, a path range
 * (the path indexes); `unindexed`, a prefix test no index serves (to walk another index in
 * order); or the scope root's id at its depth, the leading column of the ancestor-keyed
 * search indexes (migration 0020).
 */
type ScopeForm = 'range' | 'unindexed' | AncestorKey;

/**
 * Open memberships in `scope`, narrowed by the filter's membership columns: status and a
 * name or initials prefix, which the open-membership search indexes (migrations 0008, 0020)
 * hold beside the scope and status, so this query never leaves those indexes.
 */
function openMembershipsIn(db: Q, scope: Scope, filter: MemberListFilter, form: ScopeForm = 'range') {
  let q = db
    .selectFrom('membership')
    .where((eb) =>
      form === 'range'
        ? inScope(eb, 'membership.org_path', scope)
        : form === 'unindexed'
          ? inScopeUnindexed(eb, 'membership.org_path', scope)
          : inScopeByAncestor(eb, 'membership', form),
    )
    .where('membership.ended_on', 'is', null);
  if (filter.status !== 'open') q = q.where('membership.status', '=', filter.status);
  const s = filter.search;
  if (s && 'none' in s) q = q.where(sql<boolean>`1 = 0`);
  else if (s && 'prefix' in s) q = q.where(s.column, '>=', s.prefix).where(s.column, '<', prefixEnd(s.prefix));
  return q;
}

/**
 * Open memberships in `scope` joined to their persons, narrowed by the member-list filter:
 * the one definition the list, its count and the member export share.
 */
export function openMembersIn(db: Q, scope: Scope, filter: MemberListFilter, form: ScopeForm = 'range') {
  let q = openMembershipsIn(db, scope, filter, form).innerJoin('person', 'person.id', 'membership.person_id');
  if (filter.employmentType) q = q.where('person.employment_type', '=', filter.employmentType);
  if (filter.gender) q = q.where('person.gender', '=', filter.gender as PersonTable['gender']);
  const s = filter.search;
  if (s && 'equals' in s) q = q.where(s.column, '=', s.equals);
  return q;
}

/**
 * Open members in `scope` with a status (`open`: active and retained), from the subtree
 * counters (decision 0009): one row read per scope root instead of a count over the rows.
 */
async function countedMembers(db: Q, scope: Scope, status: MemberListFilter['status']): Promise<number> {
  // A scope's roots are disjoint subtrees, each an organization: the last id of its path.
  const roots = scope.paths.map(orgIdOfPath);
  const counters = await readCounters(db, roots);
  let n = 0;
  for (const values of counters.values()) {
    if (status !== 'retained') n += values.get(STAT_KEYS.active) ?? 0;
    if (status !== 'active') n += values.get(STAT_KEYS.retained) ?? 0;
  }
  return n;
}

export const membersRepository = {
  async findPersonById(db: Q, id: string): Promise<PersonTable | undefined> {
    return db.selectFrom('person').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async findPersonByIdNumberIndex(db: Q, index: string): Promise<PersonTable | undefined> {
    return db.selectFrom('person').selectAll().where('id_number_index', '=', index).executeTakeFirst();
  },

  async findPersonByPhoneIndex(db: Q, index: string): Promise<PersonTable | undefined> {
    return db.selectFrom('person').selectAll().where('phone_index', '=', index).executeTakeFirst();
  },

  /** Persons holding any of these phone blind indexes. */
  async findPersonsByPhoneIndexes(db: Q, indexes: readonly string[]): Promise<PersonTable[]> {
    const out: PersonTable[] = [];
    for (const part of chunks([...new Set(indexes)], LOOKUP_CHUNK)) {
      out.push(...(await db.selectFrom('person').selectAll().where('phone_index', 'in', part).execute()));
    }
    return out;
  },

  /** Persons already on record among these ID number blind indexes (bulk import's dedupe). */
  async findPersonsByIdNumberIndexes(db: Q, indexes: readonly string[]): Promise<PersonTable[]> {
    const out: PersonTable[] = [];
    for (const part of chunks([...new Set(indexes)], LOOKUP_CHUNK)) {
      out.push(...(await db.selectFrom('person').selectAll().where('id_number_index', 'in', part).execute()));
    }
    return out;
  },

  /** Open memberships among these ID number blind indexes, with their unions' names. */
  async findOpenMembershipsByIdNumberIndexes(db: Q, indexes: readonly string[]): Promise<MembershipRow[]> {
    const out: MembershipRow[] = [];
    for (const part of chunks([...new Set(indexes)], LOOKUP_CHUNK)) {
      out.push(
        ...(await membershipsWithOrg(db)
          .where('membership.id_number_index', 'in', part)
          .where('membership.ended_on', 'is', null)
          .execute()),
      );
    }
    return out;
  },

  /** Which of these member numbers an open membership holds. */
  async memberNumbersInUse(db: Q, numbers: readonly string[]): Promise<Set<string>> {
    const used = new Set<string>();
    for (const part of chunks([...new Set(numbers)], LOOKUP_CHUNK)) {
      const rows = await db
        .selectFrom('membership')
        .select('member_number')
        .where('member_number', 'in', part)
        .where('ended_on', 'is', null)
        .execute();
      for (const r of rows) if (r.member_number) used.add(r.member_number);
    }
    return used;
  },

  /**
   * Draw `count` consecutive sequence values of `year`; returns the first. One UPDATE …
   * RETURNING: concurrent callers queue on the row, so no value is drawn twice.
   */
  async drawMemberNumbers(db: Q, year: number, count: number): Promise<number> {
    await db
      .insertInto('member_number_sequence')
      .values({ year, last_value: 0 })
      .onConflict((oc) => oc.column('year').doNothing())
      .execute();
    const row = await db
      .updateTable('member_number_sequence')
      .set((eb) => ({ last_value: eb('last_value', '+', count) }))
      .where('year', '=', year)
      .returning('last_value')
      .executeTakeFirstOrThrow();
    return Number(row.last_value) - count + 1;
  },

  /** The open membership, or else the latest one; what a member's scope and detail follow. */
  async findCurrentMembership(db: Q, personId: string): Promise<MembershipRow | undefined> {
    return membershipsWithOrg(db)
      .where('membership.person_id', '=', personId)
      .orderBy(sql`case when membership.ended_on is null then 0 else 1 end`)
      .orderBy('membership.started_on', 'desc')
      .orderBy('membership.created_at', 'desc')
      .orderBy('membership.id', 'desc')
      .limit(1)
      .executeTakeFirst();
  },

  async findOpenMembershipByIdNumberIndex(db: Q, index: string): Promise<MembershipRow | undefined> {
    return membershipsWithOrg(db)
      .where('membership.id_number_index', '=', index)
      .where('membership.ended_on', 'is', null)
      .executeTakeFirst();
  },

  /** Every membership of a person, newest first. */
  async findMemberships(db: Q, personId: string): Promise<MembershipRow[]> {
    return membershipsWithOrg(db)
      .where('membership.person_id', '=', personId)
      .orderBy('membership.started_on', 'desc')
      .orderBy('membership.created_at', 'desc')
      .orderBy('membership.id', 'desc')
      .execute();
  },

  async findWorkUnitName(db: Q, id: string): Promise<string | undefined> {
    const row = await db.selectFrom('work_unit').select('name').where('id', '=', id).executeTakeFirst();
    return row?.name;
  },

  async insertPerson(db: Q, row: PersonTable): Promise<void> {
    await db.insertInto('person').values(row).execute();
  },

  async updatePerson(db: Q, id: string, set: Partial<PersonTable>): Promise<void> {
    await db.updateTable('person').set(set).where('id', '=', id).execute();
    // Memberships carry the name for search in scope (migration 0008): kept in step here,
    // the one place a person's name changes.
    if (set.name !== undefined || set.name_initials !== undefined) {
      const person = await db
        .selectFrom('person')
        .select(['name', 'name_initials'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      await db.updateTable('membership').set(person).where('person_id', '=', id).execute();
    }
  },

  async insertMembership(db: Q, row: MembershipTable): Promise<void> {
    await db.insertInto('membership').values(row).execute();
  },

  /**
   * Bulk registration (roster import): new persons and memberships, in chunks, inside the
   * caller's transaction. The unique indexes stay the last word: a duplicate ID number,
   * phone or open membership fails the whole call, and the caller's transaction with it.
   */
  async insertMany(db: Q, persons: readonly PersonTable[], memberships: readonly MembershipTable[]): Promise<void> {
    for (const part of chunks(persons, INSERT_CHUNK)) await db.insertInto('person').values(part).execute();
    for (const part of chunks(memberships, INSERT_CHUNK)) await db.insertInto('membership').values(part).execute();
  },

  /**
   * Members with an open membership in `scope`, filtered and paged, by pinyin initials then
   * name (a name search: by name). The subtree counters say how many members the scope holds,
   * and so which index to read: a city or county searched by name or initials reads the
   * term's range within its own id (migration 0020); any other small scope is read whole and
   * sorted; a large one walks the index of the list's order (migration 0008) and
   * checks the scope per entry. A name or initials search is counted up to SEARCH_COUNT_CAP
   * inside the index it read; a list filtered by status alone takes its total from the
   * counters; any other list is counted exactly.
   */
  async list(
    db: Q,
    dialect: DialectName,
    scope: Scope,
    filter: MemberListFilter,
    page: { limit: number; offset: number },
  ): Promise<{ rows: MemberListRow[]; total: number; totalCapped: boolean }> {
    const s = filter.search;
    const prefixOn = s && 'prefix' in s ? s.column : null;
    const counted = await countedMembers(db, scope, filter.status);
    // An exact match (ID number, phone) finds one person through its blind index: no walk.
    const walk = counted > LARGE_SCOPE && !(s && 'equals' in s);
    // A city or county searched by a term reads its own range of the term (migration 0020),
    // whatever its size, instead of walking the province's. Elsewhere a large scope walks:
    // PostgreSQL's planner estimates a path range from its statistics and keeps the path as a condition
    // inside the walked index; SQLite's cannot tell a county's 100,000 rows from a union's 100
    // by the range, so there the scope is written as a test no index serves.
    const key = prefixOn ? ancestorKeyOf(scope) : null;
    const form: ScopeForm = key ?? (walk && dialect === 'sqlite' ? 'unindexed' : 'range');
    let q = openMembersIn(db, scope, filter, form)
      .innerJoin('organization', 'organization.id', 'membership.org_id')
      .select(listColumns);
    // Each order is the leading columns of an index (the copies on memberships are the
    // person's own values, so the two initials orders are one order): the walk reads the
    // first page in that index's order instead of sorting every hit.
    if (prefixOn === 'membership.name') q = q.orderBy('membership.name').orderBy('membership.person_id');
    else if (prefixOn === 'membership.name_initials' || walk) {
      q = q.orderBy('membership.name_initials').orderBy('membership.name').orderBy('membership.person_id');
    } else q = q.orderBy('person.name_initials').orderBy('person.name').orderBy('person.id');
    const rows = await q.limit(page.limit).offset(page.offset).execute();

    if (prefixOn) {
      // The person id, which the search indexes hold: the count never reads a table row.
      let hits = filtersPersons(filter)
        ? openMembersIn(db, scope, filter, form).select('membership.person_id')
        : openMembershipsIn(db, scope, filter, form).select('membership.person_id');
      // In the list's order, so the count reads the index the page was read from. Without it
      // SQLite may count a province's surname by skip-scanning a city or county index (one
      // range per city or county, 50–190 ms where the term's own range takes 5).
      if (form !== 'range') {
        hits =
          prefixOn === 'membership.name'
            ? hits.orderBy('membership.name').orderBy('membership.person_id')
            : hits.orderBy('membership.name_initials').orderBy('membership.name').orderBy('membership.person_id');
      }
      const count = await db
        .selectFrom(hits.limit(SEARCH_COUNT_CAP + 1).as('hit'))
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .executeTakeFirstOrThrow();
      const n = Number(count.n);
      return { rows, total: Math.min(n, SEARCH_COUNT_CAP), totalCapped: n > SEARCH_COUNT_CAP };
    }
    if (!s && !filter.employmentType && !filter.gender) return { rows, total: counted, totalCapped: false };
    const count = await openMembersIn(db, scope, filter)
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    return { rows, total: Number(count.n), totalCapped: false };
  },

  /**
   * Members on a past date: memberships in `scope` (one union, or a subtree) that had started
   * by `asOf` and had not ended by it. A membership ending on a day no longer counts that day,
   * so a transfer or merger dated D counts the member at the new union only.
   */
  async listAsOf(
    db: Q,
    where: { orgId: string } | { scope: Scope },
    asOf: string,
    page: { limit: number; offset: number },
  ): Promise<{ rows: MemberListRow[]; total: number }> {
    let q = listBase(db)
      .where('membership.started_on', '<=', asOf)
      .where((eb) => eb.or([eb('membership.ended_on', 'is', null), eb('membership.ended_on', '>', asOf)]));
    q =
      'orgId' in where
        ? q.where('membership.org_id', '=', where.orgId)
        : q.where((eb) => inScope(eb, 'membership.org_path', where.scope));
    const rows = await q
      .select(listColumns)
      .orderBy('person.name_initials')
      .orderBy('person.name')
      .orderBy('person.id')
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    const count = await q.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
    return { rows, total: Number(count.n) };
  },
};
