import { AGE_BANDS } from '@zhgh/contracts';
import type { Kysely } from 'kysely';
import { narrowScope, scopeFor } from '../../core/access/scope.ts';
import type { RequestContext } from '../../core/actor.ts';
import { AppError } from '../../core/app-error.ts';
import type { CoreDeps } from '../../core/deps.ts';
import { lockShared } from '../../db/dialect.ts';
import type { OrganizationTable } from '../../db/schema.ts';
import { orgsRepository } from '../orgs/orgs.repository.ts';
import { ORG_TREE_LOCK } from '../../db/org-scoped.ts';
import { bandCutoffsOn, countersAsOf, readCounters, rollAgeBands, STAT_KEYS, statDay } from './stats.counters.ts';

/** A share with 4 decimals, or null when nothing is to be divided. */
export function rateOf(part: number, whole: number): number | null {
  return whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : null;
}

/** Age-band cut-offs for a day: a member is in the first band whose birth date is later. */
export function ageBandCutoffs(today: Date): { key: (typeof AGE_BANDS)[number]; bornAfter: string | null }[] {
  return bandCutoffsOn(statDay(today));
}

/** The counters' breakdown under one key prefix, without the zeros a decrement leaves. */
function breakdown(values: ReadonlyMap<string, number>, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, n] of values) if (key.startsWith(prefix) && n !== 0) out[key.slice(prefix.length)] = n;
  return out;
}

/** The statistics of one subtree from its counters (decision 0009); the same contract as a recount. */
export function presentCounters(org: Pick<OrganizationTable, 'id' | 'name'>, values: ReadonlyMap<string, number>) {
  const get = (key: string) => values.get(key) ?? 0;
  const active = get(STAT_KEYS.active);
  const activeOfUnionized = get(STAT_KEYS.activeOfUnionized);
  const retained = get(STAT_KEYS.retained);
  const verified = get(STAT_KEYS.verified);
  const total = active + retained;
  const required = get(STAT_KEYS.required);
  const requiredFounded = get(STAT_KEYS.requiredFounded);
  const employees = get(STAT_KEYS.employeesOfUnionized);
  const bands = breakdown(values, STAT_KEYS.ageBand);
  return {
    orgId: org.id,
    orgName: org.name,
    unionsByType: breakdown(values, STAT_KEYS.unionType),
    members: total,
    activeMembers: active,
    activeMembersOfUnionizedUnits: activeOfUnionized,
    retainedMembers: retained,
    verifiedMembers: verified,
    workUnits: get(STAT_KEYS.units),
    unitsRequiringUnion: required,
    unitsRequiringUnionFounded: requiredFounded,
    employeesOfUnionizedUnits: employees,
    foundingRate: rateOf(requiredFounded, required),
    // Only members who could be among those employees count against them: retained members
    // (retirees, the unemployed) are no longer employees of a unit, and members of a union
    // that covers no unit (couriers in a new-form joint union) bring no employees with them.
    joiningRate: rateOf(activeOfUnionized, employees),
    realNameRate: rateOf(verified, total),
    byEmploymentType: breakdown(values, STAT_KEYS.employment),
    byGender: breakdown(values, STAT_KEYS.gender),
    byAgeBand: Object.fromEntries(AGE_BANDS.map((b) => [b, bands[b] ?? 0])),
  };
}

export function createStatsService(deps: CoreDeps) {
  const { db, dialect } = deps;

  /**
   * Carry the age bands to today before the first read of a day. Not a `write`: nothing a
   * person did changes, so there is no audit event to leave; the counters only catch up with
   * the calendar. The tree lock keeps a concurrent move from shifting paths under it.
   */
  async function bandsToToday(today: string): Promise<void> {
    if ((await countersAsOf(db)) === today) return;
    await db.transaction().execute(async (trx) => {
      await lockShared(trx as unknown as Kysely<unknown>, dialect, ORG_TREE_LOCK);
      await rollAgeBands(trx, dialect, today);
    });
  }

  return {
    /** Statistics of a subtree in the actor's member.read scope, and of each of its children. */
    async ofSubtree(ctx: RequestContext, orgId: string | undefined) {
      const scope = scopeFor(ctx.principal, 'member.read');
      let org: OrganizationTable | undefined;
      if (orgId) {
        org = await orgsRepository.findById(db, orgId);
        if (!org) throw AppError.notFound();
        narrowScope(scope, org.path);
      } else {
        [org] = await orgsRepository.findByPaths(db, scope.paths.slice(0, 1));
        if (!org) throw AppError.notFound('no scope');
      }
      const children = (await orgsRepository.findChildrenInScope(db, org.id, scope)).filter(
        (c) => c.status === 'active',
      );
      await bandsToToday(statDay(deps.now()));
      // One statement for the node and its children (up to 999 of them): one snapshot, so they add up.
      const counters = await readCounters(db, [org.id, ...children.map((c) => c.id)]);
      return {
        total: presentCounters(org, counters.get(org.id)!),
        children: children.map((c) => presentCounters(c, counters.get(c.id)!)),
      };
    },
  };
}
export type StatsService = ReturnType<typeof createStatsService>;
