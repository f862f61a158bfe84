import { idNumberCheckChar, lookupCode, NEW_FORM_GROUPS } from '@zhgh/contracts';
import type { Services } from '../../app.ts';
import type { RequestContext } from '../../core/actor.ts';
import type { FederationPlan } from './federation.ts';

/**
 * Joining in the demo: every new-form joint union is the pool of its group in its county, and
 * the first of each group in a city is the city's pool, so a courier applying anywhere in
 * Shaanxi is routed; and a few applications wait in the review queue of the demo's best-known
 * grassroots union (a spring enrollment list of its new hires). Fixed ID numbers, so a
 * reloaded demo looks the same.
 */
const id = (first17: string) => first17 + idNumberCheckChar(first17);

const WAITING = [
  { name: '韩思远', idNumber: id('61011319980417003'), employmentType: 'regular' as const },
  { name: '马晓霞', idNumber: id('61011319990923004'), employmentType: 'regular' as const },
  { name: '田志强', idNumber: id('61052219960211005'), employmentType: 'migrant' as const },
];
export const DEMO_JOIN_UNION = '西安高新智造科技有限公司工会';
export const DEMO_JOIN_BATCH = 'demo-2026-spring';

export async function seedJoining(services: Services, ctx: RequestContext, plan: FederationPlan): Promise<void> {
  const cityPools = new Set<string>();
  for (const u of plan.unions) {
    const group = u.kind === 'newForm' && u.newFormGroup ? lookupCode(NEW_FORM_GROUPS, u.newFormGroup) : null;
    if (!group) continue;
    const county = plan.federations.get(u.countyCode);
    if (county) {
      await services.joining.setPool(ctx, { federationId: county.id, newFormGroup: group, poolOrgId: u.org.id });
    }
    const cityCode = `${u.countyCode.slice(0, 4)}00`;
    const city = plan.federations.get(cityCode);
    if (city && !cityPools.has(`${cityCode}:${group}`)) {
      cityPools.add(`${cityCode}:${group}`);
      await services.joining.setPool(ctx, { federationId: city.id, newFormGroup: group, poolOrgId: u.org.id });
    }
  }
  const union = plan.orgs.find((o) => o.name === DEMO_JOIN_UNION)!;
  const unit = plan.workUnits.find((w) => w.row.union_org_id === union.id)!;
  for (const w of WAITING) {
    await services.joining.start(ctx, { ...w, workUnitId: unit.row.id }, { source: 'list', batchId: DEMO_JOIN_BATCH });
  }
}
