import { type RequestContext, SYSTEM_ACTOR } from '../core/actor.ts';
import type { Services } from '../app.ts';
import type { Config } from '../config.ts';
import type { CoreDeps } from '../core/deps.ts';
import { planFederation, SMALL_FEDERATION } from './demo/federation.ts';
import { loadFederation } from './demo/load.ts';
import { seedModelWorkers } from './demo/model-workers.ts';
import { seedJoining } from './demo/joining.ts';
import { DEMO_TRANSFER, seedMembershipDemo } from './demo/memberships.ts';

/**
 * The demo federation that `npm start` loads into an empty database, so a new user sees a
 * working platform at once. Every account shares one password; these accounts exist only
 * where DEMO_DATA allows (never by default in production).
 */
export const DEMO_PASSWORD = 'Zhgh@2026demo';

export const DEMO_ACCOUNTS = [
  { username: 'sec_admin', name: '安全管理员', role: 'security_admin', at: 'province', note: 'TOTP 首次登录时绑定' },
  { username: 'sys_admin', name: '系统管理员', role: 'system_admin', at: 'province', note: 'TOTP 首次登录时绑定' },
  { username: 'audit_admin', name: '审计管理员', role: 'audit_admin', at: 'province', note: 'TOTP 首次登录时绑定' },
  { username: 'xian_cadre', name: '王建国', role: 'federation_cadre', at: 'xian', note: '西安市总工会干部' },
  { username: 'yanta_cadre', name: '李秀英', role: 'federation_cadre', at: 'yanta', note: '雁塔区总工会干部' },
  { username: 'yanta_finance', name: '赵敏', role: 'finance_officer', at: 'yanta', note: '雁塔区财务，须 TOTP' },
  // Pays the city's model-worker subsidies: the fund and the plans are the Xi'an federation's.
  { username: 'xian_finance', name: '周静', role: 'finance_officer', at: 'xian', note: '西安市财务，须 TOTP' },
] as const;

/**
 * The demo member: an account signed in by SMS and a real-name record with the same phone in
 * the demo's best-known grassroots union, so the portal links them on first visit and the
 * e-member card can be issued at once.
 */
export const DEMO_MEMBER = {
  phone: '13800138000',
  name: '张三',
  idNumber: '610113199005150019',
  union: '西安高新智造科技有限公司工会',
};
export const DEMO_MERCHANT = { username: 'merchant_demo', name: '秦味餐饮（演示商户）' };

export function demoDataWanted(config: Config): boolean {
  if (config.DEMO_DATA === 'auto') return config.NODE_ENV !== 'production';
  return config.DEMO_DATA === 'true';
}

/**
 * Load the demo data unless the database already holds organizations. Returns whether it did.
 * The federation is the small Shaanxi-like one of demo/federation.ts (all 10 cities and their
 * counties, a few thousand members), loaded in one transaction; the accounts go through the
 * access service like any provisioned user.
 */
export async function seedDemoData(app: { services: Services; core: CoreDeps }): Promise<boolean> {
  const { services, core } = app;
  if ((await services.orgs.count()) > 0) return false;
  const ctx: RequestContext = { actor: SYSTEM_ACTOR };
  const { access } = services;

  const plan = planFederation(SMALL_FEDERATION, core.now().toISOString());
  await loadFederation(core, ctx, plan);
  const federation = (code: string) => plan.federations.get(code)!;
  const at = { province: federation('610000'), xian: federation('610100'), yanta: federation('610113') };

  for (const a of DEMO_ACCOUNTS) {
    const user = await access.provisionUser(ctx, {
      kind: 'cadre',
      username: a.username,
      displayName: a.name,
      orgId: at[a.at].id,
      password: DEMO_PASSWORD,
    });
    await access.provisionGrant(ctx, { userId: user.id, roleCode: a.role, orgId: at[a.at].id });
  }
  await seedModelWorkers(services, core, ctx, at.xian);
  // Where a merchant's grant sits does not limit what it verifies (decision 0015); the city
  // federation is simply who signs the demo merchant up.
  const merchant = await access.provisionUser(ctx, {
    kind: 'merchant',
    username: DEMO_MERCHANT.username,
    displayName: DEMO_MERCHANT.name,
    orgId: at.xian.id,
    password: DEMO_PASSWORD,
  });
  await access.provisionGrant(ctx, { userId: merchant.id, roleCode: 'merchant', orgId: at.xian.id });
  await access.provisionUser(ctx, {
    kind: 'member',
    displayName: DEMO_MEMBER.name,
    phone: DEMO_MEMBER.phone,
    password: DEMO_PASSWORD,
  });
  const union = plan.orgs.find((o) => o.name === DEMO_MEMBER.union)!;
  await services.members.provisionMember(ctx, {
    orgId: union.id,
    name: DEMO_MEMBER.name,
    idNumber: DEMO_MEMBER.idNumber,
    phone: DEMO_MEMBER.phone,
    ethnicity: '01',
    politicalStatus: 'masses',
    education: 'bachelor',
    householdType: 'urban',
    householdRegion: '610113',
    employmentType: 'regular',
    joinDate: '2020-03-01',
  });
  // New-form pool unions, and a few join applications waiting in a union's review queue.
  await seedJoining(services, ctx, plan);
  // Xi'an's model-worker subsidy rules (seed 003) and a budget, so the demo can pay this year.
  await services.subsidies.provisionDefaults(ctx, at.xian.id, 100_000_000);
  // Membership transfers: the member's union and a union to move to, each with a cadre.
  await seedMembershipDemo(services, ctx, { memberUnionId: union.id, yantaId: at.yanta.id, password: DEMO_PASSWORD });
  return true;
}

/** What the start banner prints when the demo data was loaded. */
export function demoBanner(where: string, outbox: string): string[] {
  return [
    `演示数据已载入 / demo data loaded — password for every demo account: ${DEMO_PASSWORD}`,
    ...DEMO_ACCOUNTS.map((a) => `  工会端 console ${where}/  ${a.username.padEnd(14)} ${a.note}`),
    `  职工端 portal  ${where}/m/  phone ${DEMO_MEMBER.phone} (SMS code is written to ${outbox})`,
    `  商家端 merchant ${where}/merchant/  ${DEMO_MERCHANT.username}`,
    ...DEMO_TRANSFER.accounts.map((a) => `  工会端 console ${where}/  ${a.username.padEnd(14)} ${a.note}`),
  ];
}
