import { luhnCheckDigit } from '@zhgh/contracts';
import type { FastifyInstance } from 'fastify';
import { SYSTEM_ACTOR } from '../src/core/actor.ts';
import { newId } from '../src/core/ids.ts';
import type { ModelWorkerTable, OrganizationTable } from '../src/db/schema.ts';
import { SUBSIDY_PURPOSE } from '../src/modules/subsidies/subsidies.service.ts';
import { makeFundedBudget, makeMember, makeOrg, makeUser, randomIdNumber, randomPhone, unique } from './factories.ts';

/**
 * Fixtures of the subsidy tests: a city federation with a county below it (levels set, so the
 * report finds the county), model workers entered straight into the registry table (its
 * routes are another module's), member accounts bound to their real-name record, and a funded
 * subsidy budget.
 */

const sys = { actor: SYSTEM_ACTOR };

export function bankCard(): string {
  const payload = `621700${String(Math.floor(Math.random() * 1e12)).padStart(12, '0')}`;
  return payload + luhnCheckDigit(payload);
}

/** province → city (level city) → county (level county) → grassroots, plus a sibling county. */
export async function makeCityTree(app: FastifyInstance) {
  const orgs = app.services.orgs;
  const province = await makeOrg(app);
  const child = (parent: OrganizationTable, name: string, level: 'city' | 'county' | null, type = 'federation') =>
    orgs.provisionChild(sys, {
      parentId: parent.id,
      name: unique(name),
      type: type as 'federation',
      level,
    });
  const city = await child(province, '市总工会', 'city');
  const county = await child(city, '区总工会', 'county');
  const grassroots = await child(county, '公司工会', null, 'grassroots');
  const sibling = await child(city, '邻区总工会', 'county');
  const siblingGrassroots = await child(sibling, '邻区公司工会', null, 'grassroots');
  return { province, city, county, grassroots, sibling, siblingGrassroots };
}

export interface WorkerOptions {
  /** The member's grassroots union. */
  org: OrganizationTable;
  /** The union keeping the registry entry (default: the member's union). */
  registryOrg?: OrganizationTable;
  gender?: 'male' | 'female';
  birthDate?: string;
  level?: ModelWorkerTable['level'];
  farmer?: boolean;
  lostWorkCapacity?: boolean;
  honor?: 'kept' | 'revoked';
  deceasedOn?: string | null;
  bankCard?: boolean;
  /** Also a member account bound to the person (for portal requests). */
  account?: boolean;
  name?: string;
}

/** A registered member entered in the model-worker registry, optionally with a bound account. */
export async function makeModelWorker(app: FastifyInstance, o: WorkerOptions) {
  const phone = randomPhone();
  const member = await makeMember(app, {
    org: o.org,
    name: o.name ?? '王劳模',
    phone,
    idNumber: randomIdNumber({
      ...(o.birthDate ? { birthDate: o.birthDate } : { birthDate: '1970-05-01' }),
      gender: o.gender ?? 'male',
    }),
    ...(o.bankCard === false ? {} : { bankCard: bankCard() }),
  });
  const registry = o.registryOrg ?? o.org;
  const at = new Date().toISOString();
  const worker: ModelWorkerTable = {
    id: newId(),
    person_id: member.person.id,
    org_id: registry.id,
    org_path: registry.path,
    province_root: registry.province_root,
    category: 'model_worker',
    level: o.level ?? 'city',
    title: '市级劳动模范',
    awarding_body: '市人民政府',
    year_awarded: 2015,
    certificate_no: unique('LM'),
    honor_status: o.honor ?? 'kept',
    revoked_on: o.honor === 'revoked' ? '2020-01-01' : null,
    revoked_reason: o.honor === 'revoked' ? '违法违纪' : null,
    employment_status: 'employed',
    farmer: o.farmer ? 1 : 0,
    lost_work_capacity: o.lostWorkCapacity ? 1 : 0,
    deceased_on: o.deceasedOn ?? null,
    bank_name: '中国工商银行',
    created_at: at,
    updated_at: at,
  };
  await app.core.db.insertInto('model_worker').values(worker).execute();
  let user = null;
  if (o.account) {
    user = await makeUser(app, { kind: 'member', phone: randomPhone() });
    await app.core.db
      .updateTable('user_account')
      .set({ person_id: member.person.id })
      .where('id', '=', user.user.id)
      .execute();
  }
  return { personId: member.person.id, phone, worker, user };
}

/** Money in the city's model-worker subsidy budget, from its funding account. */
export async function fundBudget(app: FastifyInstance, org: OrganizationTable, fen: number) {
  return (await makeFundedBudget(app, org, fen, SUBSIDY_PURPOSE)).budget;
}

/** A bank result file: `行号,结果,原因` rows. */
export function resultFile(rows: readonly { lineNo: number; paid: boolean; reason?: string }[]): Buffer {
  return Buffer.from(
    ['行号,结果,原因', ...rows.map((r) => `${r.lineNo},${r.paid ? '成功' : '失败'},${r.reason ?? ''}`)].join('\r\n') +
      '\r\n',
    'utf8',
  );
}
