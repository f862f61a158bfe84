import { creditCodeCheckChar, idNumberCheckChar } from '@zhgh/contracts';

/**
 * Valid fake identifiers, unique by construction (no set of issued values to remember, so
 * 5 million people cost no memory): each is a bijection of a counter. They pass every check
 * the platform makes (GB 11643, GB 32100) and are fake: nobody is issued numbers this way.
 */

const DAY_MS = 86_400_000;
const FIRST_BIRTH = Date.UTC(1960, 0, 1);
const LAST_BIRTH = Date.UTC(2008, 11, 31);
/** Birth dates 1960-01-01 … 2008-12-31. */
export const BIRTH_DAYS = (LAST_BIRTH - FIRST_BIRTH) / DAY_MS + 1;
/** A step coprime with BIRTH_DAYS: consecutive people of a region get scattered birth dates. */
const BIRTH_STEP = 7_919;

/**
 * The `k`-th person registered with ID region `regionCode`: birth date and sequence follow
 * from `k`, so two people of one region never share the first 17 characters. The sequence's
 * parity carries the gender (odd for men), as GB 11643 requires. Up to 500 × BIRTH_DAYS
 * (≈ 9 million) people per region.
 */
export function fakeIdNumber(
  regionCode: string,
  k: number,
  gender: 'male' | 'female',
): { idNumber: string; birthDate: string } {
  // Shifted per region, so the first person of every region is not born on the same day.
  const day = (k * BIRTH_STEP + Number(regionCode)) % BIRTH_DAYS;
  const round = Math.floor(k / BIRTH_DAYS);
  if (round >= 500) throw new Error(`region ${regionCode} ran out of fake ID numbers`);
  const birth = new Date(FIRST_BIRTH + day * DAY_MS).toISOString().slice(0, 10);
  const seq = String(round * 2 + (gender === 'male' ? 1 : 0)).padStart(3, '0');
  const first17 = `${regionCode}${birth.replaceAll('-', '')}${seq}`;
  return { idNumber: first17 + idNumberCheckChar(first17), birthDate: birth };
}

/** Mobile prefixes of the three carriers. 138 is left out: the demo member's phone is 13800138000. */
const MOBILE_PREFIXES = [
  '130 131 132 133 134 135 136 137 139 150 151 152 153 155 156 157 158 159 166 173 177 180 181 182 183 184 185 186',
  '187 188 189 191 198 199',
]
  .join(' ')
  .split(' ');
const PHONE_SPACE = 100_000_000;
/** Odd and not a multiple of 5: a bijection of the 8-digit suffix space. */
const PHONE_STEP = 48_271_117;

/** The `i`-th member's mobile number; distinct for every i below ~3 billion. */
export function fakeMobile(i: number): string {
  const prefix = MOBILE_PREFIXES[i % MOBILE_PREFIXES.length]!;
  const n = Math.floor(i / MOBILE_PREFIXES.length);
  const suffix = Number((BigInt(n) * BigInt(PHONE_STEP) + 12_345_679n) % BigInt(PHONE_SPACE));
  return prefix + String(suffix).padStart(8, '0');
}

const ORG_CODE_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2] as const;

/** GB 11714 organization code: 8 characters and a MOD 11 check character. */
function organizationCode(n: number): string {
  const body = String(n).padStart(8, '0');
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += Number(body[i]) * ORG_CODE_WEIGHTS[i]!;
  const c = 11 - (sum % 11);
  return body + (c === 10 ? 'X' : c === 11 ? '0' : String(c));
}

/** Registering authority and entity type of GB 32100 by unit type: 91 companies, 12 institutions … */
export function creditCodePrefix(unitType: string): string {
  if (unitType === '400') return '12';
  if (unitType === '500') return '11';
  if (unitType === '700') return '52';
  if (unitType === '600') return '92';
  return '91';
}

/** The `i`-th work unit's unified social credit code, registered in `regionCode`. */
export function fakeCreditCode(unitType: string, regionCode: string, i: number): string {
  // A scrambled counter keeps neighbouring units from having neighbouring codes.
  const n = Number((BigInt(i) * 7_654_321n + 10_000_019n) % 100_000_000n);
  const first17 = `${creditCodePrefix(unitType)}${regionCode}${organizationCode(n)}`;
  return first17 + creditCodeCheckChar(first17);
}
