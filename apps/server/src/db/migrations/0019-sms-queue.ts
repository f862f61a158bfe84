import { sql, type Kysely } from 'kysely';
import { columnTypes, type DialectName } from '../dialect.ts';

/**
 * The SMS queue: an SMS a step wants to send is a row written in the step's own transaction,
 * so it commits or rolls back with the step, and a crash after the commit leaves it queued
 * rather than lost. After the commit the writer dispatches its rows at once; a periodic
 * dispatch sends whatever is left (a crash, a gateway failure) with backoff. Sent rows are
 * kept as the record of what was sent.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .createTable('sms_queue')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // To a sign-in account (its phone read when sending) or to a phone given (encrypted here).
    .addColumn('user_id', 'text', (c) => c.references('user_account.id'))
    .addColumn('phone_cipher', 'text')
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('next_attempt_at', t.timestamp, (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    // A dispatcher's claim: others skip the row until then (a dispatcher that died mid-send
    // leaves its claim to expire, and the row is tried again).
    .addColumn('claimed_until', t.timestamp)
    .addColumn('sent_at', t.timestamp)
    // Given up: no phone to send to, or the last attempt failed.
    .addColumn('failed_at', t.timestamp)
    .addColumn('last_error', 'text')
    .addCheckConstraint('sms_queue_target', sql`user_id is not null or phone_cipher is not null`)
    .execute();
  // The dispatcher reads the due rows still open, oldest first.
  await db.schema
    .createIndex('sms_queue_due')
    .on('sms_queue')
    .column('next_attempt_at')
    .where(sql.ref('sent_at'), 'is', null)
    .where(sql.ref('failed_at'), 'is', null)
    .execute();
}
