import type { workUnitOutput } from '@zhgh/contracts';
import type { z } from 'zod';
import { maskPhone } from '../../core/crypto/mask.ts';
import type { WorkUnitTable } from '../../db/schema.ts';
import { foundingRequired } from './work-units.policy.ts';

/** `contactPhone` is the decrypted phone; it leaves the server masked, never whole. */
export function presentWorkUnit(u: WorkUnitTable, contactPhone: string | null): z.infer<typeof workUnitOutput> {
  return {
    id: u.id,
    name: u.name,
    creditCode: u.credit_code,
    unitType: u.unit_type,
    industry: u.industry,
    regionCode: u.region_code,
    address: u.address,
    employeeCount: u.employee_count,
    foundedOn: u.founded_on,
    chairName: u.chair_name,
    contactName: u.contact_name,
    contactPhone: contactPhone ? maskPhone(contactPhone) : null,
    orgId: u.org_id,
    unionOrgId: u.union_org_id,
    hasUnion: u.union_org_id !== null,
    foundingRequired: foundingRequired(u),
    createdAt: u.created_at,
    updatedAt: u.updated_at,
  };
}
