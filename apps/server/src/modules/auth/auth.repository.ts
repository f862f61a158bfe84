import type { Kysely } from 'kysely';
import type { DB, SessionTable, SmsCodeTable, UserAccountTable } from '../../db/schema.ts';

type Q = Kysely<DB>;

export const authRepository = {
  async findUserById(db: Q, id: string): Promise<UserAccountTable | undefined> {
    return db.selectFrom('user_account').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async findUserByUsername(db: Q, username: string): Promise<UserAccountTable | undefined> {
    return db.selectFrom('user_account').selectAll().where('username', '=', username).executeTakeFirst();
  },

  async findUserByPhoneIndex(db: Q, phoneIndex: string): Promise<UserAccountTable | undefined> {
    return db.selectFrom('user_account').selectAll().where('phone_index', '=', phoneIndex).executeTakeFirst();
  },

  async insertUser(db: Q, row: UserAccountTable): Promise<void> {
    await db.insertInto('user_account').values(row).execute();
  },

  async updateUser(db: Q, id: string, set: Partial<UserAccountTable>): Promise<void> {
    await db.updateTable('user_account').set(set).where('id', '=', id).execute();
  },

  async insertSession(db: Q, row: SessionTable): Promise<void> {
    await db.insertInto('session').values(row).execute();
  },

  async findSessionByTokenHash(db: Q, id: string): Promise<SessionTable | undefined> {
    return db.selectFrom('session').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async findLiveSessionsOfUser(db: Q, userId: string, now: string): Promise<SessionTable[]> {
    return db
      .selectFrom('session')
      .selectAll()
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .orderBy('created_at', 'desc')
      .execute();
  },

  async updateSession(db: Q, id: string, set: Partial<SessionTable>): Promise<void> {
    await db.updateTable('session').set(set).where('id', '=', id).execute();
  },

  /** End sessions of a user (all, or all but one); returns how many were live. */
  async revokeSessionsOfUser(db: Q, userId: string, now: string, reason: string, exceptId?: string): Promise<number> {
    let q = db
      .updateTable('session')
      .set({ revoked_at: now, revoked_reason: reason })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null);
    if (exceptId) q = q.where('id', '!=', exceptId);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows);
  },

  async insertSmsCode(db: Q, row: SmsCodeTable): Promise<void> {
    await db.insertInto('sms_code').values(row).execute();
  },

  async recentSmsCodes(db: Q, phoneIndex: string, since: string): Promise<SmsCodeTable[]> {
    return db
      .selectFrom('sms_code')
      .selectAll()
      .where('phone_index', '=', phoneIndex)
      .where('created_at', '>', since)
      .orderBy('created_at', 'desc')
      .execute();
  },

  async countSmsCodesFromIp(db: Q, ip: string, since: string): Promise<number> {
    const r = await db
      .selectFrom('sms_code')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('ip', '=', ip)
      .where('created_at', '>', since)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },

  async updateSmsCode(db: Q, id: string, set: Partial<SmsCodeTable>): Promise<void> {
    await db.updateTable('sms_code').set(set).where('id', '=', id).execute();
  },

  async insertRecovery(db: Q, row: DB['totp_recovery']): Promise<void> {
    await db.insertInto('totp_recovery').values(row).execute();
  },
};
