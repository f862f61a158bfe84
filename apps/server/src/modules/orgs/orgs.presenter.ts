import type { orgOutput } from '@zhgh/contracts';
import type { z } from 'zod';
import type { OrganizationTable } from '../../db/schema.ts';

export function presentOrg(o: OrganizationTable): z.infer<typeof orgOutput> {
  return {
    id: o.id,
    parentId: o.parent_id,
    name: o.name,
    type: o.type as z.infer<typeof orgOutput>['type'],
    level: o.level as z.infer<typeof orgOutput>['level'],
    regionCode: o.region_code,
    path: o.path,
    depth: o.depth,
    status: o.status,
    createdAt: o.created_at,
  };
}
