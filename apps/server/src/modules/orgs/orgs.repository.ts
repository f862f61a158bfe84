import type { Kysely } from 'kysely';
import { inScope, type Scope } from '../../core/access/scope.ts';
import type { DB, OrganizationTable } from '../../db/schema.ts';

type Q = Kysely<DB>;

export const orgsRepository = {
  async findById(db: Q, id: string): Promise<OrganizationTable | undefined> {
    return db.selectFrom('organization').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async findManyByIds(db: Q, ids: readonly string[]): Promise<OrganizationTable[]> {
    if (ids.length === 0) return [];
    return db
      .selectFrom('organization')
      .selectAll()
      .where('id', 'in', [...ids])
      .execute();
  },

  async findByPaths(db: Q, paths: readonly string[]): Promise<OrganizationTable[]> {
    if (paths.length === 0) return [];
    return db
      .selectFrom('organization')
      .selectAll()
      .where('path', 'in', [...paths])
      .orderBy('name')
      .execute();
  },

  async findChildrenInScope(db: Q, parentId: string, scope: Scope): Promise<OrganizationTable[]> {
    return db
      .selectFrom('organization')
      .selectAll()
      .where('parent_id', '=', parentId)
      .where((eb) => inScope(eb, 'organization.path', scope))
      .orderBy('name')
      .execute();
  },

  async countAll(db: Q): Promise<number> {
    const row = await db
      .selectFrom('organization')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  },

  async insert(db: Q, row: OrganizationTable): Promise<void> {
    await db.insertInto('organization').values(row).execute();
  },
};
