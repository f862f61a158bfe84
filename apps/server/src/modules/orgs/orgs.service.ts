import type { orgCreateBody } from '@zhgh/contracts';
import type { z } from 'zod';
import { requireInScope, scopeFor } from '../../core/access/scope.ts';
import type { RequestContext } from '../../core/actor.ts';
import { AppError } from '../../core/app-error.ts';
import { provinceRootOf } from '../../core/audit/audit.ts';
import type { CoreDeps } from '../../core/deps.ts';
import { newId } from '../../core/ids.ts';
import type { OrganizationTable } from '../../db/schema.ts';
import type { RegionsService } from '../regions/regions.service.ts';
import { orgsRepository as repo } from './orgs.repository.ts';

export function createOrgsService(deps: CoreDeps, regions: RegionsService) {
  const { db, write } = deps;

  /** Load an organization the actor may see with `permission`; NOT_FOUND otherwise. */
  async function loadInScope(ctx: RequestContext, id: string, permission: string): Promise<OrganizationTable> {
    const org = await repo.findById(db, id);
    if (!org) throw AppError.notFound();
    requireInScope(scopeFor(ctx.principal, permission), org.path);
    return org;
  }

  async function insertUnder(
    ctx: RequestContext,
    parent: OrganizationTable,
    input: z.infer<typeof orgCreateBody>,
  ): Promise<OrganizationTable> {
    if (input.regionCode) regions.requireKnown(input.regionCode, 'body.regionCode');
    return write(ctx, async (s) => {
      const id = newId();
      const now = new Date().toISOString();
      const row: OrganizationTable = {
        id,
        parent_id: parent.id,
        name: input.name,
        type: input.type,
        level: input.type === 'federation' ? (input.level ?? null) : null,
        region_code: input.regionCode ?? null,
        path: `${parent.path}${id}/`,
        depth: parent.depth + 1,
        province_root: parent.province_root,
        status: 'active',
        created_at: now,
        updated_at: now,
        dissolved_at: null,
        merged_into_id: null,
        status_reason: null,
      };
      await repo.insert(s.trx, row);
      await s.audit({
        action: 'org.create',
        subjectType: 'organization',
        subjectId: id,
        orgPath: row.path,
        changes: [
          { field: 'name', to: row.name },
          { field: 'type', to: row.type },
          { field: 'parentId', to: parent.id },
        ],
      });
      return row;
    });
  }

  return {
    loadInScope,

    /** How many organizations exist at all (start-up decides whether to load demo data). */
    async count() {
      return repo.countAll(db);
    },

    async get(ctx: RequestContext, id: string) {
      return loadInScope(ctx, id, 'org.read');
    },

    async children(ctx: RequestContext, id: string) {
      await loadInScope(ctx, id, 'org.read');
      return repo.findChildrenInScope(db, id, scopeFor(ctx.principal, 'org.read'));
    },

    /** The organizations at the top of the actor's org.read scope. */
    async roots(ctx: RequestContext) {
      return repo.findByPaths(db, scopeFor(ctx.principal, 'org.read').paths);
    },

    async create(ctx: RequestContext, input: z.infer<typeof orgCreateBody>) {
      // The parent id comes from the body: it must be in scope like any id in a URL.
      const parent = await loadInScope(ctx, input.parentId, 'org.create');
      return insertUnder(ctx, parent, input);
    },

    /**
     * System bootstrap (demo seed, CLI, test factories): create under any parent without an
     * actor's scope. Never bound to a route.
     */
    async provisionChild(ctx: RequestContext, input: z.infer<typeof orgCreateBody>) {
      const parent = await repo.findById(db, input.parentId);
      if (!parent) throw AppError.notFound();
      return insertUnder(ctx, parent, input);
    },

    /** Create a root (a province or national federation). Only the seed and CLI call this. */
    async createRoot(
      ctx: RequestContext,
      input: { name: string; level: 'national' | 'province'; regionCode?: string },
    ) {
      if (input.regionCode) regions.requireKnown(input.regionCode, 'regionCode');
      return write(ctx, async (s) => {
        const id = newId();
        const now = new Date().toISOString();
        const path = `/${id}/`;
        const row: OrganizationTable = {
          id,
          parent_id: null,
          name: input.name,
          type: 'federation',
          level: input.level,
          region_code: input.regionCode ?? null,
          path,
          depth: 0,
          province_root: provinceRootOf(path)!,
          status: 'active',
          created_at: now,
          updated_at: now,
          dissolved_at: null,
          merged_into_id: null,
          status_reason: null,
        };
        await repo.insert(s.trx, row);
        await s.audit({
          action: 'org.create',
          subjectType: 'organization',
          subjectId: id,
          orgPath: path,
          changes: [{ field: 'name', to: input.name }],
        });
        return row;
      });
    },
  };
}
export type OrgsService = ReturnType<typeof createOrgsService>;
