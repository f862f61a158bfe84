import { createHash, randomBytes, randomInt } from 'node:crypto';
import { requiresTotp, type USER_KINDS } from '@zhgh/contracts';
import { generateSecret, generateURI, verify as verifyTotp } from 'otplib';
import QRCode from 'qrcode';
import type { Principal } from '../../core/access/principal.ts';
import type { RequestContext } from '../../core/actor.ts';
import { AppError } from '../../core/app-error.ts';
import { hashPassword, verifyPassword } from '../../core/crypto/passwords.ts';
import type { CoreDeps } from '../../core/deps.ts';
import { newId } from '../../core/ids.ts';
import type { SessionTable, UserAccountTable } from '../../db/schema.ts';
import { accessRepository } from '../access/access.repository.ts';
import { passwordExpired, passwordProblems } from './auth.policy.ts';
import { type GrantRow, presentSession, presentSessionListItem } from './auth.presenter.ts';
import { authRepository as repo } from './auth.repository.ts';

type UserKind = (typeof USER_KINDS)[number];

/** SMS sign-in codes: 6 digits, 5 minutes, single use; 1 a minute and 5 an hour per phone. */
export const SMS_CODE_TTL_SECONDS = 300;
export const SMS_RESEND_SECONDS = 60;
export const SMS_PER_PHONE_PER_HOUR = 5;
/** Wrong guesses one code survives before it is burned. */
export const SMS_MAX_ATTEMPTS = 5;
/** Sessions' last-seen time is written at most this often (idle timeout precision). */
export const SESSION_TOUCH_SECONDS = 30;
export const SESSION_COOKIE = 'zhgh_sid';
const TOTP_ISSUER = '智慧工会';

const PHONE_CTX = 'user.phone';
const TOTP_CTX = 'user.totp_secret';

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function createAuthService(deps: CoreDeps) {
  const { db, write, config, cipher, blind } = deps;
  const iso = (offsetMs = 0) => new Date(deps.now().getTime() + offsetMs).toISOString();

  const idleMinutes = (kind: UserKind) =>
    kind === 'member'
      ? config.SESSION_IDLE_MEMBER_MINUTES
      : kind === 'cadre'
        ? config.SESSION_IDLE_CADRE_MINUTES
        : config.SESSION_IDLE_MERCHANT_MINUTES;

  async function loadGrants(userId: string): Promise<{ grants: GrantRow[]; permissions: Map<string, Set<string>> }> {
    const grants = await accessRepository.findLiveGrants(db, userId, iso());
    const permissions = await accessRepository.permissionsOfRoles(db, [...new Set(grants.map((g) => g.role_id))]);
    return { grants, permissions };
  }

  function unionOf(grants: GrantRow[], perms: Map<string, Set<string>>): Set<string> {
    const out = new Set<string>();
    for (const g of grants) for (const p of perms.get(g.role_id) ?? []) out.add(p);
    return out;
  }

  function phoneOf(user: UserAccountTable): string | null {
    return user.phone_cipher ? cipher.decrypt(user.phone_cipher, PHONE_CTX) : null;
  }

  /**
   * The home organization of a session's user. Session events carry it like sign-in events
   * do, so the audit administrators of that subtree see them (events without one are only
   * visible at the roots). Read before the write's transaction opens: SQLite has one connection.
   */
  async function orgPathOf(userId: string): Promise<string | null> {
    return (await repo.findUserById(db, userId))?.org_path ?? null;
  }

  async function view(user: UserAccountTable, session: SessionTable) {
    const { grants, permissions } = await loadGrants(user.id);
    return presentSession(user, phoneOf(user), session, grants, unionOf(grants, permissions));
  }

  /** Count a failed attempt; lock the account when the threshold is reached. */
  async function registerFailure(ctx: RequestContext, user: UserAccountTable, what: string): Promise<boolean> {
    const attempts = user.failed_attempts + 1;
    const locks = attempts >= config.LOCKOUT_THRESHOLD;
    await write(ctx, async (s) => {
      await repo.updateUser(s.trx, user.id, {
        failed_attempts: locks ? 0 : attempts,
        locked_until: locks ? iso(config.LOCKOUT_MINUTES * 60_000) : user.locked_until,
        updated_at: iso(),
      });
      await s.audit({
        action: 'auth.login_failed',
        subjectType: 'user',
        subjectId: user.id,
        orgPath: user.org_path,
        changes: [{ field: 'reason', to: what }],
      });
      if (locks) {
        await s.audit({
          action: 'auth.lockout',
          subjectType: 'user',
          subjectId: user.id,
          orgPath: user.org_path,
          changes: [{ field: 'lockedMinutes', to: config.LOCKOUT_MINUTES }],
        });
      }
    });
    return locks;
  }

  function isLocked(user: UserAccountTable): boolean {
    return user.locked_until !== null && user.locked_until > iso();
  }

  /** Accept a TOTP code once: the time step must be newer than the last accepted one. */
  async function checkTotp(secretCipher: string, code: string, lastStep: number | null): Promise<number | null> {
    const secret = cipher.decrypt(secretCipher, TOTP_CTX);
    const epoch = Math.floor(deps.now().getTime() / 1000);
    const result = await verifyTotp({ secret, token: code, epoch, epochTolerance: 30 });
    if (!result.valid) return null;
    const step = Math.floor(epoch / 30) + result.delta;
    if (lastStep !== null && step <= lastStep) return null;
    return step;
  }

  async function openSession(
    ctx: RequestContext,
    user: UserAccountTable,
    restriction: SessionTable['restriction'],
    action: string,
    extra: Partial<UserAccountTable> = {},
  ): Promise<{ token: string; session: SessionTable }> {
    const token = randomBytes(32).toString('base64url');
    const now = iso();
    const session: SessionTable = {
      id: tokenHash(token),
      public_id: newId(),
      user_id: user.id,
      csrf_token: randomBytes(24).toString('base64url'),
      restriction,
      created_at: now,
      last_seen_at: now,
      expires_at: iso(config.SESSION_ABSOLUTE_HOURS * 3_600_000),
      idle_timeout_s: idleMinutes(user.kind) * 60,
      ip: ctx.ip ?? null,
      user_agent: ctx.userAgent?.slice(0, 300) ?? null,
      revoked_at: null,
      revoked_reason: null,
    };
    await write({ ...ctx, actor: { kind: 'user', id: user.id, userKind: user.kind } }, async (s) => {
      await repo.updateUser(s.trx, user.id, {
        failed_attempts: 0,
        locked_until: null,
        last_login_at: now,
        updated_at: now,
        ...extra,
      });
      await repo.insertSession(s.trx, session);
      await s.audit({
        action,
        subjectType: 'session',
        subjectId: session.public_id,
        orgPath: user.org_path,
        changes: restriction ? [{ field: 'restriction', to: restriction }] : [],
      });
    });
    return { token, session };
  }

  function restrictionFor(user: UserAccountTable, permissions: Set<string>): SessionTable['restriction'] {
    if (requiresTotp(permissions) && !user.totp_enabled_at) return 'totp_enrollment';
    if (user.password_must_change === 1) return 'password_expired';
    if (passwordExpired(user.kind, user.password_changed_at, config.PASSWORD_MAX_AGE_DAYS, deps.now().getTime())) {
      return 'password_expired';
    }
    return null;
  }

  return {
    async login(
      ctx: RequestContext,
      input: { account: string; password: string; totp?: string | undefined; kind: UserKind },
    ) {
      let user: UserAccountTable | undefined;
      if (input.kind === 'member' && /^1\d{10}$/.test(input.account)) {
        user = await repo.findUserByPhoneIndex(db, blind.index(input.account, PHONE_CTX));
      } else {
        user = await repo.findUserByUsername(db, input.account);
      }
      if (user && user.kind !== input.kind) user = undefined;
      if (!user) {
        await verifyPassword(null, input.password);
        await write(ctx, (s) =>
          s.audit({
            action: 'auth.login_failed',
            subjectType: 'user',
            changes: [{ field: 'reason', to: 'unknown_account' }],
          }),
        );
        throw new AppError('AUTH_INVALID_CREDENTIALS');
      }
      if (isLocked(user)) {
        await verifyPassword(null, input.password);
        await write(ctx, (s) =>
          s.audit({
            action: 'auth.login_refused_locked',
            subjectType: 'user',
            subjectId: user.id,
            orgPath: user.org_path,
          }),
        );
        throw new AppError('ACCOUNT_LOCKED');
      }
      if (!(await verifyPassword(user.password_hash, input.password))) {
        const locked = await registerFailure(ctx, user, 'wrong_password');
        throw new AppError(locked ? 'ACCOUNT_LOCKED' : 'AUTH_INVALID_CREDENTIALS');
      }
      // Only now, with the password proven, may the answer say more about the account.
      if (user.status === 'disabled') throw new AppError('ACCOUNT_DISABLED');
      let totpStep: number | undefined;
      if (user.totp_enabled_at && user.totp_secret_cipher) {
        if (!input.totp) throw new AppError('TOTP_REQUIRED');
        const step = await checkTotp(user.totp_secret_cipher, input.totp, user.totp_last_step);
        if (step === null) {
          const locked = await registerFailure(ctx, user, 'wrong_totp');
          throw new AppError(locked ? 'ACCOUNT_LOCKED' : 'TOTP_INVALID');
        }
        totpStep = step;
      }
      const { grants, permissions } = await loadGrants(user.id);
      const restriction = restrictionFor(user, unionOf(grants, permissions));
      const opened = await openSession(
        ctx,
        user,
        restriction,
        'auth.login',
        totpStep ? { totp_last_step: totpStep } : {},
      );
      const fresh = (await repo.findUserById(db, user.id))!;
      return { token: opened.token, view: await view(fresh, opened.session) };
    },

    async sendSmsCode(ctx: RequestContext, phone: string) {
      const phoneIndex = blind.index(phone, PHONE_CTX);
      const recent = await repo.recentSmsCodes(db, phoneIndex, iso(-3_600_000));
      const last = recent[0];
      if (last && Date.parse(last.created_at) > deps.now().getTime() - SMS_RESEND_SECONDS * 1000) {
        throw new AppError('SMS_RATE_LIMITED', undefined, 'one code a minute per phone');
      }
      if (recent.length >= SMS_PER_PHONE_PER_HOUR)
        throw new AppError('SMS_RATE_LIMITED', undefined, 'hourly phone limit');
      if (ctx.ip && (await repo.countSmsCodesFromIp(db, ctx.ip, iso(-3_600_000))) >= config.SMS_IP_LIMIT_PER_HOUR) {
        throw new AppError('SMS_RATE_LIMITED', undefined, 'hourly address limit');
      }
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      const id = newId();
      await write(ctx, async (s) => {
        await repo.insertSmsCode(s.trx, {
          id,
          phone_index: phoneIndex,
          code_hash: blind.index(code, `sms:${id}`),
          ip: ctx.ip ?? null,
          created_at: iso(),
          expires_at: iso(SMS_CODE_TTL_SECONDS * 1000),
          consumed_at: null,
          attempts: 0,
        });
        await s.audit({ action: 'auth.sms_code_sent', subjectType: 'sms_code', subjectId: id });
      });
      await deps.sms.send({
        phone,
        purpose: 'login',
        text: `【智慧工会】您的登录验证码是 ${code}，${SMS_CODE_TTL_SECONDS / 60} 分钟内有效。如非本人操作，请忽略本短信。`,
      });
      return { sent: true as const, expiresInSeconds: SMS_CODE_TTL_SECONDS, resendAfterSeconds: SMS_RESEND_SECONDS };
    },

    async smsLogin(ctx: RequestContext, input: { phone: string; code: string }) {
      const phoneIndex = blind.index(input.phone, PHONE_CTX);
      const codes = await repo.recentSmsCodes(db, phoneIndex, iso(-86_400_000));
      const match = codes.find((c) => c.code_hash === blind.index(input.code, `sms:${c.id}`));
      if (!match) {
        const live = codes.find((c) => !c.consumed_at && c.expires_at > iso());
        await write(ctx, async (s) => {
          if (live) {
            const attempts = live.attempts + 1;
            // Burn a code after too many wrong guesses: 6 digits must not be brute-forced.
            await repo.updateSmsCode(s.trx, live.id, {
              attempts,
              ...(attempts >= SMS_MAX_ATTEMPTS ? { consumed_at: iso() } : {}),
            });
          }
          await s.audit({ action: 'auth.sms_login_failed', subjectType: 'sms_code', subjectId: live?.id ?? null });
        });
        throw new AppError('SMS_CODE_WRONG');
      }
      if (match.consumed_at) throw new AppError('SMS_CODE_USED');
      if (match.expires_at <= iso()) throw new AppError('SMS_CODE_EXPIRED');
      let user = await repo.findUserByPhoneIndex(db, phoneIndex);
      if (user && user.kind !== 'member')
        throw new AppError('SMS_CODE_WRONG', undefined, 'phone belongs to a non-member account');
      if (user?.status === 'disabled') throw new AppError('ACCOUNT_DISABLED');
      if (user && isLocked(user)) throw new AppError('ACCOUNT_LOCKED');
      await write(ctx, async (s) => {
        await repo.updateSmsCode(s.trx, match.id, { consumed_at: iso() });
        if (!user) {
          const now = iso();
          user = {
            id: newId(),
            kind: 'member',
            username: null,
            display_name: `会员${input.phone.slice(-4)}`,
            phone_cipher: cipher.encrypt(input.phone, PHONE_CTX),
            phone_index: phoneIndex,
            org_id: null,
            org_path: null,
            province_root: null,
            password_hash: null,
            password_changed_at: null,
            password_must_change: 0,
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
          await repo.insertUser(s.trx, user);
          await s.audit({
            action: 'user.create',
            subjectType: 'user',
            subjectId: user.id,
            changes: [
              { field: 'kind', to: 'member' },
              { field: 'phone', sensitive: true },
            ],
          });
        } else {
          await s.audit({ action: 'auth.sms_code_used', subjectType: 'sms_code', subjectId: match.id });
        }
      });
      const opened = await openSession(ctx, user!, null, 'auth.login_sms');
      const fresh = (await repo.findUserById(db, user!.id))!;
      return { token: opened.token, view: await view(fresh, opened.session) };
    },

    /**
     * Resolve a cookie token to a principal, enforcing idle and absolute timeouts and the
     * account's status. Returns an error code instead of throwing so the HTTP edge can decide.
     */
    async resolve(
      token: string,
    ): Promise<
      | { ok: true; session: SessionTable; user: UserAccountTable; principal: Principal }
      | { ok: false; code: 'UNAUTHENTICATED' | 'SESSION_EXPIRED' }
    > {
      const session = await repo.findSessionByTokenHash(db, tokenHash(token));
      if (!session || session.revoked_at) return { ok: false, code: 'UNAUTHENTICATED' };
      const nowMs = deps.now().getTime();
      const idle = nowMs - Date.parse(session.last_seen_at) > session.idle_timeout_s * 1000;
      const absolute = nowMs >= Date.parse(session.expires_at);
      const user = await repo.findUserById(db, session.user_id);
      if (idle || absolute || !user || user.status === 'disabled') {
        const reason =
          !user || user.status === 'disabled' ? 'account_disabled' : idle ? 'idle_timeout' : 'absolute_timeout';
        await write({ actor: { kind: 'user', id: session.user_id, userKind: user?.kind ?? 'member' } }, async (s) => {
          await repo.updateSession(s.trx, session.id, { revoked_at: iso(), revoked_reason: reason });
          await s.audit({
            action: 'session.ended',
            subjectType: 'session',
            subjectId: session.public_id,
            orgPath: user?.org_path ?? null,
            changes: [{ field: 'reason', to: reason }],
          });
        });
        return { ok: false, code: reason === 'account_disabled' ? 'UNAUTHENTICATED' : 'SESSION_EXPIRED' };
      }
      if (nowMs - Date.parse(session.last_seen_at) > SESSION_TOUCH_SECONDS * 1000) {
        // Session bookkeeping, like job progress, is not an audited business write.
        await repo.updateSession(db, session.id, { last_seen_at: iso() });
      }
      const { grants, permissions } = await loadGrants(user.id);
      const held = unionOf(grants, permissions);
      if (!session.restriction && !user.totp_enabled_at && requiresTotp(held)) {
        // A privileged grant can arrive after sign-in (granted while signed in, or dated to
        // start later). This session never proved a second factor, so it is restricted to
        // enrolling one, exactly as a fresh sign-in would be. Bookkeeping, not audited.
        await repo.updateSession(db, session.id, { restriction: 'totp_enrollment' });
        session.restriction = 'totp_enrollment';
      }
      const principal: Principal = {
        userId: user.id,
        userKind: user.kind,
        sessionId: session.public_id,
        grants: grants.map((g) => ({
          id: g.id,
          roleId: g.role_id,
          roleCode: g.role_code,
          orgId: g.org_id,
          orgPath: g.org_path,
          permissions: permissions.get(g.role_id) ?? new Set(),
        })),
        permissions: held,
      };
      return { ok: true, session, user, principal };
    },

    async sessionView(userId: string, sessionToken: string) {
      const user = (await repo.findUserById(db, userId))!;
      const session = (await repo.findSessionByTokenHash(db, tokenHash(sessionToken)))!;
      return view(user, session);
    },

    async logout(ctx: RequestContext, sessionToken: string) {
      const session = await repo.findSessionByTokenHash(db, tokenHash(sessionToken));
      if (!session) return;
      const orgPath = await orgPathOf(session.user_id);
      await write(ctx, async (s) => {
        await repo.updateSession(s.trx, session.id, { revoked_at: iso(), revoked_reason: 'logout' });
        await s.audit({
          action: 'auth.logout',
          subjectType: 'session',
          subjectId: session.public_id,
          orgPath,
        });
      });
    },

    async logoutAll(ctx: RequestContext, userId: string) {
      const orgPath = await orgPathOf(userId);
      return write(ctx, async (s) => {
        const n = await repo.revokeSessionsOfUser(s.trx, userId, iso(), 'logout_all');
        await s.audit({
          action: 'auth.logout_all',
          subjectType: 'user',
          subjectId: userId,
          orgPath,
          changes: [{ field: 'sessionsEnded', to: n }],
        });
        return n;
      });
    },

    async listSessions(userId: string, currentPublicId: string) {
      const rows = await repo.findLiveSessionsOfUser(db, userId, iso());
      // An idle session is only marked ended when it is next used; until then its row looks
      // live, but it can no longer be used, so it is not listed as a live session.
      const nowMs = deps.now().getTime();
      return rows
        .filter((r) => nowMs - Date.parse(r.last_seen_at) <= r.idle_timeout_s * 1000)
        .map((r) => presentSessionListItem(r, currentPublicId));
    },

    async revokeSession(ctx: RequestContext, userId: string, publicId: string) {
      const rows = await repo.findLiveSessionsOfUser(db, userId, iso());
      const target = rows.find((r) => r.public_id === publicId);
      // Another user's session id answers exactly like a missing one.
      if (!target) throw AppError.notFound();
      const orgPath = await orgPathOf(userId);
      await write(ctx, async (s) => {
        await repo.updateSession(s.trx, target.id, { revoked_at: iso(), revoked_reason: 'revoked_by_user' });
        await s.audit({
          action: 'session.revoke',
          subjectType: 'session',
          subjectId: publicId,
          orgPath,
        });
      });
    },

    async changePassword(
      ctx: RequestContext,
      userId: string,
      sessionToken: string,
      input: { oldPassword?: string | undefined; newPassword: string },
    ) {
      const user = (await repo.findUserById(db, userId))!;
      if (user.password_hash) {
        if (!input.oldPassword || !(await verifyPassword(user.password_hash, input.oldPassword))) {
          const locked = await registerFailure(ctx, user, 'wrong_old_password');
          throw new AppError(locked ? 'ACCOUNT_LOCKED' : 'AUTH_INVALID_CREDENTIALS');
        }
        if (input.oldPassword === input.newPassword) {
          throw AppError.invalid('body.newPassword', 'invalid', {
            'zh-CN': '新密码不能与旧密码相同',
            en: 'The new password must differ from the old one',
          });
        }
      }
      const problems = passwordProblems(input.newPassword, user.kind, user.username);
      if (problems.length > 0) throw new AppError('PASSWORD_POLICY', problems);
      const hashValue = await hashPassword(input.newPassword);
      const current = tokenHash(sessionToken);
      await write(ctx, async (s) => {
        const now = iso();
        await repo.updateUser(s.trx, userId, {
          password_hash: hashValue,
          password_changed_at: now,
          password_must_change: 0,
          updated_at: now,
        });
        const session = await repo.findSessionByTokenHash(s.trx, current);
        if (session?.restriction === 'password_expired') {
          await repo.updateSession(s.trx, current, { restriction: null });
        }
        // A changed password ends every other session: whoever knew the old one is out.
        const ended = await repo.revokeSessionsOfUser(s.trx, userId, now, 'password_changed', current);
        await s.audit({
          action: 'auth.password_changed',
          subjectType: 'user',
          subjectId: userId,
          orgPath: user.org_path,
          changes: [
            { field: 'password', sensitive: true },
            { field: 'otherSessionsEnded', to: ended },
          ],
        });
      });
    },

    async totpSetup(ctx: RequestContext, userId: string) {
      const user = (await repo.findUserById(db, userId))!;
      if (user.totp_enabled_at) throw new AppError('TOTP_ALREADY_ENABLED');
      const secret = generateSecret();
      const label = user.username ?? user.display_name;
      const otpauthUrl = generateURI({ issuer: TOTP_ISSUER, label, secret });
      await write(ctx, async (s) => {
        await repo.updateUser(s.trx, userId, {
          totp_pending_cipher: cipher.encrypt(secret, TOTP_CTX),
          updated_at: iso(),
        });
        await s.audit({
          action: 'auth.totp_setup_started',
          subjectType: 'user',
          subjectId: userId,
          orgPath: user.org_path,
        });
      });
      const qrSvg = await QRCode.toString(otpauthUrl, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
      return { secret, otpauthUrl, qrSvg };
    },

    async totpEnable(ctx: RequestContext, userId: string, sessionToken: string, code: string) {
      const user = (await repo.findUserById(db, userId))!;
      if (user.totp_enabled_at) throw new AppError('TOTP_ALREADY_ENABLED');
      if (!user.totp_pending_cipher) throw new AppError('TOTP_INVALID', undefined, 'no enrollment started');
      const step = await checkTotp(user.totp_pending_cipher, code, null);
      if (step === null) throw new AppError('TOTP_INVALID');
      await write(ctx, async (s) => {
        const now = iso();
        await repo.updateUser(s.trx, userId, {
          totp_secret_cipher: user.totp_pending_cipher,
          totp_pending_cipher: null,
          totp_enabled_at: now,
          totp_last_step: step,
          updated_at: now,
        });
        const current = tokenHash(sessionToken);
        const session = await repo.findSessionByTokenHash(s.trx, current);
        if (session?.restriction === 'totp_enrollment') {
          const next =
            user.password_must_change === 1 ||
            passwordExpired(user.kind, user.password_changed_at, config.PASSWORD_MAX_AGE_DAYS, deps.now().getTime())
              ? 'password_expired'
              : null;
          await repo.updateSession(s.trx, current, { restriction: next });
        }
        await s.audit({ action: 'auth.totp_enabled', subjectType: 'user', subjectId: userId, orgPath: user.org_path });
      });
    },

    async requestTotpRecovery(ctx: RequestContext, input: { account: string; password: string; reason: string }) {
      const user = await repo.findUserByUsername(db, input.account);
      if (!user) {
        await verifyPassword(null, input.password);
        throw new AppError('AUTH_INVALID_CREDENTIALS');
      }
      if (isLocked(user)) throw new AppError('ACCOUNT_LOCKED');
      if (!(await verifyPassword(user.password_hash, input.password))) {
        const locked = await registerFailure(ctx, user, 'wrong_password_recovery');
        throw new AppError(locked ? 'ACCOUNT_LOCKED' : 'AUTH_INVALID_CREDENTIALS');
      }
      await write({ ...ctx, actor: { kind: 'user', id: user.id, userKind: user.kind } }, async (s) => {
        const id = newId();
        await repo.insertRecovery(s.trx, {
          id,
          user_id: user.id,
          org_path: user.org_path,
          reason: input.reason,
          status: 'pending',
          requested_at: iso(),
          decided_by: null,
          decided_at: null,
        });
        await s.audit({
          action: 'auth.totp_recovery_requested',
          subjectType: 'totp_recovery',
          subjectId: id,
          orgPath: user.org_path,
        });
      });
      return { requested: true as const };
    },
  };
}
export type AuthService = ReturnType<typeof createAuthService>;
