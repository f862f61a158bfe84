import { BUILTIN_ROLES, withDependencies } from '@zhgh/contracts';
import { sql } from 'kysely';
import { inScope, requireInScope, scopeFor } from '../../core/access/scope.ts';
import { type RequestContext, SYSTEM_ACTOR } from '../../core/actor.ts';
import { AppError, fieldError } from '../../core/app-error.ts';
import { hashPassword } from '../../core/crypto/passwords.ts';
import type { CoreDeps } from '../../core/deps.ts';
import { newId } from '../../core/ids.ts';
import type { UserAccountTable } from '../../db/schema.ts';
import { passwordProblems } from '../auth/auth.policy.ts';
import { authRepository } from '../auth/auth.repository.ts';
import { orgsRepository } from '../orgs/orgs.repository.ts';
import { checkGrant, checkRevoke } from './access.policy.ts';
import { presentRecovery, presentRole, presentUser } from './access.presenter.ts';
import { accessRepository as repo } from './access.repository.ts';

const PHONE_CTX = 'user.phone';

export function createAccessService(deps: CoreDeps) {
  const { db, write, cipher, blind } = deps;
  const iso = () => deps.now().toISOString();
  const phoneOf = (u: UserAccountTable) => (u.phone_cipher ? cipher.decrypt(u.phone_cipher, PHONE_CTX) : null);

  async function roleView(roleId: string) {
    const role = (await repo.findRoleById(db, roleId))!;
    const perms = await repo.permissionsOfRoles(db, [roleId]);
    return presentRole(role, perms.get(roleId) ?? []);
  }

  /** A user whose home organization is in the actor's scope for `permission`. */
  async function loadUserInScope(ctx: RequestContext, id: string, permission: string): Promise<UserAccountTable> {
    const user = await authRepository.findUserById(db, id);
    if (!user) throw AppError.notFound();
    requireInScope(scopeFor(ctx.principal, permission), user.org_path);
    return user;
  }

  async function loadOrgInScope(ctx: RequestContext, orgId: string, permission: string) {
    const org = await orgsRepository.findById(db, orgId);
    if (!org) throw AppError.notFound();
    requireInScope(scopeFor(ctx.principal, permission), org.path);
    return org;
  }

  /** A fresh account row; phone encrypted with its blind index, password hashed. */
  async function newUserRow(
    input: {
      kind: UserAccountTable['kind'];
      username: string | null;
      displayName: string;
      phone?: string | null | undefined;
      password?: string | null | undefined;
    },
    org: { id: string; path: string; province_root: string } | null,
    mustChangePassword: boolean,
  ): Promise<UserAccountTable> {
    const now = iso();
    return {
      id: newId(),
      kind: input.kind,
      username: input.username,
      display_name: input.displayName,
      phone_cipher: input.phone ? cipher.encrypt(input.phone, PHONE_CTX) : null,
      phone_index: input.phone ? blind.index(input.phone, PHONE_CTX) : null,
      org_id: org?.id ?? null,
      org_path: org?.path ?? null,
      province_root: org?.province_root ?? null,
      password_hash: input.password ? await hashPassword(input.password) : null,
      password_changed_at: input.password ? now : null,
      // An administrator knows an initial password: the user replaces it at first sign-in.
      password_must_change: mustChangePassword ? 1 : 0,
      totp_secret_cipher: null,
      totp_pending_cipher: null,
      totp_enabled_at: null,
      totp_last_step: null,
      status: 'active',
      failed_attempts: 0,
      locked_until: null,
      last_login_at: null,
      person_id: null,
      created_at: now,
      updated_at: now,
    };
  }

  return {
    /** Make the built-in roles match the code: created if missing, permissions kept in step. */
    async ensureBuiltinRoles(): Promise<void> {
      for (const def of BUILTIN_ROLES) {
        const existing = await repo.findRoleByCode(db, def.code);
        const wanted = [...withDependencies(def.permissions)].sort();
        if (existing) {
          const have = [...((await repo.permissionsOfRoles(db, [existing.id])).get(existing.id) ?? [])].sort();
          if (JSON.stringify(have) === JSON.stringify(wanted)) continue;
        }
        await write({ actor: SYSTEM_ACTOR }, async (s) => {
          const now = iso();
          const id = existing?.id ?? newId();
          if (!existing) {
            await s.trx
              .insertInto('role')
              .values({
                id,
                code: def.code,
                name_zh: def.zh,
                name_en: def.en,
                builtin: 1,
                separated_duty: def.separatedDuty ?? null,
                user_kinds: JSON.stringify(def.for),
                created_at: now,
                updated_at: now,
              })
              .execute();
          }
          await repo.replaceRolePermissions(s.trx, id, wanted);
          await s.audit({
            action: existing ? 'role.sync' : 'role.create',
            subjectType: 'role',
            subjectId: id,
            changes: [{ field: 'permissions', to: wanted }],
          });
        });
      }
    },

    async listRoles() {
      const roles = await repo.listRoles(db);
      const perms = await repo.permissionsOfRoles(
        db,
        roles.map((r) => r.id),
      );
      return roles.map((r) => presentRole(r, perms.get(r.id) ?? []));
    },

    async createRole(
      ctx: RequestContext,
      input: { code: string; name: { 'zh-CN': string; en: string }; permissions: string[] },
    ) {
      if (await repo.findRoleByCode(db, input.code)) {
        // CONFLICT, as the contract declares (like USERNAME_TAKEN for users), with the field named.
        throw new AppError('CONFLICT', [
          fieldError('body.code', 'invalid', { 'zh-CN': '角色代码已存在', en: 'The role code exists already' }),
        ]);
      }
      const perms = [...withDependencies(input.permissions)].sort();
      const id = newId();
      await write(ctx, async (s) => {
        const now = iso();
        await s.trx
          .insertInto('role')
          .values({
            id,
            code: input.code,
            name_zh: input.name['zh-CN'],
            name_en: input.name.en,
            builtin: 0,
            separated_duty: null,
            user_kinds: JSON.stringify(['cadre', 'merchant']),
            created_at: now,
            updated_at: now,
          })
          .execute();
        await repo.replaceRolePermissions(s.trx, id, perms);
        await s.audit({
          action: 'role.create',
          subjectType: 'role',
          subjectId: id,
          changes: [{ field: 'permissions', to: perms }],
        });
      });
      return roleView(id);
    },

    async updateRole(
      ctx: RequestContext,
      id: string,
      input: { name: { 'zh-CN': string; en: string }; permissions: string[] },
    ) {
      const role = await repo.findRoleById(db, id);
      if (!role) throw AppError.notFound();
      if (role.builtin === 1) throw new AppError('ROLE_BUILTIN_READONLY');
      const before = [...((await repo.permissionsOfRoles(db, [id])).get(id) ?? [])].sort();
      const perms = [...withDependencies(input.permissions)].sort();
      await write(ctx, async (s) => {
        await s.trx
          .updateTable('role')
          .set({ name_zh: input.name['zh-CN'], name_en: input.name.en, updated_at: iso() })
          .where('id', '=', id)
          .execute();
        await repo.replaceRolePermissions(s.trx, id, perms);
        // What holders may do changed: their sessions end, so new rights need a new sign-in.
        for (const userId of await repo.userIdsHoldingRole(s.trx, id)) {
          await authRepository.revokeSessionsOfUser(s.trx, userId, iso(), 'role_changed');
        }
        await s.audit({
          action: 'role.update',
          subjectType: 'role',
          subjectId: id,
          changes: [{ field: 'permissions', from: before, to: perms }],
        });
      });
      return roleView(id);
    },

    async listUsers(
      ctx: RequestContext,
      q: { page: number; pageSize: number; q?: string | undefined; kind?: string | undefined },
    ) {
      const scope = scopeFor(ctx.principal, 'user.read');
      let query = db.selectFrom('user_account').where((eb) => inScope(eb, 'user_account.org_path', scope));
      if (q.kind) query = query.where('kind', '=', q.kind as UserAccountTable['kind']);
      if (q.q) {
        const prefix = `${q.q.replace(/[%_\\]/g, '')}%`;
        query = query.where((eb) => eb.or([eb('username', 'like', prefix), eb('display_name', 'like', prefix)]));
      }
      const rows = await query
        .selectAll()
        .orderBy('created_at', 'desc')
        .limit(q.pageSize)
        .offset((q.page - 1) * q.pageSize)
        .execute();
      const count = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return {
        items: rows.map((u) => presentUser(u, phoneOf(u))),
        total: Number(count.n),
        page: q.page,
        pageSize: q.pageSize,
      };
    },

    /**
     * System bootstrap (demo seed, first administrator, test factories): an account with a
     * known password and optionally an enrolled authenticator, without an actor's scope.
     * Never bound to a route.
     */
    async provisionUser(
      ctx: RequestContext,
      input: {
        kind: UserAccountTable['kind'];
        username?: string | null;
        displayName: string;
        phone?: string | null;
        orgId?: string | null;
        password?: string | null;
        totpSecret?: string | null;
      },
    ): Promise<UserAccountTable> {
      const org = input.orgId ? await orgsRepository.findById(db, input.orgId) : null;
      if (input.orgId && !org) throw AppError.notFound();
      const row = await newUserRow({ ...input, username: input.username ?? null }, org ?? null, false);
      if (input.totpSecret) {
        row.totp_secret_cipher = cipher.encrypt(input.totpSecret, 'user.totp_secret');
        row.totp_enabled_at = row.created_at;
      }
      await write(ctx, async (s) => {
        await authRepository.insertUser(s.trx, row);
        await s.audit({
          action: 'user.provision',
          subjectType: 'user',
          subjectId: row.id,
          orgPath: row.org_path,
          changes: [
            { field: 'kind', to: row.kind },
            { field: 'username', to: row.username },
            ...(input.phone ? [{ field: 'phone', sensitive: true as const }] : []),
            ...(input.password ? [{ field: 'password', sensitive: true as const }] : []),
          ],
        });
      });
      return row;
    },

    /** System bootstrap: grant a role by code at an organization. Never bound to a route. */
    async provisionGrant(ctx: RequestContext, input: { userId: string; roleCode: string; orgId: string }) {
      const org = await orgsRepository.findById(db, input.orgId);
      const role = await repo.findRoleByCode(db, input.roleCode);
      if (!org || !role) throw AppError.notFound();
      const id = newId();
      await write(ctx, async (s) => {
        await s.trx
          .insertInto('role_grant')
          .values({
            id,
            user_id: input.userId,
            role_id: role.id,
            org_id: org.id,
            org_path: org.path,
            province_root: org.province_root,
            valid_from: iso(),
            valid_to: null,
            granted_by: null,
            created_at: iso(),
            revoked_at: null,
            revoked_by: null,
          })
          .execute();
        await s.audit({
          action: 'grant.provision',
          subjectType: 'grant',
          subjectId: id,
          orgPath: org.path,
          changes: [
            { field: 'userId', to: input.userId },
            { field: 'role', to: role.code },
          ],
        });
      });
      return id;
    },

    async getUser(ctx: RequestContext, id: string) {
      const u = await loadUserInScope(ctx, id, 'user.read');
      return presentUser(u, phoneOf(u));
    },

    async createUser(
      ctx: RequestContext,
      input: {
        kind: 'cadre' | 'merchant';
        username: string;
        displayName: string;
        phone?: string | undefined;
        orgId: string;
        initialPassword: string;
      },
    ) {
      const org = await loadOrgInScope(ctx, input.orgId, 'user.manage');
      if (await authRepository.findUserByUsername(db, input.username)) throw new AppError('USERNAME_TAKEN');
      const phoneIndex = input.phone ? blind.index(input.phone, PHONE_CTX) : null;
      if (phoneIndex && (await authRepository.findUserByPhoneIndex(db, phoneIndex))) throw new AppError('PHONE_TAKEN');
      const problems = passwordProblems(input.initialPassword, input.kind, input.username, 'body.initialPassword');
      if (problems.length > 0) throw new AppError('PASSWORD_POLICY', problems);
      const row = await newUserRow({ ...input, password: input.initialPassword }, org, true);
      await write(ctx, async (s) => {
        await authRepository.insertUser(s.trx, row);
        await s.audit({
          action: 'user.create',
          subjectType: 'user',
          subjectId: row.id,
          orgPath: org.path,
          changes: [
            { field: 'kind', to: row.kind },
            { field: 'username', to: row.username },
            { field: 'displayName', to: row.display_name },
            ...(input.phone ? [{ field: 'phone', sensitive: true as const }] : []),
            { field: 'password', sensitive: true },
          ],
        });
      });
      return presentUser(row, input.phone ?? null);
    },

    async updateUser(
      ctx: RequestContext,
      id: string,
      input: { displayName?: string | undefined; status?: 'active' | 'disabled' | undefined },
    ) {
      const user = await loadUserInScope(ctx, id, 'user.manage');
      const set: Partial<UserAccountTable> = { updated_at: iso() };
      if (input.displayName !== undefined) set.display_name = input.displayName;
      if (input.status !== undefined) set.status = input.status;
      await write(ctx, async (s) => {
        await authRepository.updateUser(s.trx, id, set);
        if (input.status === 'disabled' && user.status !== 'disabled') {
          await authRepository.revokeSessionsOfUser(s.trx, id, iso(), 'account_disabled');
        }
        await s.audit({
          action:
            input.status === 'disabled'
              ? 'user.disable'
              : input.status === 'active' && user.status === 'disabled'
                ? 'user.enable'
                : 'user.update',
          subjectType: 'user',
          subjectId: id,
          orgPath: user.org_path,
          changes: [
            ...(input.displayName !== undefined
              ? [{ field: 'displayName', from: user.display_name, to: input.displayName }]
              : []),
            ...(input.status !== undefined ? [{ field: 'status', from: user.status, to: input.status }] : []),
          ],
        });
      });
      const fresh = (await authRepository.findUserById(db, id))!;
      return presentUser(fresh, phoneOf(fresh));
    },

    async unlockUser(ctx: RequestContext, id: string) {
      const user = await loadUserInScope(ctx, id, 'user.manage');
      await write(ctx, async (s) => {
        await authRepository.updateUser(s.trx, id, { locked_until: null, failed_attempts: 0, updated_at: iso() });
        await s.audit({ action: 'user.unlock', subjectType: 'user', subjectId: id, orgPath: user.org_path });
      });
      const fresh = (await authRepository.findUserById(db, id))!;
      return presentUser(fresh, phoneOf(fresh));
    },

    async listGrants(
      ctx: RequestContext,
      q: { page: number; pageSize: number; userId?: string | undefined; includeRevoked: boolean },
    ) {
      const { rows, total } = await repo.listGrants(
        db,
        scopeFor(ctx.principal, 'grant.read'),
        { userId: q.userId, includeRevoked: q.includeRevoked, now: iso() },
        { limit: q.pageSize, offset: (q.page - 1) * q.pageSize },
      );
      return { rows, total };
    },

    async createGrant(
      ctx: RequestContext,
      input: {
        userId: string;
        roleId: string;
        orgId: string;
        validFrom?: string | undefined;
        validTo?: string | null | undefined;
      },
    ) {
      // Every id in the body is checked like an id in the URL: outside scope is "not found".
      const org = await loadOrgInScope(ctx, input.orgId, 'grant.manage');
      const user = await authRepository.findUserById(db, input.userId);
      if (!user) throw AppError.notFound();
      // Members have no home organization until they join; others must be in scope.
      if (user.org_path) requireInScope(scopeFor(ctx.principal, 'grant.manage'), user.org_path);
      const role = await repo.findRoleById(db, input.roleId);
      if (!role) throw AppError.notFound();
      const validFrom = input.validFrom ? new Date(input.validFrom).toISOString() : iso();
      const validTo = input.validTo ? new Date(input.validTo).toISOString() : null;
      if (validTo && validTo <= validFrom) {
        throw AppError.invalid('body.validTo', 'invalid', {
          'zh-CN': '结束时间须晚于开始时间',
          en: 'validTo must be after validFrom',
        });
      }
      const id = newId();
      await write(ctx, async (s) => {
        // Read held duties inside the transaction so two concurrent grants cannot both pass.
        const held = await repo.separatedDutiesOf(s.trx, user.id, iso());
        checkGrant(ctx.actor.id ?? '', user, role, held);
        await s.trx
          .insertInto('role_grant')
          .values({
            id,
            user_id: user.id,
            role_id: role.id,
            org_id: org.id,
            org_path: org.path,
            province_root: org.province_root,
            valid_from: validFrom,
            valid_to: validTo,
            granted_by: ctx.actor.id,
            created_at: iso(),
            revoked_at: null,
            revoked_by: null,
          })
          .execute();
        await s.audit({
          action: 'grant.create',
          subjectType: 'grant',
          subjectId: id,
          orgPath: org.path,
          changes: [
            { field: 'userId', to: user.id },
            { field: 'role', to: role.code },
            { field: 'validFrom', to: validFrom },
            { field: 'validTo', to: validTo },
          ],
        });
      });
      return (await repo.findGrantById(db, id))!;
    },

    async revokeGrant(ctx: RequestContext, id: string) {
      const grant = await repo.findGrantById(db, id);
      if (!grant) throw AppError.notFound();
      requireInScope(scopeFor(ctx.principal, 'grant.manage'), grant.org_path);
      checkRevoke(ctx.actor.id ?? '', grant.user_id);
      if (!grant.revoked_at) {
        await write(ctx, async (s) => {
          await s.trx
            .updateTable('role_grant')
            .set({ revoked_at: iso(), revoked_by: ctx.actor.id })
            .where('id', '=', id)
            .execute();
          const ended = await authRepository.revokeSessionsOfUser(s.trx, grant.user_id, iso(), 'grant_revoked');
          await s.audit({
            action: 'grant.revoke',
            subjectType: 'grant',
            subjectId: id,
            orgPath: grant.org_path,
            changes: [
              { field: 'role', from: grant.role_code },
              { field: 'sessionsEnded', to: ended },
            ],
          });
        });
      }
      return (await repo.findGrantById(db, id))!;
    },

    async listRecoveries(ctx: RequestContext, status: 'pending' | 'approved' | 'rejected') {
      const scope = scopeFor(ctx.principal, 'totpReset.approve');
      const rows = await db
        .selectFrom('totp_recovery')
        .innerJoin('user_account', 'user_account.id', 'totp_recovery.user_id')
        .selectAll('totp_recovery')
        .select('user_account.username')
        .where('totp_recovery.status', '=', status)
        .where((eb) => inScope(eb, 'totp_recovery.org_path', scope))
        .orderBy('totp_recovery.requested_at')
        .execute();
      return rows.map((r) => presentRecovery(r, r.username));
    },

    async decideRecovery(ctx: RequestContext, id: string, approve: boolean) {
      const r = await db.selectFrom('totp_recovery').selectAll().where('id', '=', id).executeTakeFirst();
      if (!r) throw AppError.notFound();
      requireInScope(scopeFor(ctx.principal, 'totpReset.approve'), r.org_path);
      if (r.user_id === ctx.actor.id) throw new AppError('SELF_GRANT');
      if (r.status !== 'pending') throw new AppError('RECOVERY_NOT_PENDING');
      await write(ctx, async (s) => {
        const now = iso();
        const updated = await s.trx
          .updateTable('totp_recovery')
          .set({ status: approve ? 'approved' : 'rejected', decided_by: ctx.actor.id, decided_at: now })
          .where('id', '=', id)
          .where('status', '=', 'pending')
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) !== 1) throw new AppError('RECOVERY_NOT_PENDING');
        if (approve) {
          await authRepository.updateUser(s.trx, r.user_id, {
            totp_secret_cipher: null,
            totp_pending_cipher: null,
            totp_enabled_at: null,
            totp_last_step: null,
            updated_at: now,
          });
          await authRepository.revokeSessionsOfUser(s.trx, r.user_id, now, 'totp_reset');
        }
        await s.audit({
          action: approve ? 'auth.totp_reset_approved' : 'auth.totp_reset_rejected',
          subjectType: 'totp_recovery',
          subjectId: id,
          orgPath: r.org_path,
          changes: [{ field: 'userId', to: r.user_id }],
        });
      });
      const fresh = (await db.selectFrom('totp_recovery').selectAll().where('id', '=', id).executeTakeFirstOrThrow())!;
      const user = await authRepository.findUserById(db, fresh.user_id);
      return presentRecovery(fresh, user?.username ?? null);
    },

    /** Used by tests and the seed to count rows cheaply. */
    async countGrants(): Promise<number> {
      const r = await sql<{ n: number }>`select count(*) as n from role_grant`.execute(db);
      return Number(r.rows[0]?.n ?? 0);
    },
  };
}
export type AccessService = ReturnType<typeof createAccessService>;
