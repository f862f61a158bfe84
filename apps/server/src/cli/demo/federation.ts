import { NEW_FORM_GROUPS } from '@zhgh/contracts';
import type { OrganizationTable, WorkUnitTable } from '../../db/schema.ts';
import { fakeCreditCode, fakeIdNumber, fakeMobile } from './identity.ts';
import { personName } from './names.ts';
import {
  AREA_CODES,
  CITY_WEIGHTS,
  cities,
  countiesOf,
  type Place,
  PROVINCE,
  shortName,
  townshipsOf,
} from './places.ts';
import { Random, Weighted } from './random.ts';
import { address, companyDraft, institutionDraft, smallUnitDraft, type UnitDraft } from './units.ts';

/**
 * A Shaanxi-like federation (DOMAIN §3.1): 陕西省总工会 → the 10 cities → their real counties
 * and districts → township/street unions (real names) and industry unions → grassroots unions,
 * each with its work unit, small-unit joint unions and new-form joint unions (快递、网约车、外卖 …),
 * plus units that have no union yet (the 建会率 gap). Members carry valid fake ID numbers,
 * common names and unique phones. Everything follows from `seed`: the same numbers give the
 * same federation, person for person.
 *
 * The plan (organizations, units) is held in memory; members are produced in batches, so 5
 * million of them never are.
 */
export interface FederationSize {
  seed: number;
  /** Members in total (open memberships). */
  members: number;
  /** Unions that hold members: grassroots and joint unions. */
  unions: number;
}

/** What `npm start` loads: a few thousand members, fast. */
export const SMALL_FEDERATION: FederationSize = { seed: 2026, members: 3_000, unions: 160 };
/** The benchmark's federation: 5 million members in about 60,000 unions. */
export const BENCH_FEDERATION: FederationSize = { seed: 2026, members: 5_000_000, unions: 58_000 };

export type UnionKind = 'company' | 'school' | 'hospital' | 'organ' | 'smallUnits' | 'newForm';

/** A union that holds members, with what the member generator needs about it. */
export interface MemberUnion {
  org: OrganizationTable;
  kind: UnionKind;
  industry: string;
  countyCode: string;
  /** Units the members work at (empty for new-form unions). */
  unitIds: string[];
  newFormGroup: string | null;
  members: number;
}

/** A grassroots union's unit, drafted before its size (and so its employees) is known. */
type Drafted = MemberUnion & { draft?: UnitDraft; town?: string };

/** A work unit row without its encrypted contact phone, and that phone in clear. */
export interface DemoWorkUnit {
  row: Omit<WorkUnitTable, 'contact_phone_cipher'>;
  contactPhone: string | null;
}

export interface FederationPlan {
  size: FederationSize;
  /** Parents before children. */
  orgs: OrganizationTable[];
  workUnits: DemoWorkUnit[];
  unions: MemberUnion[];
  /** Federations by region code (province, cities, counties). */
  federations: Map<string, OrganizationTable>;
}

/** A member in clear, as a registration form would carry it. */
export interface DemoMember {
  union: MemberUnion;
  name: string;
  idNumber: string;
  gender: 'male' | 'female';
  birthDate: string;
  phone: string | null;
  ethnicity: string;
  politicalStatus: string;
  education: string;
  householdType: 'urban' | 'rural';
  householdRegion: string;
  employmentType: string;
  newFormGroup: string | null;
  workUnitId: string | null;
  workUnitName: string | null;
  realNameVerified: boolean;
  status: 'active' | 'retained';
  joinDate: string;
}

/**
 * Ids shaped as UUIDv7 (the platform's ids) but drawn from the seed: time-ordered like real
 * ones, so B-tree inserts stay at the right edge, and the same on every run.
 */
export class IdSource {
  private n = 0;
  constructor(
    private readonly random: Random,
    private readonly baseMs: number,
  ) {}

  next(): string {
    const n = this.n++;
    const ms = this.baseMs + Math.floor(n / 4096);
    const seq = n % 4096;
    const hex = (v: number, digits: number) => v.toString(16).padStart(digits, '0');
    const r1 = Math.floor(this.random.next() * 0x40000000);
    const r2 = Math.floor(this.random.next() * 0x100000000);
    const msHex = hex(ms, 12);
    return `${msHex.slice(0, 8)}-${msHex.slice(8)}-7${hex(seq, 3)}-${hex(0x8000 | (r1 & 0x3fff), 4)}-${hex(r1 >>> 14, 4)}${hex(r2, 8)}`;
  }
}

const BASE_MS = Date.UTC(2026, 0, 1);

const NEW_FORM_UNIONS: readonly { group: string; suffix: string; platforms: readonly string[] }[] = [
  {
    group: 'courier',
    suffix: '快递物流行业联合工会',
    platforms: ['顺丰速运', '中通快递', '圆通速递', '韵达快递', '京东物流', '极兔速递'],
  },
  { group: 'ride_hailing', suffix: '网约车司机联合工会', platforms: ['滴滴出行', '曹操出行', 'T3出行', '花小猪打车'] },
  { group: 'delivery_rider', suffix: '外卖送餐员联合工会', platforms: ['美团外卖', '饿了么'] },
  { group: 'truck_driver', suffix: '货车司机联合工会', platforms: ['满帮', '货拉拉', '运满满'] },
  { group: 'domestic', suffix: '家政服务业联合工会', platforms: ['58到家', '天鹅到家', '好慷在家'] },
  { group: 'security_guard', suffix: '保安员联合工会', platforms: ['陕西保安服务集团', '西安保安服务公司'] },
];

const INDUSTRY_UNIONS: readonly { suffix: string; kinds: readonly string[] }[] = [
  { suffix: '教育工会', kinds: ['school'] },
  { suffix: '卫生健康工会', kinds: ['hospital'] },
  { suffix: '建设工会', kinds: ['E'] },
  { suffix: '交通运输工会', kinds: ['G'] },
];

/** Median members by kind before scaling: hospitals and new-form unions are large, organs small. */
const MEDIAN: Record<UnionKind, number> = {
  company: 40,
  school: 60,
  hospital: 120,
  organ: 25,
  smallUnits: 30,
  newForm: 150,
};

const GRASSROOTS_KINDS = new Weighted<'company' | 'school' | 'hospital' | 'organ'>([
  ['company', 82],
  ['school', 7],
  ['hospital', 5],
  ['organ', 6],
]);

function split(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (w / sum) * total);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0]);
  for (const [, i] of order) {
    if (left-- <= 0) break;
    out[i]!++;
  }
  return out;
}

/** Build the organizations and work units of a federation of `size`. */
export function planFederation(size: FederationSize, now: string): FederationPlan {
  const random = new Random(size.seed);
  const ids = new IdSource(random.fork(1), BASE_MS);
  const unitCounter = { n: 0 };
  const orgs: OrganizationTable[] = [];
  const workUnits: DemoWorkUnit[] = [];
  const unions: MemberUnion[] = [];
  const federations = new Map<string, OrganizationTable>();
  const usedNames = new Set<string>();

  const org = (
    parent: OrganizationTable | null,
    name: string,
    type: string,
    level: string | null,
    regionCode: string | null,
  ): OrganizationTable => {
    const id = ids.next();
    const path = `${parent?.path ?? '/'}${id}/`;
    const row: OrganizationTable = {
      id,
      parent_id: parent?.id ?? null,
      name,
      type,
      level,
      region_code: regionCode,
      path,
      depth: (parent?.depth ?? -1) + 1,
      province_root: parent?.province_root ?? path,
      status: 'active',
      created_at: now,
      updated_at: now,
      dissolved_at: null,
      merged_into_id: null,
      status_reason: null,
    };
    orgs.push(row);
    return row;
  };

  /** A name not yet taken in this federation: real registers refuse duplicates too. */
  const unique = (draft: () => UnitDraft): UnitDraft => {
    let d = draft();
    for (let i = 0; i < 4 && usedNames.has(d.name); i++) d = draft();
    if (usedNames.has(d.name)) d = { ...d, name: `${d.name.replace(/有限公司$|$/, '')}第${usedNames.size}分公司` };
    usedNames.add(d.name);
    return d;
  };

  const unit = (
    d: UnitDraft,
    at: OrganizationTable,
    union: OrganizationTable | null,
    place: { city: Place; county: Place; town: string },
    employees: number,
  ): string => {
    const id = ids.next();
    const i = unitCounter.n++;
    const area = AREA_CODES[place.city.code] ?? '029';
    const year = random.int(1985, 2024);
    workUnits.push({
      row: {
        id,
        name: d.name,
        credit_code: fakeCreditCode(d.unitType, place.county.code, i),
        unit_type: d.unitType,
        industry: d.industry,
        region_code: place.county.code,
        address: address(random, place.city.name, place.county.name, place.town),
        employee_count: employees,
        founded_on: `${year}-${String(random.int(1, 12)).padStart(2, '0')}-${String(random.int(1, 28)).padStart(2, '0')}`,
        chair_name: union ? personName(random, random.chance(0.6) ? 'male' : 'female') : null,
        contact_name: personName(random, random.chance(0.5) ? 'male' : 'female'),
        union_org_id: union?.id ?? null,
        org_id: at.id,
        org_path: at.path,
        province_root: at.province_root,
        created_at: now,
        updated_at: now,
      },
      contactPhone: random.chance(0.6) ? `${area}-8${String(random.int(0, 9_999_999)).padStart(7, '0')}` : null,
    });
    return id;
  };

  const province = org(null, `${PROVINCE.name}总工会`, 'federation', 'province', PROVINCE.code);
  federations.set(PROVINCE.code, province);

  // County weights: members follow population; urban districts weigh more than rural counties.
  const counties: { city: Place; county: Place; weight: number; cityOrg: OrganizationTable }[] = [];
  for (const city of cities()) {
    const cityOrg = org(province, `${city.name}总工会`, 'federation', 'city', city.code);
    federations.set(city.code, cityOrg);
    const list = countiesOf(city.code);
    const raw = list.map((c) => (c.name.endsWith('区') ? 1.6 : 1) * (0.6 + 0.8 * random.next()));
    const sum = raw.reduce((a, b) => a + b, 0);
    list.forEach((county, i) =>
      counties.push({ city, county, cityOrg, weight: ((CITY_WEIGHTS[city.code] ?? 1) * raw[i]!) / sum }),
    );
  }
  const unionCounts = split(
    size.unions,
    counties.map((c) => c.weight),
  ).map((n) => Math.max(n, 1));

  counties.forEach(({ city, county, cityOrg }, ci) => {
    const countyOrg = org(cityOrg, `${county.name}总工会`, 'federation', 'county', county.code);
    federations.set(county.code, countyOrg);
    const u = unionCounts[ci]!;
    const place = shortName(county.name);
    const streets = townshipsOf(county.code);
    const towns = streets.slice(0, Math.min(streets.length, Math.max(1, Math.ceil(u / 25))));
    const townOrgs = towns.map((t) => ({
      town: t,
      org: org(countyOrg, `${t.name}总工会`, 'township', null, county.code),
    }));
    const industry = new Map<string, OrganizationTable>();
    const industryCount = u >= 80 ? 4 : u >= 20 ? 2 : u >= 6 ? 1 : 0;
    for (const iu of INDUSTRY_UNIONS.slice(0, industryCount)) {
      const o = org(countyOrg, `${county.name}${iu.suffix}`, 'industry', null, county.code);
      for (const k of iu.kinds) industry.set(k, o);
    }
    const townOf = () => (townOrgs.length > 0 ? random.pick(townOrgs) : null);
    const placeOf = (town: string) => ({ city, county, town });

    // New-form joint unions sit under the county federation; Yanta always has its couriers'.
    const newForm = NEW_FORM_UNIONS.slice(0, u >= 150 ? 6 : u >= 60 ? 3 : u >= 15 ? 1 : 0);
    if (county.code === '610113' && newForm.length === 0) newForm.push(NEW_FORM_UNIONS[0]!);
    const smallJoints = Math.floor(u * 0.04);
    const grassroots = Math.max(u - newForm.length - smallJoints, 1);

    const members: MemberUnion[] = [];
    for (const nf of newForm) {
      const o = org(countyOrg, `${county.name}${nf.suffix}`, 'joint', null, county.code);
      members.push({
        org: o,
        kind: 'newForm',
        industry: 'G',
        countyCode: county.code,
        unitIds: [],
        newFormGroup: nf.group,
        members: 0,
      });
    }
    if (county.code === '610113') {
      // The demo's best-known grassroots union (the README and browser tests name it).
      const o = org(countyOrg, '西安高新智造科技有限公司工会', 'grassroots', null, county.code);
      members.push({
        org: o,
        kind: 'company',
        industry: 'C',
        countyCode: county.code,
        unitIds: [],
        newFormGroup: null,
        members: 0,
      });
    }
    for (let i = 0; i < smallJoints; i++) {
      const t = townOf();
      if (!t) break;
      const o = org(t.org, `${t.town.name}小微企业联合工会`, 'joint', null, county.code);
      members.push({
        org: o,
        kind: 'smallUnits',
        industry: 'F',
        countyCode: county.code,
        unitIds: [],
        newFormGroup: null,
        members: 0,
      });
    }
    for (let i = 0; i < grassroots; i++) {
      const kind = GRASSROOTS_KINDS.pick(random);
      const t = townOf();
      const town = t?.town.name ?? county.name;
      const d = unique(() =>
        kind === 'company' ? companyDraft(random, place) : institutionDraft(random, kind, county.name, town),
      );
      const industryUnion = industry.get(kind) ?? (random.chance(0.7) ? industry.get(d.industry) : undefined);
      const parent = kind === 'organ' ? countyOrg : (industryUnion ?? t?.org ?? countyOrg);
      const o = org(parent, `${d.name}工会`, 'grassroots', null, county.code);
      const mu: Drafted = {
        org: o,
        kind,
        industry: d.industry,
        countyCode: county.code,
        unitIds: [],
        newFormGroup: null,
        members: 0,
        draft: d,
        town,
      };
      members.push(mu);
    }
    unions.push(...members);

    // Units without a union: answered for by the county federation; some must found one.
    for (let i = 0, n = Math.round(u * 0.15); i < n; i++) {
      const t = townOf();
      const d = unique(() => companyDraft(random, place));
      unit(d, countyOrg, null, placeOf(t?.town.name ?? ''), Math.max(3, Math.round(random.logNormal(35, 1.1))));
    }
  });

  // Member counts: a long tail (a few large employers, many small ones), scaled to the total.
  const raw = unions.map((u) => random.logNormal(MEDIAN[u.kind], 1.0));
  const counts = split(size.members, raw);
  unions.forEach((u, i) => (u.members = counts[i]!));

  // Work units now that their sizes are known: employees exceed members (入会率 below 100 %).
  for (const u of unions) {
    const extra = u as Drafted;
    const county = counties.find((c) => c.county.code === u.countyCode)!;
    const rate = 0.72 + 0.26 * random.next();
    if (u.kind === 'newForm') continue;
    if (u.kind === 'smallUnits') {
      const k = random.int(3, 8);
      const shares = split(
        u.members,
        Array.from({ length: k }, () => random.next() + 0.2),
      );
      const town = u.org.name.replace('小微企业联合工会', '');
      for (const s of shares) {
        const d = unique(() => smallUnitDraft(random, shortName(county.county.name)));
        u.unitIds.push(
          unit(d, u.org, u.org, { city: county.city, county: county.county, town }, Math.max(1, Math.ceil(s / rate))),
        );
      }
      continue;
    }
    const d = extra.draft ?? { name: u.org.name.replace(/工会$/, ''), unitType: '170', industry: u.industry };
    usedNames.add(d.name);
    u.unitIds.push(
      unit(
        d,
        u.org,
        u.org,
        { city: county.city, county: county.county, town: extra.town ?? '高新路' },
        Math.max(1, Math.ceil(u.members / rate)),
      ),
    );
    delete extra.draft;
    delete extra.town;
  }
  return { size, orgs, workUnits, unions, federations };
}

const EMPLOYMENT: Record<string, Weighted<string>> = {
  default: new Weighted([
    ['regular', 75],
    ['dispatched', 12],
    ['migrant', 8],
    ['flexible', 5],
  ]),
  C: new Weighted([
    ['regular', 65],
    ['migrant', 20],
    ['dispatched', 12],
    ['flexible', 3],
  ]),
  E: new Weighted([
    ['migrant', 55],
    ['regular', 30],
    ['dispatched', 10],
    ['flexible', 5],
  ]),
  G: new Weighted([
    ['regular', 55],
    ['new_form', 20],
    ['migrant', 10],
    ['dispatched', 10],
    ['flexible', 5],
  ]),
  H: new Weighted([
    ['regular', 45],
    ['flexible', 25],
    ['migrant', 20],
    ['dispatched', 10],
  ]),
  public: new Weighted([
    ['regular', 90],
    ['dispatched', 8],
    ['flexible', 2],
  ]),
  smallUnits: new Weighted([
    ['regular', 45],
    ['migrant', 25],
    ['flexible', 20],
    ['dispatched', 10],
  ]),
};

const EDUCATION: Record<'public' | 'company' | 'manual', Weighted<string>> = {
  public: new Weighted([
    ['bachelor', 55],
    ['master', 15],
    ['college', 20],
    ['senior', 8],
    ['doctor', 2],
  ]),
  company: new Weighted([
    ['senior', 25],
    ['vocational', 15],
    ['college', 25],
    ['bachelor', 20],
    ['junior', 12],
    ['master', 3],
  ]),
  manual: new Weighted([
    ['junior', 40],
    ['senior', 30],
    ['vocational', 15],
    ['primary', 5],
    ['college', 10],
  ]),
};

const ETHNICITY = new Weighted([
  ['01', 994],
  ['03', 5],
  ['11', 1],
]);

const DAY_MS = 86_400_000;
const addYears = (date: string, years: number) =>
  `${Number(date.slice(0, 4)) + years}${date.slice(4)}`.replace('-02-29', '-02-28');

/**
 * The members of a plan, in batches of up to `batchSize`, union by union. Deterministic:
 * the same plan and `today` give the same people in the same order.
 */
export function* generateMembers(plan: FederationPlan, today: string, batchSize = 10_000): Generator<DemoMember[]> {
  const random = new Random(plan.size.seed).fork(2);
  const regionCounters = new Map<string, number>();
  const countyCodes = [...plan.federations.values()].filter((f) => f.level === 'county').map((f) => f.region_code!);
  const todayMs = Date.parse(`${today}T00:00:00Z`);
  const floorJoin = Date.parse('2000-01-01T00:00:00Z');
  const groups = NEW_FORM_GROUPS.map((g) => g.code);
  let phoneNo = 0;
  let batch: DemoMember[] = [];

  for (const u of plan.unions) {
    const publicSector = u.kind === 'school' || u.kind === 'hospital' || u.kind === 'organ';
    const employment =
      u.kind === 'smallUnits'
        ? EMPLOYMENT.smallUnits!
        : publicSector
          ? EMPLOYMENT.public!
          : (EMPLOYMENT[u.industry] ?? EMPLOYMENT.default!);
    const maleShare =
      u.industry === 'E' || u.kind === 'newForm'
        ? 0.85
        : u.kind === 'hospital'
          ? 0.3
          : u.kind === 'school'
            ? 0.35
            : 0.55;
    const platforms = NEW_FORM_UNIONS.find((n) => n.group === u.newFormGroup)?.platforms ?? [];
    for (let i = 0; i < u.members; i++) {
      const gender = random.chance(maleShare) ? 'male' : 'female';
      const region = random.chance(0.65) ? u.countyCode : random.pick(countyCodes);
      const k = regionCounters.get(region) ?? 0;
      regionCounters.set(region, k + 1);
      const { idNumber, birthDate } = fakeIdNumber(region, k, gender);
      const age = Math.floor((todayMs - Date.parse(`${birthDate}T00:00:00Z`)) / (365.25 * DAY_MS));

      let employmentType: string;
      let newFormGroup: string | null = null;
      if (u.kind === 'newForm') {
        employmentType = random.chance(0.92) ? 'new_form' : 'flexible';
        if (employmentType === 'new_form') newFormGroup = u.newFormGroup;
      } else {
        employmentType = employment.pick(random);
        if (employmentType === 'new_form') newFormGroup = u.industry === 'G' ? 'truck_driver' : random.pick(groups);
      }
      const manual = employmentType === 'migrant' || employmentType === 'new_form';

      // Joined at 18 or later (16 for the youngest), not before the platform's records begin.
      let earliest = Math.max(Date.parse(`${addYears(birthDate, 18)}T00:00:00Z`), floorJoin);
      if (earliest > todayMs) earliest = Date.parse(`${addYears(birthDate, 16)}T00:00:00Z`);
      const joinDate = new Date(earliest + Math.floor(random.next() * ((todayMs - earliest) / DAY_MS)) * DAY_MS)
        .toISOString()
        .slice(0, 10);

      const political = random.next();
      batch.push({
        union: u,
        name: personName(random, gender),
        idNumber,
        gender,
        birthDate,
        phone: random.chance(0.93) ? fakeMobile(phoneNo++) : null,
        ethnicity: ETHNICITY.pick(random),
        politicalStatus:
          political < (publicSector ? 0.45 : 0.12)
            ? 'cpc_member'
            : age < 28 && political < 0.5
              ? 'cyl_member'
              : 'masses',
        education: (publicSector ? EDUCATION.public : manual ? EDUCATION.manual : EDUCATION.company).pick(random),
        householdType: employmentType === 'migrant' || random.chance(0.3) ? 'rural' : 'urban',
        householdRegion: region,
        employmentType,
        newFormGroup,
        workUnitId: u.unitIds.length > 0 ? random.pick(u.unitIds) : null,
        workUnitName:
          u.unitIds.length === 0 && platforms.length > 0 && random.chance(0.8) ? random.pick(platforms) : null,
        realNameVerified: random.chance(0.88),
        // Retirees keep their membership (保留会籍); a few others too (between jobs).
        status: (age >= 60 ? random.chance(0.4) : random.chance(0.015)) ? 'retained' : 'active',
        joinDate,
      });
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}
