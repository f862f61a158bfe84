import type { Kysely } from 'kysely';
import type { CardVerificationTable, DB, MemberCardTable } from '../../db/schema.ts';

type Q = Kysely<DB>;

const OPEN = ['active', 'retained'] as const;

/**
 * Cards and their checks. A card is "mine" data (the account's), not org-scoped: the routes
 * that read it name the session's user; verification finds a card by the id its token carries.
 */
export const cardsRepository = {
  async account(db: Q, userId: string) {
    return db.selectFrom('user_account').select(['id', 'person_id']).where('id', '=', userId).executeTakeFirst();
  },

  async person(db: Q, personId: string) {
    return db.selectFrom('person').select(['id', 'name']).where('id', '=', personId).executeTakeFirst();
  },

  /** The person's open membership (at most one exists: membership_one_open) with its union. */
  async openMembership(db: Q, personId: string) {
    return db
      .selectFrom('membership')
      .innerJoin('organization', 'organization.id', 'membership.org_id')
      .select([
        'membership.id',
        'membership.member_number',
        'membership.status',
        'membership.started_on',
        'membership.org_path',
        'organization.name as org_name',
      ])
      .where('membership.person_id', '=', personId)
      .where('membership.status', 'in', OPEN)
      .orderBy('membership.started_on', 'desc')
      .executeTakeFirst();
  },

  async membership(db: Q, id: string) {
    return db
      .selectFrom('membership')
      .innerJoin('organization', 'organization.id', 'membership.org_id')
      .select([
        'membership.id',
        'membership.member_number',
        'membership.status',
        'membership.started_on',
        'membership.org_path',
        'organization.name as org_name',
      ])
      .where('membership.id', '=', id)
      .executeTakeFirst();
  },

  async activeCardOf(db: Q, userId: string): Promise<MemberCardTable | undefined> {
    return db
      .selectFrom('member_card')
      .selectAll()
      .where('user_id', '=', userId)
      .where('status', '=', 'active')
      .executeTakeFirst();
  },

  async findCard(db: Q, id: string): Promise<MemberCardTable | undefined> {
    return db.selectFrom('member_card').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async revokeActive(db: Q, userId: string, at: string): Promise<string[]> {
    const rows = await db
      .selectFrom('member_card')
      .select('id')
      .where('user_id', '=', userId)
      .where('status', '=', 'active')
      .execute();
    if (rows.length === 0) return [];
    await db
      .updateTable('member_card')
      .set({ status: 'revoked', revoked_at: at })
      .where('user_id', '=', userId)
      .where('status', '=', 'active')
      .execute();
    return rows.map((r) => r.id);
  },

  /** Hand an unclaimed active card to a phone; false when it was claimed (or revoked) meanwhile. */
  async claim(db: Q, id: string, at: string): Promise<boolean> {
    const r = await db
      .updateTable('member_card')
      .set({ claimed_at: at })
      .where('id', '=', id)
      .where('status', '=', 'active')
      .where('claimed_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  async insertCard(db: Q, row: MemberCardTable): Promise<void> {
    await db.insertInto('member_card').values(row).execute();
  },

  async insertVerification(db: Q, row: CardVerificationTable): Promise<void> {
    await db.insertInto('card_verification').values(row).execute();
  },

  async verificationsSince(db: Q, merchantUserId: string, since: string): Promise<number> {
    const r = await db
      .selectFrom('card_verification')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('merchant_user_id', '=', merchantUserId)
      .where('at', '>=', since)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },
};
