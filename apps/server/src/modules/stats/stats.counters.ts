import { AGE_BANDS, EMPLOYMENT_TYPES, FOUNDING_REQUIRED_MIN_EMPLOYEES } from '@zhgh/contracts';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { DialectName } from '../../db/dialect.ts';
import type { DB, MembershipTable, PersonTable, WorkUnitTable } from '../../db/schema.ts';
import { orgsRepository } from '../orgs/orgs.repository.ts';
import { idsOnPath, orgIdOfPath } from '../../core/org-path.ts';

/**
 * Subtree counters (decision 0009). `org_stat` holds, per organization and key, a value that
 * covers the organization's whole subtree (itself included). Every write that adds, ends or
 * changes what the statistics count collects deltas here and applies them once, at the end
 * of its own transaction, so no path can forget the counters and a read is two indexed
 * lookups instead of a subtree scan.
 *
 * Age bands are the one thing that changes without a write: they are kept "as of" the date in
 * `org_stat_as_of`, and `rollAgeBands` moves the members whose birthday crossed a band
 * boundary since then (found through `person_birth_date`) before a read on a later day.
 *
 * 入会率's numerator counts the active members of unions that cover at least one work unit
 * (`STAT_KEYS.activeOfUnionized`): members of a union with no unit (a new-form joint union of
 * couriers, a township union taking in workers one by one) bring no employees to the
 * denominator, so counting them let the rate pass 100 %. Whether a union covers a unit is read
 * when the deltas are applied, so `applyCounterDeltas` runs after the writes it counts (the
 * rows of work units and memberships as the transaction leaves them).
 *
 * Locking (PostgreSQL): a writer holds the organization tree lock (shared) from before it
 * reads the paths it counts under, then the organization rows of the unions whose members or
 * units it counts (one sorted statement: FOR SHARE, or FOR NO KEY UPDATE when a union's
 * units changed), then `org_stat_as_of` (FOR SHARE, members only), then the `org_stat` rows,
 * in one sorted statement. Restructuring holds the tree lock exclusively; a roll-forward and a
 * rebuild lock `org_stat_as_of` FOR UPDATE. Always that order, so none of them can deadlock
 * another, and call `applyCounterDeltas` once per transaction (or per chunk transaction of a
 * bulk import): two sorted statements in one transaction could lock in an order a concurrent
 * one reverses.
 */

/** What the counters read of a person. */
export type CountedPerson = Pick<PersonTable, 'gender' | 'employment_type' | 'birth_date' | 'real_name_verified'>;

/** Status of an open membership. */
export type CountedStatus = Extract<MembershipTable['status'], 'active' | 'retained'>;

/** What the counters read of a work unit. */
export type CountedUnit = Pick<WorkUnitTable, 'employee_count' | 'union_org_id'>;

type Q = Kysely<DB>;

/** Counter keys; `${prefix}${value}` for the breakdowns. */
export const STAT_KEYS = {
  active: 'members.active',
  /** Active members of unions that cover at least one work unit: 入会率's numerator. */
  activeOfUnionized: 'members.activeOfUnionized',
  retained: 'members.retained',
  verified: 'members.verified',
  units: 'units',
  required: 'units.required',
  requiredFounded: 'units.requiredFounded',
  employeesOfUnionized: 'units.employeesOfUnionized',
  employment: 'employment:',
  gender: 'gender:',
  ageBand: 'age:',
  unionType: 'unions:',
} as const;

/** Statistics day of an instant: the UTC date, as the age bands have always been cut. */
export function statDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** The date `years` before `day` (YYYY-MM-DD); 29 February falls on 1 March in other years. */
function yearsBefore(day: string, years: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y - years, m - 1, d)).toISOString().slice(0, 10);
}

/** Band boundaries in years, in the order of AGE_BANDS: band i ends at BAND_YEARS[i]. */
const BAND_YEARS = [25, 35, 45, 55] as const;

/**
 * Age-band cut-offs for a day: a member is in the first band whose `bornAfter` is earlier
 * than their birth date. Each cut-off only moves forward as the day does.
 */
export function bandCutoffsOn(day: string): { key: (typeof AGE_BANDS)[number]; bornAfter: string | null }[] {
  return AGE_BANDS.map((key, i) => {
    const years = BAND_YEARS[i];
    return { key, bornAfter: years === undefined ? null : yearsBefore(day, years) };
  });
}

export function ageBandOn(birthDate: string, day: string): (typeof AGE_BANDS)[number] {
  return bandIn(birthDate, bandCutoffsOn(day));
}

function bandIn(birthDate: string, cutoffs: ReturnType<typeof bandCutoffsOn>): (typeof AGE_BANDS)[number] {
  return cutoffs.find((c) => c.bornAfter === null || birthDate > c.bornAfter)!.key;
}

/**
 * The keys one open membership counts under, its age band by `cutoffs` (computed once per
 * batch: a bulk import bands thousands of members as of the same day).
 */
function memberKeys(person: CountedPerson, status: CountedStatus, cutoffs: ReturnType<typeof bandCutoffsOn>): string[] {
  const keys = [
    status === 'active' ? STAT_KEYS.active : STAT_KEYS.retained,
    STAT_KEYS.employment + person.employment_type,
    STAT_KEYS.gender + person.gender,
    STAT_KEYS.ageBand + bandIn(person.birth_date, cutoffs),
  ];
  if (Number(person.real_name_verified) === 1) keys.push(STAT_KEYS.verified);
  return keys;
}

/** The keys and amounts one work unit counts for. */
export function unitValues(unit: CountedUnit): [string, number][] {
  const required = unit.employee_count >= FOUNDING_REQUIRED_MIN_EMPLOYEES;
  const founded = unit.union_org_id !== null;
  const out: [string, number][] = [[STAT_KEYS.units, 1]];
  if (required) out.push([STAT_KEYS.required, 1]);
  if (required && founded) out.push([STAT_KEYS.requiredFounded, 1]);
  if (founded) out.push([STAT_KEYS.employeesOfUnionized, unit.employee_count]);
  return out;
}

/** Ids per statement of the lookup below: far below both engines' bound-parameter limits. */
const LOOKUP_CHUNK = 1_000;

/** Each organization's path and its own active open memberships (its subtree's not counted). */
export async function ownActiveMembers(
  q: Q,
  orgIds: readonly string[],
): Promise<Map<string, { path: string; active: number }>> {
  const out = new Map<string, { path: string; active: number }>();
  for (let i = 0; i < orgIds.length; i += LOOKUP_CHUNK) {
    const rows = await q
      .selectFrom('organization')
      .leftJoin('membership', (join) =>
        join
          .onRef('membership.org_id', '=', 'organization.id')
          .on('membership.ended_on', 'is', null)
          .on('membership.status', '=', 'active'),
      )
      .select(['organization.id', 'organization.path', (eb) => eb.fn.count<number | string>('membership.id').as('n')])
      .where('organization.id', 'in', orgIds.slice(i, i + LOOKUP_CHUNK))
      .groupBy(['organization.id', 'organization.path'])
      .execute();
    for (const r of rows) out.set(r.id, { path: r.path, active: Number(r.n) });
  }
  return out;
}

/**
 * What a merger changes in `activeOfUnionized` at the target beyond what the source's subtree
 * values carry there: the source's own active members join the target's, and the pair covers
 * the units of both. Read before the merger writes anything (the source's values hold its own
 * members only where it covered a unit).
 */
export async function mergedActiveOfUnionized(q: Q, sourceId: string, targetId: string): Promise<number> {
  const units = await orgsRepository.unitsCovered(q, [sourceId, targetId]);
  const members = await ownActiveMembers(q, [sourceId, targetId]);
  const covers = (id: string) => (units.get(id) ?? 0) > 0;
  const own = (id: string) => members.get(id)?.active ?? 0;
  const after = covers(sourceId) || covers(targetId) ? own(sourceId) + own(targetId) : 0;
  return after - (covers(targetId) ? own(targetId) : 0) - (covers(sourceId) ? own(sourceId) : 0);
}

export class CounterDeltas {
  readonly entries: { orgPath: string; person: CountedPerson; status: CountedStatus; sign: 1 | -1 }[] = [];
  /** Plain amounts by key, for everything that is not a membership. */
  readonly amounts: { orgPath: string; key: string; n: number }[] = [];
  /** Net change in the work units each union covers, by union id. */
  readonly coverage = new Map<string, number>();

  /**
   * An open membership of `person` at `orgPath` appears (+1) or disappears (-1). A change of
   * a counted field is the old state with -1 and the new one with +1.
   */
  member(orgPath: string, person: CountedPerson, status: CountedStatus, sign: 1 | -1): void {
    this.entries.push({ orgPath, person, status, sign });
  }

  /** A work unit filed at `orgPath` appears (+1) or disappears (-1); a change is both. */
  unit(orgPath: string, unit: CountedUnit, sign: 1 | -1): void {
    for (const [key, n] of unitValues(unit)) this.add(orgPath, key, n * sign);
    if (unit.union_org_id !== null) {
      this.coverage.set(unit.union_org_id, (this.coverage.get(unit.union_org_id) ?? 0) + sign);
    }
  }

  /** An active organization of `type` at `path` appears (+1) or stops being active (-1). */
  union(path: string, type: string, sign: 1 | -1): void {
    this.add(path, STAT_KEYS.unionType + type, sign);
  }

  /**
   * Whole subtree values (as `readNodeValues` returns them) arrive at (+1) or leave (-1) the
   * organization at `path` and all above it: a move or a merge.
   */
  subtree(path: string, values: ReadonlyMap<string, number>, sign: 1 | -1): void {
    for (const [key, n] of values) this.add(path, key, n * sign);
  }

  add(orgPath: string, key: string, n: number): void {
    if (n !== 0) this.amounts.push({ orgPath, key, n });
  }

  get isEmpty(): boolean {
    return this.entries.length === 0 && this.amounts.length === 0 && this.coverage.size === 0;
  }
}

/** Rows per upsert: 3 parameters each, far below both engines' bound-parameter limits. */
const UPSERT_CHUNK = 1_000;

/** The date the age-band counters hold, read under a lock of the given strength. */
async function readAsOf(q: Q, dialect: DialectName, lock: 'share' | 'update' | 'none'): Promise<string> {
  let query = q.selectFrom('org_stat_as_of').select('as_of').where('id', '=', 1);
  if (dialect === 'postgres' && lock === 'share') query = query.forShare();
  if (dialect === 'postgres' && lock === 'update') query = query.forUpdate();
  return (await query.executeTakeFirstOrThrow()).as_of;
}

/** Add amounts by (organization id, key), sorted so concurrent writers lock rows in one order. */
async function upsert(q: Q, sums: Map<string, number>): Promise<void> {
  const rows = [...sums]
    .filter(([, n]) => n !== 0)
    .map(([k, value]) => {
      const cut = k.indexOf('\u0000');
      return { org_id: k.slice(0, cut), key: k.slice(cut + 1), value };
    })
    .sort((a, b) => (a.org_id < b.org_id ? -1 : a.org_id > b.org_id ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (let i = 0; i < rows.length; i += UPSERT_CHUNK) {
    await q
      .insertInto('org_stat')
      .values(rows.slice(i, i + UPSERT_CHUNK))
      .onConflict((oc) =>
        oc
          .columns(['org_id', 'key'])
          .doUpdateSet((eb) => ({ value: eb('org_stat.value', '+', eb.ref('excluded.value')) })),
      )
      .execute();
  }
}

function sumInto(sums: Map<string, number>, orgPath: string, key: string, n: number): void {
  for (const id of idsOnPath(orgPath)) {
    const k = `${id}\u0000${key}`;
    sums.set(k, (sums.get(k) ?? 0) + n);
  }
}

/**
 * Apply collected deltas to the node of every ancestor, inside the caller's transaction: one
 * sorted upsert per batch of keys (a bulk import passes thousands of rows at once). Members
 * are banded as of the counters' date, which the roll-forward then carries to today.
 */
export async function applyCounterDeltas(q: Kysely<DB>, dialect: DialectName, deltas: CounterDeltas): Promise<void> {
  if (deltas.isEmpty) return;
  const sums = new Map<string, number>();

  // The unions whose active members come or go, with the net change at each, and those whose
  // units changed: whether each covers a unit once this transaction's writes are in.
  const activeNet = new Map<string, number>();
  for (const e of deltas.entries) {
    if (e.status === 'active')
      activeNet.set(orgIdOfPath(e.orgPath), (activeNet.get(orgIdOfPath(e.orgPath)) ?? 0) + e.sign);
  }
  const changed = [...deltas.coverage].filter(([, n]) => n !== 0);
  // A union whose active members only changed in place (an edited member: -1 and +1) is left
  // out: its entries cancel whether it covers a unit or not, and it needs no lock.
  const joinedOrLeft = [...activeNet].filter(([, n]) => n !== 0).map(([id]) => id);
  const unions = [...new Set([...joinedOrLeft, ...changed.map(([id]) => id)])].sort();
  let covered = new Map<string, number>();
  if (unions.length > 0) {
    // A member joining a union that is gaining its first unit in another transaction is
    // counted by exactly one of them: the later one to lock the union's row reads what the
    // other committed (see the header).
    if (dialect === 'postgres') {
      const strength = changed.length > 0 ? sql`no key update` : sql`share`;
      await sql`select id from organization where id in (${sql.join(unions)}) order by id for ${strength}`.execute(q);
    }
    covered = await orgsRepository.unitsCovered(q, unions);
  }

  if (deltas.entries.length > 0) {
    const cutoffs = bandCutoffsOn(await readAsOf(q, dialect, 'share'));
    // Summed by (path, key) first: a bulk import adds thousands of members at one path, and
    // spreading each to every ancestor separately cost more than the upsert.
    const byPath = new Map<string, number>();
    const count = (path: string, key: string, sign: number) => {
      const k = `${path}\u0000${key}`;
      byPath.set(k, (byPath.get(k) ?? 0) + sign);
    };
    for (const e of deltas.entries) {
      for (const key of memberKeys(e.person, e.status, cutoffs)) count(e.orgPath, key, e.sign);
      if (e.status === 'active' && (covered.get(orgIdOfPath(e.orgPath)) ?? 0) > 0) {
        count(e.orgPath, STAT_KEYS.activeOfUnionized, e.sign);
      }
    }
    for (const [k, n] of byPath) {
      const cut = k.indexOf('\u0000');
      sumInto(sums, k.slice(0, cut), k.slice(cut + 1), n);
    }
  }

  // A union that gained its first unit or lost its last: the active members it held before
  // this transaction start or stop counting (those that came or went in it were counted
  // above, by the union as it is now).
  const flipped = changed.filter(([id, n]) => {
    const now = covered.get(id) ?? 0;
    return now > 0 !== now - n > 0;
  });
  if (flipped.length > 0) {
    const members = await ownActiveMembers(
      q,
      flipped.map(([id]) => id),
    );
    for (const [id] of flipped) {
      const own = members.get(id);
      if (!own) continue;
      const before = own.active - (activeNet.get(id) ?? 0);
      sumInto(sums, own.path, STAT_KEYS.activeOfUnionized, (covered.get(id) ?? 0) > 0 ? before : -before);
    }
  }

  for (const a of deltas.amounts) sumInto(sums, a.orgPath, a.key, a.n);
  await upsert(q, sums);
}

/** Every counter of some organizations, by organization id; a missing key is 0. */
export async function readCounters(q: Q, orgIds: readonly string[]): Promise<Map<string, Map<string, number>>> {
  const out = new Map<string, Map<string, number>>(orgIds.map((id) => [id, new Map()]));
  if (orgIds.length === 0) return out;
  for (let i = 0; i < orgIds.length; i += UPSERT_CHUNK) {
    const rows = await q
      .selectFrom('org_stat')
      .select(['org_id', 'key', 'value'])
      .where('org_id', 'in', orgIds.slice(i, i + UPSERT_CHUNK))
      .execute();
    for (const r of rows) out.get(r.org_id)!.set(r.key, Number(r.value));
  }
  return out;
}

/** One organization's subtree values (non-zero only), for moving them with the subtree. */
export async function readNodeValues(q: Q, orgId: string): Promise<Map<string, number>> {
  const values = (await readCounters(q, [orgId])).get(orgId)!;
  return new Map([...values].filter(([, n]) => n !== 0));
}

/** The date the age bands are counted as of. */
export async function countersAsOf(q: Q): Promise<string> {
  return readAsOf(q, 'sqlite', 'none');
}

/**
 * Carry the age bands from their date to `today`, inside the caller's transaction (which
 * holds the organization tree lock shared): for each boundary, the open members born in the
 * span the cut-off swept over change band, and are counted under their membership's path.
 * Works backwards too, should the clock ever be set back. Returns the members moved.
 */
export async function rollAgeBands(q: Q, dialect: DialectName, today: string): Promise<number> {
  const asOf = await readAsOf(q, dialect, 'update');
  if (asOf === today) return 0;
  const forward = today > asOf;
  const from = bandCutoffsOn(asOf);
  const to = bandCutoffsOn(today);
  const deltas = new CounterDeltas();
  let moved = 0;
  for (let i = 0; i < BAND_YEARS.length; i++) {
    const a = from[i]!.bornAfter!;
    const b = to[i]!.bornAfter!;
    // Going forward, those born in (a, b] grow out of band i into band i + 1.
    const [lo, hi] = forward ? [a, b] : [b, a];
    if (lo === hi) continue;
    const rows = await q
      .selectFrom('person')
      .innerJoin('membership', 'membership.person_id', 'person.id')
      .select(['membership.org_path as path', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('person.birth_date', '>', lo)
      .where('person.birth_date', '<=', hi)
      .where('membership.ended_on', 'is', null)
      .groupBy('membership.org_path')
      .execute();
    const younger = STAT_KEYS.ageBand + AGE_BANDS[i]!;
    const older = STAT_KEYS.ageBand + AGE_BANDS[i + 1]!;
    for (const r of rows) {
      const n = Number(r.n) * (forward ? 1 : -1);
      deltas.add(r.path, younger, -n);
      deltas.add(r.path, older, n);
      moved += Number(r.n);
    }
  }
  await applyCounterDeltas(q, dialect, deltas);
  await q.updateTable('org_stat_as_of').set({ as_of: today }).where('id', '=', 1).execute();
  return moved;
}

/**
 * Recount every counter from the rows (after a bulk load that bypassed the services), with
 * age bands as of `today`, in the caller's transaction or else in one of its own. Hold the
 * organization tree lock exclusively around it, or run it with no writer about (the CLI
 * `npm run stats:rebuild` does the former); on PostgreSQL the table lock makes counter
 * writers wait for it rather than interleave with it.
 */
export async function rebuildStatCounters(q: Kysely<DB>, dialect: DialectName, today: string): Promise<void> {
  // All or nothing: a reader must never see the counters half rebuilt.
  if (!q.isTransaction) return q.transaction().execute((trx) => rebuildStatCounters(trx, dialect, today));
  await readAsOf(q, dialect, 'update');
  if (dialect === 'postgres') await sql`lock table org_stat in exclusive mode`.execute(q);
  await q.deleteFrom('org_stat').execute();
  const sums = new Map<string, number>();
  const count = (r: { n: number | string }) => Number(r.n);

  const orgs = await q
    .selectFrom('organization')
    .select(['path', 'type', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('status', '=', 'active')
    .groupBy(['path', 'type'])
    .execute();
  for (const r of orgs) sumInto(sums, r.path, STAT_KEYS.unionType + r.type, count(r));

  // Members in one scan, one row per path: a conditional sum per key. Every write path checks
  // employment type and gender against the code lists; should a row hold anything else, a
  // second pass counts those rows by value, so the recount stays exact regardless.
  const cut = bandCutoffsOn(today);
  const employmentCodes = EMPLOYMENT_TYPES.map((e) => e.code as string);
  const genders = ['male', 'female'];
  const conditions: [string, RawBuilder<unknown>][] = [
    [STAT_KEYS.active, sql`membership.status = 'active'`],
    [
      STAT_KEYS.activeOfUnionized,
      sql`membership.status = 'active' and membership.org_id in (select union_org_id from work_unit)`,
    ],
    [STAT_KEYS.retained, sql`membership.status = 'retained'`],
    [STAT_KEYS.verified, sql`person.real_name_verified = 1`],
    ...employmentCodes.map((c): [string, RawBuilder<unknown>] => [
      STAT_KEYS.employment + c,
      sql`person.employment_type = ${c}`,
    ]),
    ...genders.map((g): [string, RawBuilder<unknown>] => [STAT_KEYS.gender + g, sql`person.gender = ${g}`]),
    ...cut.map((c, i): [string, RawBuilder<unknown>] => {
      const older = i > 0 ? sql`person.birth_date <= ${cut[i - 1]!.bornAfter}` : sql`1 = 1`;
      const younger = c.bornAfter !== null ? sql`person.birth_date > ${c.bornAfter}` : sql`1 = 1`;
      return [STAT_KEYS.ageBand + c.key, sql`${older} and ${younger}`];
    }),
    [
      'other',
      sql`person.employment_type not in (${sql.join(employmentCodes)}) or person.gender not in (${sql.join(genders)})`,
    ],
  ];
  const members = await q
    .selectFrom('membership')
    .innerJoin('person', 'person.id', 'membership.person_id')
    .where('membership.ended_on', 'is', null)
    .select([
      'membership.org_path as path',
      ...conditions.map(([, cond], i) => sql<number | string>`sum(case when ${cond} then 1 else 0 end)`.as(`c${i}`)),
    ])
    .groupBy('membership.org_path')
    .execute();
  let others = 0;
  for (const r of members as unknown as Record<string, string | number>[]) {
    conditions.forEach(([key], i) => {
      const n = Number(r[`c${i}`] ?? 0);
      if (key === 'other') others += n;
      else if (n !== 0) sumInto(sums, String(r.path), key, n);
    });
  }
  if (others > 0) {
    for (const [column, prefix, known] of [
      ['employment_type', STAT_KEYS.employment, employmentCodes],
      ['gender', STAT_KEYS.gender, genders],
    ] as const) {
      const rows = await q
        .selectFrom('membership')
        .innerJoin('person', 'person.id', 'membership.person_id')
        .where('membership.ended_on', 'is', null)
        .where(`person.${column}`, 'not in', known as string[])
        .select([
          'membership.org_path as path',
          `person.${column} as value`,
          (eb) => eb.fn.countAll<number | string>().as('n'),
        ])
        .groupBy(['membership.org_path', `person.${column}`])
        .execute();
      for (const r of rows) sumInto(sums, r.path, prefix + String(r.value), count(r));
    }
  }

  const units = await q
    .selectFrom('work_unit')
    .select([
      'org_path as path',
      (eb) => eb.fn.countAll<number | string>().as('units'),
      sql<number | string>`sum(case when employee_count >= ${FOUNDING_REQUIRED_MIN_EMPLOYEES} then 1 else 0 end)`.as(
        'required',
      ),
      sql<
        number | string
      >`sum(case when employee_count >= ${FOUNDING_REQUIRED_MIN_EMPLOYEES} and union_org_id is not null then 1 else 0 end)`.as(
        'requiredFounded',
      ),
      sql<number | string>`sum(case when union_org_id is not null then employee_count else 0 end)`.as('employees'),
    ])
    .groupBy('org_path')
    .execute();
  for (const r of units) {
    sumInto(sums, r.path, STAT_KEYS.units, Number(r.units));
    sumInto(sums, r.path, STAT_KEYS.required, Number(r.required ?? 0));
    sumInto(sums, r.path, STAT_KEYS.requiredFounded, Number(r.requiredFounded ?? 0));
    sumInto(sums, r.path, STAT_KEYS.employeesOfUnionized, Number(r.employees ?? 0));
  }

  await upsert(q, sums);
  await q.updateTable('org_stat_as_of').set({ as_of: today }).where('id', '=', 1).execute();
}
