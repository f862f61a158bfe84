import { type Kysely, sql } from 'kysely';
import { columnTypes, type DialectName } from '../dialect.ts';

/**
 * E-member cards (decision 0015). A card belongs to one sign-in account (one phone) and the
 * person it speaks for; its secret signs the rotating QR token and is stored encrypted. Every
 * merchant check is a `card_verification` row, whatever its result, so abuse can be traced
 * and the per-account rate limit counted.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .createTable('member_card')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('user_account.id'))
    .addColumn('person_id', 'text', (c) => c.notNull().references('person.id'))
    // The membership the card was issued for; reads follow the person's open membership.
    .addColumn('membership_id', 'text', (c) => c.notNull().references('membership.id'))
    .addColumn('secret_cipher', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('issued_at', t.timestamp, (c) => c.notNull())
    .addColumn('revoked_at', t.timestamp)
    .execute();
  // One active card per account: issuing on a new phone revokes the old one in the same
  // transaction, and two racing issues cannot both leave an active card.
  await db.schema
    .createIndex('member_card_one_active')
    .on('member_card')
    .column('user_id')
    .unique()
    .where(sql.ref('status'), '=', 'active')
    .execute();

  await db.schema
    .createTable('card_verification')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('card_id', 'text', (c) => c.references('member_card.id'))
    .addColumn('merchant_user_id', 'text', (c) => c.notNull().references('user_account.id'))
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('at', t.timestamp, (c) => c.notNull())
    .addColumn('ip', 'text')
    .execute();
  // The per-account limit counts one merchant's checks of the last minute.
  await db.schema
    .createIndex('card_verification_merchant_at')
    .on('card_verification')
    .columns(['merchant_user_id', 'at'])
    .execute();
}
