import { type orgOutput, UNIT_UNION_TYPES } from '@zhgh/contracts';
import type { z } from 'zod';
import type { OrganizationTable } from '../../db/schema.ts';
import type { OrgCounts } from './orgs.repository.ts';

type OrgOutput = z.infer<typeof orgOutput>;

export function presentOrg(o: OrganizationTable, counts: OrgCounts): OrgOutput {
  const coversUnits = (UNIT_UNION_TYPES as readonly string[]).includes(o.type);
  return {
    id: o.id,
    parentId: o.parent_id,
    name: o.name,
    type: o.type as OrgOutput['type'],
    level: o.level as OrgOutput['level'],
    regionCode: o.region_code,
    path: o.path,
    depth: o.depth,
    status: o.status,
    statusReason: o.status_reason,
    dissolvedAt: o.dissolved_at,
    mergedIntoId: o.merged_into_id,
    childCount: counts.children.get(o.id) ?? 0,
    workUnitCount: coversUnits ? (counts.workUnits.get(o.id) ?? 0) : null,
    createdAt: o.created_at,
  };
}
