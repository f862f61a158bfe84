import { type Kysely, sql } from 'kysely';
import { columnTypes, type DialectName } from '../dialect.ts';

/**
 * Union founding online (网上建会, decision 0018). One `founding_application` per attempt of a
 * workplace to found its union, run by a `union.founding` workflow instance. The row keeps
 * what the steps filed (the workplace, the assembly request, the election results) and, once
 * founded, the union and work unit it made.
 *
 * - Filed at the handling union (org_path, province_root), like the instance: an appeal hands
 *   both to the higher union in one step, and restructuring rewrites both.
 * - The contact phone is encrypted (context `founding_application.contact_phone`); nobody looks
 *   an application up by phone, so it has no blind index.
 * - One open application per credit code: a partial unique index, so two contacts applying at
 *   once for one workplace cannot both start.
 * - `instance_id` is set in the transaction that inserts the row: the row goes in first, so a
 *   refused duplicate never starts an instance (nor tells its applicant it did).
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .createTable('founding_application')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('instance_id', 'text', (c) => c.unique().references('workflow_instance.id'))
    .addColumn('applicant_user_id', 'text', (c) => c.notNull().references('user_account.id'))
    .addColumn('unit_name', 'text', (c) => c.notNull())
    // GB 32100, normalized.
    .addColumn('credit_code', 'text', (c) => c.notNull())
    .addColumn('unit_type', 'text', (c) => c.notNull())
    .addColumn('industry', 'text', (c) => c.notNull())
    .addColumn('region_code', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('employee_count', 'integer', (c) => c.notNull())
    .addColumn('contact_name', 'text', (c) => c.notNull())
    .addColumn('contact_phone_cipher', 'text', (c) => c.notNull())
    // The member-assembly request (YYYY-MM-DD; candidates as a JSON array of names).
    .addColumn('assembly_date', 'text')
    .addColumn('assembly_expected_members', 'integer')
    .addColumn('assembly_candidates', 'text')
    // The election results (names as JSON arrays).
    .addColumn('elected_on', 'text')
    .addColumn('chair_name', 'text')
    .addColumn('vice_chair_names', 'text')
    .addColumn('committee_names', 'text')
    .addColumn('member_count', 'integer')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('union_org_id', 'text', (c) => c.references('organization.id'))
    .addColumn('work_unit_id', 'text', (c) => c.references('work_unit.id'))
    .addColumn('org_id', 'text', (c) => c.notNull().references('organization.id'))
    .addColumn('org_path', t.path, (c) => c.notNull())
    .addColumn('province_root', 'text', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addColumn('founded_at', t.timestamp)
    .addCheckConstraint('founding_application_status', sql`status in ('open', 'founded', 'closed')`)
    .addCheckConstraint('founding_application_employees', sql`employee_count >= 1`)
    .addCheckConstraint(
      'founding_application_founded',
      sql`status <> 'founded' or (union_org_id is not null and work_unit_id is not null and founded_at is not null)`,
    )
    .execute();
  await db.schema
    .createIndex('founding_application_open_code')
    .on('founding_application')
    .column('credit_code')
    .unique()
    .where(sql.ref('status'), '=', 'open')
    .execute();
  await db.schema
    .createIndex('founding_application_org')
    .on('founding_application')
    .columns(['org_path', 'created_at'])
    .execute();
  await db.schema
    .createIndex('founding_application_applicant')
    .on('founding_application')
    .columns(['applicant_user_id', 'created_at'])
    .execute();
  // Routing a founding looks unions up by region code anywhere in the tree.
  await db.schema.createIndex('organization_region').on('organization').columns(['region_code', 'type']).execute();
}
