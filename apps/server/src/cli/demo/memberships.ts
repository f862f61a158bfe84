import type { Services } from '../../app.ts';
import type { RequestContext } from '../../core/actor.ts';

/**
 * Demo accounts for membership transfers (decision 0017): a cadre of the demo member's union
 * (who sees the transfer out and may comment) and a joint union of couriers in Yanta with its
 * cadre (who accepts the member), so a transfer can be walked through end to end.
 */
export const DEMO_TRANSFER = {
  toUnion: '雁塔区快递物流联合工会',
  accounts: [
    { username: 'gaoxin_cadre', name: '刘芳', note: '西安高新智造科技有限公司工会干部（会员转出）' },
    { username: 'express_cadre', name: '马强', note: '雁塔区快递物流联合工会干部（会员转入）' },
  ],
} as const;

export async function seedMembershipDemo(
  services: Services,
  ctx: RequestContext,
  at: { memberUnionId: string; yantaId: string; password: string },
): Promise<void> {
  const to = await services.orgs.provisionChild(ctx, {
    parentId: at.yantaId,
    name: DEMO_TRANSFER.toUnion,
    type: 'joint',
    level: null,
  });
  const [from, into] = DEMO_TRANSFER.accounts;
  for (const [a, orgId] of [
    [from, at.memberUnionId],
    [into, to.id],
  ] as const) {
    const user = await services.access.provisionUser(ctx, {
      kind: 'cadre',
      username: a.username,
      displayName: a.name,
      orgId,
      password: at.password,
    });
    await services.access.provisionGrant(ctx, { userId: user.id, roleCode: 'grassroots_cadre', orgId });
  }
}
