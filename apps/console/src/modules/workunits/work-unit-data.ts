import type { RouteOutput, workUnitRoutes } from '@zhgh/contracts';
import type { CallInput } from '@zhgh/web';

export type WorkUnit = RouteOutput<typeof workUnitRoutes.get>;
export type WorkUnitCreateBody = NonNullable<CallInput<typeof workUnitRoutes.create>['body']>;
export type WorkUnitUpdateBody = NonNullable<CallInput<typeof workUnitRoutes.update>['body']>;

/** What the work-unit form holds; empty strings are "not typed". */
export interface WorkUnitForm {
  name: string;
  creditCode: string;
  unitType: string;
  industry: string;
  regionCode: string;
  address: string;
  employeeCount: number;
  foundedOn: string;
  chairName: string;
  contactName: string;
  /** Typed only to replace the stored one: the unit shows it masked. */
  contactPhone: string;
  orgId: string | undefined;
  unionOrgId: string | undefined;
}

export function blankWorkUnitForm(orgId?: string): WorkUnitForm {
  return {
    name: '',
    creditCode: '',
    unitType: '',
    industry: '',
    regionCode: '',
    address: '',
    employeeCount: 0,
    foundedOn: '',
    chairName: '',
    contactName: '',
    contactPhone: '',
    orgId,
    unionOrgId: undefined,
  };
}

export function workUnitFormOf(u: WorkUnit): WorkUnitForm {
  return {
    name: u.name,
    creditCode: u.creditCode ?? '',
    unitType: u.unitType ?? '',
    industry: u.industry ?? '',
    regionCode: u.regionCode ?? '',
    address: u.address ?? '',
    employeeCount: u.employeeCount,
    foundedOn: u.foundedOn ?? '',
    chairName: u.chairName ?? '',
    contactName: u.contactName ?? '',
    contactPhone: '',
    orgId: u.orgId,
    unionOrgId: u.unionOrgId ?? undefined,
  };
}

const OPTIONAL_TEXT = ['creditCode', 'address', 'foundedOn', 'chairName', 'contactName'] as const;

/** The create body: optional fields left out when empty. */
export function createBodyOf(f: WorkUnitForm): WorkUnitCreateBody {
  const body: Record<string, string | number | null> = {
    name: f.name.trim(),
    unitType: f.unitType,
    industry: f.industry,
    regionCode: f.regionCode.trim(),
    employeeCount: f.employeeCount,
    orgId: f.orgId ?? '',
  };
  for (const key of OPTIONAL_TEXT) if (f[key].trim()) body[key] = f[key].trim();
  if (f.contactPhone.trim()) body.contactPhone = f.contactPhone.trim();
  if (f.unionOrgId) body.unionOrgId = f.unionOrgId;
  // Code fields come from selects that offer only the contract's codes; the server validates again.
  return body as WorkUnitCreateBody;
}

/**
 * The PATCH body: only what changed; an optional field emptied becomes null (the contract's
 * "clear"). The contact phone travels only when retyped, since the form never sees it in full.
 */
export function updateBodyOf(before: WorkUnit, f: WorkUnitForm): WorkUnitUpdateBody {
  const body: Record<string, string | number | null> = {};
  const required = { name: f.name.trim(), unitType: f.unitType, industry: f.industry, regionCode: f.regionCode.trim() };
  for (const [key, value] of Object.entries(required)) {
    if (value && value !== (before[key as keyof typeof required] ?? '')) body[key] = value;
  }
  if (f.employeeCount !== before.employeeCount) body.employeeCount = f.employeeCount;
  for (const key of OPTIONAL_TEXT) {
    const value = f[key].trim() || null;
    if (value !== before[key]) body[key] = value;
  }
  if (f.contactPhone.trim()) body.contactPhone = f.contactPhone.trim();
  if (f.orgId && f.orgId !== before.orgId) body.orgId = f.orgId;
  const union = f.unionOrgId ?? null;
  if (union !== before.unionOrgId) body.unionOrgId = union;
  return body as WorkUnitUpdateBody;
}
