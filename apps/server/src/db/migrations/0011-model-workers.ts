import { type Kysely, sql } from 'kysely';
import { columnTypes, type DialectName } from '../dialect.ts';

/**
 * The model-worker and craftsman registry (劳模和工匠名册) and the link between a member's
 * sign-in account and their real-name record.
 *
 * A registry entry is one honour of one person: the person's identity (ID number, gender,
 * birth date, phone, bank card) stays in `person`, the one real-name record, so the
 * subsidies read age and sex from the ID number and pay the card on record there. The entry
 * is filed under the union that keeps it (usually the federation that awarded or manages
 * it), which decides who sees it.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);

  await db.schema
    .createTable('model_worker')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('person_id', 'text', (c) => c.notNull().references('person.id'))
    .addColumn('org_id', 'text', (c) => c.notNull().references('organization.id'))
    .addColumn('org_path', t.path, (c) => c.notNull())
    .addColumn('province_root', 'text', (c) => c.notNull())
    // model_worker (劳动模范) or craftsman (工匠)
    .addColumn('category', 'text', (c) => c.notNull())
    // national, provincial, city
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('awarding_body', 'text')
    .addColumn('year_awarded', 'integer', (c) => c.notNull())
    // 劳模证 number: unique across the platform.
    .addColumn('certificate_no', 'text', (c) => c.notNull().unique())
    // kept or revoked; a revoked honour keeps its row, date and reason.
    .addColumn('honor_status', 'text', (c) => c.notNull())
    .addColumn('revoked_on', 'text')
    .addColumn('revoked_reason', 'text')
    // employed, retired, unemployed, other
    .addColumn('employment_status', 'text', (c) => c.notNull())
    .addColumn('farmer', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('lost_work_capacity', 'integer', (c) => c.notNull().defaultTo(0))
    // YYYY-MM-DD; set when the person has died (subsidies go to the living only).
    .addColumn('deceased_on', 'text')
    // The bank that holds the card kept on the person (the card itself is encrypted there).
    .addColumn('bank_name', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addCheckConstraint('model_worker_category', sql`category in ('model_worker', 'craftsman')`)
    .addCheckConstraint('model_worker_level', sql`level in ('national', 'provincial', 'city')`)
    .addCheckConstraint('model_worker_honor', sql`honor_status in ('kept', 'revoked')`)
    .addCheckConstraint(
      'model_worker_revoked',
      sql`honor_status = 'kept' or (revoked_on is not null and revoked_reason is not null)`,
    )
    .addCheckConstraint(
      'model_worker_employment',
      sql`employment_status in ('employed', 'retired', 'unemployed', 'other')`,
    )
    .execute();
  // One honour of one kind and level per person and year: the same award is not entered twice.
  await db.schema
    .createIndex('model_worker_award')
    .on('model_worker')
    .columns(['person_id', 'category', 'level', 'year_awarded'])
    .unique()
    .execute();
  await db.schema.createIndex('model_worker_org').on('model_worker').columns(['org_path', 'level']).execute();

  // A member's sign-in account and the real-name record it speaks for (set when the member
  // binds it with name and ID number, or found by the phone they signed in with).
  await db.schema
    .alterTable('user_account')
    .addColumn('person_id', 'text', (c) => c.references('person.id'))
    .execute();
  await db.schema.createIndex('user_account_person').on('user_account').columns(['person_id']).execute();
}
