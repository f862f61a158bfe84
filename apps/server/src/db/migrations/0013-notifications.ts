import type { Kysely } from 'kysely';
import { columnTypes, type DialectName } from '../dialect.ts';

/**
 * In-app notifications (站内消息): one row per message to one sign-in account. The text is
 * stored in both locales as written at the time, so a message reads the same later even if
 * the labels it was built from change. `link` points at what the message is about (a
 * workflow instance, say) so the portal can open it.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .createTable('notification')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('user_account.id'))
    // e.g. workflow.step, workflow.objection; lets a client pick an icon or filter.
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('title_zh', 'text', (c) => c.notNull())
    .addColumn('title_en', 'text', (c) => c.notNull())
    .addColumn('body_zh', 'text', (c) => c.notNull())
    .addColumn('body_en', 'text', (c) => c.notNull())
    .addColumn('link_type', 'text')
    .addColumn('link_id', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('read_at', t.timestamp)
    .execute();
  // The inbox reads one user's newest messages; the unread count scans the same range.
  await db.schema
    .createIndex('notification_user_created')
    .on('notification')
    .columns(['user_id', 'created_at desc'])
    .execute();
}
