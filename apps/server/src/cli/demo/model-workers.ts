import { idNumberCheckChar, luhnCheckDigit, type modelWorkerCreateBody } from '@zhgh/contracts';
import type { z } from 'zod';
import type { Services } from '../../app.ts';
import type { RequestContext } from '../../core/actor.ts';
import type { CoreDeps } from '../../core/deps.ts';
import type { OrganizationTable } from '../../db/schema.ts';
import { subtreeUpperBound } from '../../core/org-path.ts';

/**
 * A handful of honours kept by the demo city federation, so the registry is not empty: one
 * of each level and category, an existing member among them, a farmer over 60 (the subsidies'
 * typical case), a revoked honour, bank cards on some. Fixed ID numbers, so a reloaded demo
 * looks the same.
 */
type Entry = Omit<z.infer<typeof modelWorkerCreateBody>, 'orgId' | 'farmer' | 'lostWorkCapacity'> & {
  farmer?: boolean;
  revoke?: { on: string; reason: string };
};

const id = (first17: string) => first17 + idNumberCheckChar(first17);
const card = (first18: string) => first18 + luhnCheckDigit(first18);

const ENTRIES: Entry[] = [
  {
    name: '郭明义',
    idNumber: id('61011319650312001'),
    phone: '13909180001',
    bankCard: card('622202370000123456'),
    bankName: '中国工商银行西安雁塔支行',
    category: 'model_worker',
    level: 'national',
    title: '全国劳动模范',
    awardingBody: '中共中央、国务院',
    yearAwarded: 2015,
    employmentStatus: 'retired',
  },
  {
    name: '李桂兰',
    idNumber: id('61012219580806002'),
    bankCard: card('622848040000765432'),
    bankName: '中国农业银行蓝田县支行',
    category: 'model_worker',
    level: 'provincial',
    title: '陕西省劳动模范',
    awardingBody: '陕西省人民政府',
    yearAwarded: 2005,
    employmentStatus: 'other',
    farmer: true,
  },
  {
    name: '王振华',
    idNumber: id('61010319780115003'),
    category: 'craftsman',
    level: 'provincial',
    title: '三秦工匠',
    awardingBody: '陕西省总工会',
    yearAwarded: 2021,
    employmentStatus: 'employed',
  },
  {
    name: '陈晓燕',
    idNumber: id('61011219860921004'),
    phone: '13909180004',
    // A card so the subsidy journey can pay her: she is the city model worker of the demo.
    bankCard: card('621700370000246801'),
    bankName: '中国建设银行西安高新支行',
    category: 'model_worker',
    level: 'city',
    title: '西安市劳动模范',
    awardingBody: '西安市人民政府',
    yearAwarded: 2019,
    employmentStatus: 'employed',
  },
  {
    name: '刘建军',
    idNumber: id('61011419700504005'),
    category: 'craftsman',
    level: 'city',
    title: '西安工匠',
    awardingBody: '西安市总工会',
    yearAwarded: 2018,
    employmentStatus: 'employed',
    revoke: { on: '2023-06-30', reason: '因严重违法违纪，经市总工会研究决定撤销其荣誉称号' },
  },
];

export async function seedModelWorkers(
  services: Services,
  core: CoreDeps,
  ctx: RequestContext,
  keeper: OrganizationTable,
): Promise<void> {
  // One honour goes to a member already on the roster, as most model workers are members.
  const member = await core.db
    .selectFrom('membership')
    .select('person_id')
    .where('org_path', '>=', keeper.path)
    .where('org_path', '<', subtreeUpperBound(keeper.path))
    .where('ended_on', 'is', null)
    .orderBy('id')
    .executeTakeFirst();
  const entries: Entry[] = member
    ? [
        ...ENTRIES,
        {
          personId: member.person_id,
          category: 'craftsman',
          level: 'city',
          title: '西安市技术能手',
          awardingBody: '西安市人力资源和社会保障局',
          yearAwarded: 2022,
          employmentStatus: 'employed',
        },
      ]
    : ENTRIES;
  for (const { revoke, ...entry } of entries) {
    const created = await services.modelWorkers.provision(ctx, {
      farmer: false,
      lostWorkCapacity: false,
      ...entry,
      orgId: keeper.id,
    });
    if (revoke) {
      await services.modelWorkers.revoke(ctx, created.row.id, { revokedOn: revoke.on, reason: revoke.reason });
    }
  }
}
