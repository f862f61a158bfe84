import { type Kysely, sql, type SqlBool } from 'kysely';
import { inScope, type Scope } from '../../core/access/scope.ts';
import type { DB, MembershipTable, OrganizationTable, PersonTable } from '../../db/schema.ts';
import { type MemberListFilter, openMembersIn } from '../members/members.repository.ts';

type Q = Kysely<DB>;

/**
 * Export reads: one page at a time by keyset (never OFFSET, which rescans everything before
 * the page), within the subtree's path range, so memory stays flat however large the export.
 */

/** Where a member page stopped: the last row's (membership.org_path, membership.id). */
export interface MemberCursor {
  orgPath: string;
  id: string;
}

export interface MemberExportRow {
  membership_id: string;
  org_path: string;
  org_name: string;
  status: MembershipTable['status'];
  started_on: string;
  member_number: string | null;
  card_number: string | null;
  name: string;
  id_number_cipher: string;
  gender: PersonTable['gender'];
  birth_date: string;
  ethnicity: string | null;
  political_status: string | null;
  education: string | null;
  household_type: string | null;
  household_region: string | null;
  phone_cipher: string | null;
  bank_card_cipher: string | null;
  employment_type: string;
  new_form_group: string | null;
  work_unit_name: string | null;
  unit_name: string | null;
}

export interface UnionExportRow {
  id: string;
  name: string;
  type: string;
  level: string | null;
  region_code: string | null;
  path: string;
  status: OrganizationTable['status'];
  created_at: string;
  parent_name: string | null;
}

export const exportsRepository = {
  async countMembers(db: Q, scope: Scope, filter: MemberListFilter): Promise<number> {
    const row = await openMembersIn(db, scope, filter)
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },

  /**
   * The next page of members after `after`, by (union path, membership id): rows come out
   * grouped by union in tree order, and the (org_path, …) index serves the range.
   */
  async memberPage(
    db: Q,
    scope: Scope,
    filter: MemberListFilter,
    after: MemberCursor | null,
    limit: number,
  ): Promise<MemberExportRow[]> {
    let q = openMembersIn(db, scope, filter)
      .innerJoin('organization', 'organization.id', 'membership.org_id')
      .leftJoin('work_unit', 'work_unit.id', 'person.work_unit_id');
    if (after) {
      q = q.where(
        sql<SqlBool>`(${sql.ref('membership.org_path')}, ${sql.ref('membership.id')}) > (${after.orgPath}, ${after.id})`,
      );
    }
    return q
      .select([
        'membership.id as membership_id',
        'membership.org_path',
        'organization.name as org_name',
        'membership.status',
        'membership.started_on',
        'membership.member_number',
        'membership.card_number',
        'person.name',
        'person.id_number_cipher',
        'person.gender',
        'person.birth_date',
        'person.ethnicity',
        'person.political_status',
        'person.education',
        'person.household_type',
        'person.household_region',
        'person.phone_cipher',
        'person.bank_card_cipher',
        'person.employment_type',
        'person.new_form_group',
        'person.work_unit_name',
        'work_unit.name as unit_name',
      ])
      .orderBy('membership.org_path')
      .orderBy('membership.id')
      .limit(limit)
      .execute();
  },

  async countUnions(db: Q, scope: Scope): Promise<number> {
    const row = await db
      .selectFrom('organization')
      .where((eb) => inScope(eb, 'organization.path', scope))
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },

  /** The next page of organizations after path `after`, in tree order (a parent before its children). */
  async unionPage(db: Q, scope: Scope, after: string | null, limit: number): Promise<UnionExportRow[]> {
    let q = db
      .selectFrom('organization')
      .leftJoin('organization as parent', 'parent.id', 'organization.parent_id')
      .where((eb) => inScope(eb, 'organization.path', scope));
    if (after !== null) q = q.where('organization.path', '>', after);
    return q
      .select([
        'organization.id',
        'organization.name',
        'organization.type',
        'organization.level',
        'organization.region_code',
        'organization.path',
        'organization.status',
        'organization.created_at',
        'parent.name as parent_name',
      ])
      .orderBy('organization.path')
      .limit(limit)
      .execute();
  },

  /** Open memberships held directly at each of these organizations. */
  async memberCounts(db: Q, orgIds: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (orgIds.length === 0) return out;
    const rows = await db
      .selectFrom('membership')
      .select(['org_id', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('org_id', 'in', [...orgIds])
      .where('ended_on', 'is', null)
      .groupBy('org_id')
      .execute();
    for (const r of rows) out.set(r.org_id, Number(r.n));
    return out;
  },

  /** Work units each of these unions covers (a joint union covers several), by name. */
  async coveredUnits(
    db: Q,
    orgIds: readonly string[],
  ): Promise<Map<string, { name: string; creditCode: string | null }[]>> {
    const out = new Map<string, { name: string; creditCode: string | null }[]>();
    if (orgIds.length === 0) return out;
    const rows = await db
      .selectFrom('work_unit')
      .select(['union_org_id', 'name', 'credit_code'])
      .where('union_org_id', 'in', [...orgIds])
      .orderBy('union_org_id')
      .orderBy('name')
      .execute();
    for (const r of rows) {
      const list = out.get(r.union_org_id!) ?? [];
      list.push({ name: r.name, creditCode: r.credit_code });
      out.set(r.union_org_id!, list);
    }
    return out;
  },
};
