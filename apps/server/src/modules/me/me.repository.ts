import type { Kysely } from 'kysely';
import type { DB, NotificationTable } from '../../db/schema.ts';

type Q = Kysely<DB>;

/**
 * The signed-in user's own rows. Every query names the user: these are not org-scoped reads
 * (a member has no scope), they are "mine" reads, and another user's row is simply not found.
 */
export const meRepository = {
  async notifications(db: Q, userId: string, unreadOnly: boolean, page: { limit: number; offset: number }) {
    let q = db.selectFrom('notification').where('user_id', '=', userId);
    if (unreadOnly) q = q.where('read_at', 'is', null);
    const [rows, total] = await Promise.all([
      q.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute(),
      q.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { rows, total: Number(total.n) };
  },

  async unreadCount(db: Q, userId: string): Promise<number> {
    const r = await db
      .selectFrom('notification')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('user_id', '=', userId)
      .where('read_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },

  async findNotification(db: Q, userId: string, id: string): Promise<NotificationTable | undefined> {
    return db
      .selectFrom('notification')
      .selectAll()
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .executeTakeFirst();
  },

  async markRead(db: Q, userId: string, id: string | null, at: string): Promise<number> {
    let q = db
      .updateTable('notification')
      .set({ read_at: at })
      .where('user_id', '=', userId)
      .where('read_at', 'is', null);
    if (id) q = q.where('id', '=', id);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows);
  },

  async applications(db: Q, userId: string, page: { limit: number; offset: number }) {
    const base = db.selectFrom('workflow_instance').where('applicant_user_id', '=', userId);
    const [rows, total] = await Promise.all([
      base
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(page.limit)
        .offset(page.offset)
        .execute(),
      base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { rows, total: Number(total.n) };
  },

  async account(db: Q, userId: string) {
    return db
      .selectFrom('user_account')
      .select(['id', 'phone_cipher', 'person_id'])
      .where('id', '=', userId)
      .executeTakeFirst();
  },

  async person(db: Q, personId: string) {
    return db
      .selectFrom('person')
      .select(['id', 'name', 'id_number_cipher', 'phone_index'])
      .where('id', '=', personId)
      .executeTakeFirst();
  },

  async personsBy(db: Q, column: 'id_number_index' | 'phone_index', value: string, limit = 2) {
    return db
      .selectFrom('person')
      .select(['id', 'name', 'id_number_cipher', 'phone_index'])
      .where(column, '=', value)
      .limit(limit)
      .execute();
  },

  /** Another account already speaking for the person. */
  async accountOfPerson(db: Q, personId: string, exceptUserId: string) {
    return db
      .selectFrom('user_account')
      .select('id')
      .where('person_id', '=', personId)
      .where('id', '!=', exceptUserId)
      .executeTakeFirst();
  },

  /** Binds only an unbound account, so two concurrent binds cannot both win. */
  async bind(db: Q, userId: string, personId: string, at: string): Promise<boolean> {
    const r = await db
      .updateTable('user_account')
      .set({ person_id: personId, updated_at: at })
      .where('id', '=', userId)
      .where('person_id', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  async openMemberships(db: Q, personId: string) {
    return db
      .selectFrom('membership')
      .innerJoin('organization', 'organization.id', 'membership.org_id')
      .select([
        'membership.member_number',
        'membership.org_id',
        'organization.name as org_name',
        'membership.status',
        'membership.started_on',
      ])
      .where('membership.person_id', '=', personId)
      .where('membership.status', 'in', ['active', 'retained'])
      .orderBy('membership.started_on', 'desc')
      .execute();
  },
};
