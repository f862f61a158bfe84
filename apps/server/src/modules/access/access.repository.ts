import type { Kysely } from 'kysely';
import { inScope, type Scope } from '../../core/access/scope.ts';
import type { DB, RoleTable } from '../../db/schema.ts';
import type { GrantRow } from '../auth/auth.presenter.ts';

type Q = Kysely<DB>;

const grantColumns = [
  'role_grant.id',
  'role_grant.user_id',
  'role_grant.role_id',
  'role_grant.org_id',
  'role_grant.org_path',
  'role_grant.province_root',
  'role_grant.valid_from',
  'role_grant.valid_to',
  'role_grant.granted_by',
  'role_grant.created_at',
  'role_grant.revoked_at',
  'role_grant.revoked_by',
  'role.code as role_code',
  'role.name_zh as role_name_zh',
  'role.name_en as role_name_en',
  'organization.name as org_name',
] as const;

function grantsQuery(db: Q) {
  return db
    .selectFrom('role_grant')
    .innerJoin('role', 'role.id', 'role_grant.role_id')
    .innerJoin('organization', 'organization.id', 'role_grant.org_id')
    .select(grantColumns);
}

export const accessRepository = {
  /** Grants in force now: not revoked, started, not ended. */
  async findLiveGrants(db: Q, userId: string, now: string): Promise<GrantRow[]> {
    return grantsQuery(db)
      .where('role_grant.user_id', '=', userId)
      .where('role_grant.revoked_at', 'is', null)
      .where('role_grant.valid_from', '<=', now)
      .where((eb) => eb.or([eb('role_grant.valid_to', 'is', null), eb('role_grant.valid_to', '>', now)]))
      .orderBy('role_grant.created_at')
      .execute();
  },

  async findGrantById(db: Q, id: string): Promise<GrantRow | undefined> {
    return grantsQuery(db).where('role_grant.id', '=', id).executeTakeFirst();
  },

  async listGrants(
    db: Q,
    scope: Scope,
    filter: { userId?: string | undefined; includeRevoked: boolean; now: string },
    page: { limit: number; offset: number },
  ): Promise<{ rows: GrantRow[]; total: number }> {
    let q = grantsQuery(db).where((eb) => inScope(eb, 'role_grant.org_path', scope));
    if (filter.userId) q = q.where('role_grant.user_id', '=', filter.userId);
    if (!filter.includeRevoked) {
      q = q
        .where('role_grant.revoked_at', 'is', null)
        .where((eb) => eb.or([eb('role_grant.valid_to', 'is', null), eb('role_grant.valid_to', '>', filter.now)]));
    }
    const rows = await q.orderBy('role_grant.created_at', 'desc').limit(page.limit).offset(page.offset).execute();
    const count = await q
      .clearSelect()
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return { rows, total: Number(count.n) };
  },

  async permissionsOfRoles(db: Q, roleIds: readonly string[]): Promise<Map<string, Set<string>>> {
    const out = new Map<string, Set<string>>();
    if (roleIds.length === 0) return out;
    const rows = await db
      .selectFrom('role_permission')
      .select(['role_id', 'permission'])
      .where('role_id', 'in', [...roleIds])
      .execute();
    for (const r of rows) {
      const set = out.get(r.role_id) ?? new Set<string>();
      set.add(r.permission);
      out.set(r.role_id, set);
    }
    return out;
  },

  async listRoles(db: Q): Promise<RoleTable[]> {
    return db.selectFrom('role').selectAll().orderBy('builtin', 'desc').orderBy('code').execute();
  },

  async findRoleById(db: Q, id: string): Promise<RoleTable | undefined> {
    return db.selectFrom('role').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async findRoleByCode(db: Q, code: string): Promise<RoleTable | undefined> {
    return db.selectFrom('role').selectAll().where('code', '=', code).executeTakeFirst();
  },

  async replaceRolePermissions(db: Q, roleId: string, permissions: Iterable<string>): Promise<void> {
    await db.deleteFrom('role_permission').where('role_id', '=', roleId).execute();
    const values = [...permissions].map((permission) => ({ role_id: roleId, permission }));
    if (values.length > 0) await db.insertInto('role_permission').values(values).execute();
  },

  /** Users holding a live grant of a separated-duty role other than `except`. */
  async separatedDutiesOf(db: Q, userId: string, now: string): Promise<string[]> {
    const rows = await db
      .selectFrom('role_grant')
      .innerJoin('role', 'role.id', 'role_grant.role_id')
      .select('role.separated_duty')
      .where('role_grant.user_id', '=', userId)
      .where('role_grant.revoked_at', 'is', null)
      .where('role.separated_duty', 'is not', null)
      .where((eb) => eb.or([eb('role_grant.valid_to', 'is', null), eb('role_grant.valid_to', '>', now)]))
      .execute();
    return rows.map((r) => r.separated_duty!).filter(Boolean);
  },

  async userIdsHoldingRole(db: Q, roleId: string): Promise<string[]> {
    const rows = await db
      .selectFrom('role_grant')
      .select('user_id')
      .distinct()
      .where('role_id', '=', roleId)
      .where('revoked_at', 'is', null)
      .execute();
    return rows.map((r) => r.user_id);
  },
};
