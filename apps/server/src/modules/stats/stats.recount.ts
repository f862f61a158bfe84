import { AGE_BANDS, FOUNDING_REQUIRED_MIN_EMPLOYEES } from '@zhgh/contracts';
import { type Kysely, sql } from 'kysely';
import { type DialectName, pathInSubtree } from '../../db/dialect.ts';
import type { DB, OrganizationTable } from '../../db/schema.ts';
import { bandCutoffsOn } from './stats.counters.ts';

type Q = Kysely<DB>;

const n = (v: unknown) => Number(v ?? 0);

/**
 * Aggregates over one subtree, straight from the rows: the statistics as they were computed
 * before the counters (decision 0009), a range scan on an `org_path` index per query. Too
 * slow for a province, they remain the oracle the counters are tested against.
 */
export const statsRecount = {
  async unionsByType(db: Q, dialect: DialectName, path: string): Promise<Record<string, number>> {
    const rows = await db
      .selectFrom('organization')
      .select(['type', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where(pathInSubtree(dialect, 'organization.path', path))
      .where('status', '=', 'active')
      .groupBy('type')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.type, n(r.n)]));
  },

  async membershipCounts(db: Q, dialect: DialectName, path: string) {
    const rows = await db
      .selectFrom('membership')
      .innerJoin('person', 'person.id', 'membership.person_id')
      .select([
        'membership.status as status',
        'person.real_name_verified as verified',
        (eb) => eb.fn.countAll<number | string>().as('n'),
      ])
      .where(pathInSubtree(dialect, 'membership.org_path', path))
      .where('membership.ended_on', 'is', null)
      .groupBy(['membership.status', 'person.real_name_verified'])
      .execute();
    let active = 0;
    let retained = 0;
    let verified = 0;
    for (const r of rows) {
      if (r.status === 'active') active += n(r.n);
      else if (r.status === 'retained') retained += n(r.n);
      if (n(r.verified) === 1) verified += n(r.n);
    }
    // 入会率's numerator: active members of unions that cover a work unit.
    const ofUnionized = await db
      .selectFrom('membership')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where(pathInSubtree(dialect, 'membership.org_path', path))
      .where('membership.ended_on', 'is', null)
      .where('membership.status', '=', 'active')
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('work_unit')
            .select('work_unit.id')
            .whereRef('work_unit.union_org_id', '=', 'membership.org_id'),
        ),
      )
      .executeTakeFirst();
    return { active, retained, verified, activeOfUnionized: n(ofUnionized?.n) };
  },

  /** Open members grouped by one person column. */
  async membersBy(
    db: Q,
    dialect: DialectName,
    path: string,
    column: 'employment_type' | 'gender',
  ): Promise<Record<string, number>> {
    const rows = await db
      .selectFrom('membership')
      .innerJoin('person', 'person.id', 'membership.person_id')
      .select([`person.${column} as key`, (eb) => eb.fn.countAll<number | string>().as('n')])
      .where(pathInSubtree(dialect, 'membership.org_path', path))
      .where('membership.ended_on', 'is', null)
      .groupBy(`person.${column}`)
      .execute();
    return Object.fromEntries(rows.map((r) => [String(r.key), n(r.n)]));
  },

  /**
   * Open members by age band. Ages change every day, so bands are cut at query time by birth
   * date: `cutoffs` are the latest birth dates of each band, newest first.
   */
  async membersByAgeBand(
    db: Q,
    dialect: DialectName,
    path: string,
    bands: readonly { key: string; bornAfter: string | null }[],
  ): Promise<Record<string, number>> {
    const cases = bands
      .filter((b) => b.bornAfter !== null)
      .map((b) => sql`when person.birth_date > ${b.bornAfter} then ${b.key}`);
    const last = bands.find((b) => b.bornAfter === null)!.key;
    const band = sql<string>`case ${sql.join(cases, sql` `)} else ${last} end`;
    const rows = await db
      .selectFrom('membership')
      .innerJoin('person', 'person.id', 'membership.person_id')
      .select([band.as('band'), (eb) => eb.fn.countAll<number | string>().as('n')])
      .where(pathInSubtree(dialect, 'membership.org_path', path))
      .where('membership.ended_on', 'is', null)
      // By the output name: PostgreSQL would not match the two parameterized CASE copies.
      .groupBy(sql`band`)
      .execute();
    return Object.fromEntries(rows.map((r) => [r.band, n(r.n)]));
  },

  async workUnitCounts(db: Q, dialect: DialectName, path: string, requiredMinEmployees: number) {
    const row = await db
      .selectFrom('work_unit')
      .select([
        (eb) => eb.fn.countAll<number | string>().as('units'),
        sql<number | string>`sum(case when employee_count >= ${requiredMinEmployees} then 1 else 0 end)`.as('required'),
        sql<
          number | string
        >`sum(case when employee_count >= ${requiredMinEmployees} and union_org_id is not null then 1 else 0 end)`.as(
          'requiredFounded',
        ),
        sql<number | string>`sum(case when union_org_id is not null then employee_count else 0 end)`.as('employees'),
      ])
      .where(pathInSubtree(dialect, 'work_unit.org_path', path))
      .executeTakeFirst();
    return {
      units: n(row?.units),
      required: n(row?.required),
      requiredFounded: n(row?.requiredFounded),
      employeesOfUnionized: n(row?.employees),
    };
  },
};

/** A subtree's statistics by recount, in the shape `presentCounters` gives them. */
export async function recountSubtree(db: Q, dialect: DialectName, org: OrganizationTable, day: string) {
  const r = statsRecount;
  const [unionsByType, members, units, byEmploymentType, byGender, byAgeBand] = await Promise.all([
    r.unionsByType(db, dialect, org.path),
    r.membershipCounts(db, dialect, org.path),
    r.workUnitCounts(db, dialect, org.path, FOUNDING_REQUIRED_MIN_EMPLOYEES),
    r.membersBy(db, dialect, org.path, 'employment_type'),
    r.membersBy(db, dialect, org.path, 'gender'),
    r.membersByAgeBand(db, dialect, org.path, bandCutoffsOn(day)),
  ]);
  const total = members.active + members.retained;
  const rate = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : null);
  return {
    orgId: org.id,
    orgName: org.name,
    unionsByType,
    members: total,
    activeMembers: members.active,
    activeMembersOfUnionizedUnits: members.activeOfUnionized,
    retainedMembers: members.retained,
    verifiedMembers: members.verified,
    workUnits: units.units,
    unitsRequiringUnion: units.required,
    unitsRequiringUnionFounded: units.requiredFounded,
    employeesOfUnionizedUnits: units.employeesOfUnionized,
    foundingRate: rate(units.requiredFounded, units.required),
    joiningRate: rate(members.activeOfUnionized, units.employeesOfUnionized),
    realNameRate: rate(members.verified, total),
    byEmploymentType,
    byGender,
    byAgeBand: Object.fromEntries(AGE_BANDS.map((b) => [b, byAgeBand[b] ?? 0])),
  };
}
