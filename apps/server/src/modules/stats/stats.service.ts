import { AGE_BANDS, FOUNDING_REQUIRED_MIN_EMPLOYEES } from '@zhgh/contracts';
import { narrowScope, scopeFor } from '../../core/access/scope.ts';
import type { RequestContext } from '../../core/actor.ts';
import { AppError } from '../../core/app-error.ts';
import type { CoreDeps } from '../../core/deps.ts';
import type { OrganizationTable } from '../../db/schema.ts';
import { orgsRepository } from '../orgs/orgs.repository.ts';
import { statsRepository as repo } from './stats.repository.ts';

/** A share with 4 decimals, or null when nothing is to be divided. */
export function rateOf(part: number, whole: number): number | null {
  return whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : null;
}

/** Age-band cut-offs for a day: a member is in the first band whose birth date is later. */
export function ageBandCutoffs(today: Date): { key: (typeof AGE_BANDS)[number]; bornAfter: string | null }[] {
  const yearsAgo = (years: number) => {
    const d = new Date(Date.UTC(today.getUTCFullYear() - years, today.getUTCMonth(), today.getUTCDate()));
    return d.toISOString().slice(0, 10);
  };
  return [
    { key: 'under25', bornAfter: yearsAgo(25) },
    { key: '25to34', bornAfter: yearsAgo(35) },
    { key: '35to44', bornAfter: yearsAgo(45) },
    { key: '45to54', bornAfter: yearsAgo(55) },
    { key: '55plus', bornAfter: null },
  ];
}

export function createStatsService(deps: CoreDeps) {
  const { db, dialect } = deps;

  async function subtree(org: OrganizationTable) {
    const [unionsByType, members, units, byEmploymentType, byGender, byAgeBand] = await Promise.all([
      repo.unionsByType(db, dialect, org.path),
      repo.membershipCounts(db, dialect, org.path),
      repo.workUnitCounts(db, dialect, org.path, FOUNDING_REQUIRED_MIN_EMPLOYEES),
      repo.membersBy(db, dialect, org.path, 'employment_type'),
      repo.membersBy(db, dialect, org.path, 'gender'),
      repo.membersByAgeBand(db, dialect, org.path, ageBandCutoffs(deps.now())),
    ]);
    const total = members.active + members.retained;
    return {
      orgId: org.id,
      orgName: org.name,
      unionsByType,
      members: total,
      activeMembers: members.active,
      retainedMembers: members.retained,
      verifiedMembers: members.verified,
      workUnits: units.units,
      unitsRequiringUnion: units.required,
      unitsRequiringUnionFounded: units.requiredFounded,
      employeesOfUnionizedUnits: units.employeesOfUnionized,
      foundingRate: rateOf(units.requiredFounded, units.required),
      // Retained members (retirees, the unemployed) are no longer employees of a unit, so only
      // active members count against the units' employees.
      joiningRate: rateOf(members.active, units.employeesOfUnionized),
      realNameRate: rateOf(members.verified, total),
      byEmploymentType,
      byGender,
      byAgeBand: Object.fromEntries(AGE_BANDS.map((b) => [b, byAgeBand[b] ?? 0])),
    };
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
      return {
        total: await subtree(org),
        children: await Promise.all(children.map(subtree)),
      };
    },
  };
}
export type StatsService = ReturnType<typeof createStatsService>;
