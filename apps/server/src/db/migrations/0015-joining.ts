import { type Kysely, sql } from 'kysely';
import { columnTypes, type DialectName } from '../dialect.ts';

/**
 * Joining (入会, decision 0016).
 *
 * - `join_application`: the form behind one `membership.join` workflow instance. The ID number
 *   and phone are encrypted under the person's contexts, with their blind indexes, so the
 *   instance's JSON data never holds them. Where it is filed is the instance's business (its
 *   handling union moves on appeal); `union_org_id` is the union the routing chose, where the
 *   membership opens on approval. `pending` is 1 while a union has to act; the partial unique
 *   index makes "one pending application per ID number" the database's rule too.
 *   `source` and `batch_id` let group enrollment (list import, event QR code) start rows
 *   without an applicant account.
 * - `join_pool`: the union that takes the new-form workers of one group (八大群体) for a
 *   federation's region, set by that federation's cadres.
 * - `member_card.claimed_at`: a card issued on approval has a secret no phone holds yet; the
 *   member's first issue on a phone claims it instead of revoking it.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);

  await db.schema
    .createTable('join_application')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // Set in the transaction that writes the row: the row comes first, so the one-pending
    // index refuses a duplicate before the instance (and the applicant's message) exists.
    .addColumn('instance_id', 'text', (c) => c.unique().references('workflow_instance.id'))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('batch_id', 'text')
    .addColumn('applicant_user_id', 'text', (c) => c.references('user_account.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('id_number_cipher', 'text', (c) => c.notNull())
    .addColumn('id_number_index', 'text', (c) => c.notNull())
    .addColumn('gender', 'text', (c) => c.notNull())
    .addColumn('birth_date', 'text', (c) => c.notNull())
    .addColumn('phone_cipher', 'text')
    .addColumn('phone_index', 'text')
    .addColumn('employment_type', 'text', (c) => c.notNull())
    .addColumn('new_form_group', 'text')
    .addColumn('work_unit_id', 'text', (c) => c.references('work_unit.id'))
    .addColumn('work_unit_name', 'text')
    .addColumn('work_region_code', 'text')
    .addColumn('union_org_id', 'text', (c) => c.notNull().references('organization.id'))
    .addColumn('route', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('pending', 'integer', (c) => c.notNull())
    .addColumn('person_id', 'text', (c) => c.references('person.id'))
    .addColumn('membership_id', 'text', (c) => c.references('membership.id'))
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addCheckConstraint('join_application_source', sql`source in ('portal', 'list', 'event')`)
    .addCheckConstraint('join_application_route', sql`route in ('employer', 'pool', 'local')`)
    .addCheckConstraint('join_application_pending', sql`pending in (0, 1)`)
    .execute();
  await db.schema
    .createIndex('join_application_one_pending')
    .on('join_application')
    .column('id_number_index')
    .unique()
    .where(sql.ref('pending'), '=', 1)
    .execute();
  await db.schema.createIndex('join_application_id_number').on('join_application').column('id_number_index').execute();
  await db.schema.createIndex('join_application_batch').on('join_application').column('batch_id').execute();
  await db.schema
    .createIndex('join_application_applicant')
    .on('join_application')
    .columns(['applicant_user_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('join_pool')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // The federation whose region the pool serves (a city's, or a county's of its own).
    .addColumn('federation_org_id', 'text', (c) => c.notNull().references('organization.id'))
    .addColumn('new_form_group', 'text', (c) => c.notNull())
    .addColumn('pool_org_id', 'text', (c) => c.notNull().references('organization.id'))
    .addColumn('updated_by', 'text')
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('join_pool_federation_group')
    .on('join_pool')
    .columns(['federation_org_id', 'new_form_group'])
    .unique()
    .execute();

  await db.schema.alterTable('member_card').addColumn('claimed_at', t.timestamp).execute();
  // Every card issued before this migration was issued on a phone, which holds its secret.
  await sql`update member_card set claimed_at = issued_at`.execute(db);
}
