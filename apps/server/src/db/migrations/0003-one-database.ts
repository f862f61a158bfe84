import { type Kysely, sql } from 'kysely';
import { columnTypes, type DialectName } from '../dialect.ts';

/**
 * The one database (一库): work units, real-name persons and their dated memberships, and
 * the lifecycle of organizations (dissolved, merged). Every org-scoped table carries
 * `org_path` for the scope helper and `province_root` as the future sharding key.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);

  if (dialect === 'postgres') {
    // The first path columns were created without the bytewise collation the scope ranges
    // rely on; under a non-C database collation '/' and '0' would not bound a subtree.
    await sql`alter table job alter column org_path type text collate "C"`.execute(db);
    await sql`alter table audit_event alter column org_path type text collate "C"`.execute(db);
  }

  await db.schema.alterTable('organization').addColumn('dissolved_at', t.timestamp).execute();
  await db.schema.alterTable('organization').addColumn('merged_into_id', 'text').execute();
  await db.schema.alterTable('organization').addColumn('status_reason', 'text').execute();

  await db.schema
    .createTable('work_unit')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    // GB 32100, normalized; unique where present (small units may have none on record).
    .addColumn('credit_code', 'text', (c) => c.unique())
    .addColumn('unit_type', 'text')
    .addColumn('industry', 'text')
    .addColumn('region_code', 'text')
    .addColumn('address', 'text')
    .addColumn('employee_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('founded_on', 'text')
    .addColumn('chair_name', 'text')
    .addColumn('contact_name', 'text')
    .addColumn('contact_phone_cipher', 'text')
    // The union covering the unit (its own grassroots union, or a joint union); null while
    // it has none: such units are the 建会率 denominator's gap.
    .addColumn('union_org_id', 'text', (c) => c.references('organization.id'))
    // Who answers for the unit: its union when founded, else the local federation.
    .addColumn('org_id', 'text', (c) => c.notNull().references('organization.id'))
    .addColumn('org_path', t.path, (c) => c.notNull())
    .addColumn('province_root', 'text', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('work_unit_org').on('work_unit').columns(['org_path']).execute();
  await db.schema.createIndex('work_unit_union').on('work_unit').columns(['union_org_id']).execute();

  await db.schema
    .createTable('person')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    // Pinyin initials of the name (surname mode), for "zs" finding 张三.
    .addColumn('name_initials', 'text', (c) => c.notNull())
    .addColumn('id_number_cipher', 'text', (c) => c.notNull())
    // One person, one record: the blind index of the normalized 18-character ID number.
    .addColumn('id_number_index', 'text', (c) => c.notNull().unique())
    .addColumn('gender', 'text', (c) => c.notNull())
    .addColumn('birth_date', 'text', (c) => c.notNull())
    .addColumn('ethnicity', 'text')
    .addColumn('political_status', 'text')
    .addColumn('education', 'text')
    .addColumn('household_type', 'text')
    .addColumn('household_region', 'text')
    .addColumn('phone_cipher', 'text')
    .addColumn('phone_index', 'text', (c) => c.unique())
    .addColumn('bank_card_cipher', 'text')
    .addColumn('bank_card_index', 'text')
    .addColumn('employment_type', 'text', (c) => c.notNull())
    .addColumn('new_form_group', 'text')
    .addColumn('work_unit_id', 'text', (c) => c.references('work_unit.id'))
    .addColumn('work_unit_name', 'text')
    // 实名制: the ID number was checked against its holder (not only its checksum).
    .addColumn('real_name_verified', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('person_name').on('person').columns(['name']).execute();
  await db.schema.createIndex('person_initials').on('person').columns(['name_initials']).execute();

  await db.schema
    .createTable('membership')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('person_id', 'text', (c) => c.notNull().references('person.id'))
    // Copied from the person so the database itself can refuse a second open membership.
    .addColumn('id_number_index', 'text', (c) => c.notNull())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organization.id'))
    .addColumn('org_path', t.path, (c) => c.notNull())
    .addColumn('province_root', 'text', (c) => c.notNull())
    // active | retained (open) · transferred_out | withdrawn (closed)
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('started_on', 'text', (c) => c.notNull())
    .addColumn('ended_on', 'text')
    .addColumn('end_reason', 'text')
    // Unique among open memberships only: a merge or transfer closes one row and opens
    // another with the same number, so history rows share it (decision 0008).
    .addColumn('member_number', 'text')
    .addColumn('card_number', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
  // One open membership (active or retained) per person, in the whole system.
  await db.schema
    .createIndex('membership_one_open')
    .on('membership')
    .column('id_number_index')
    .unique()
    .where(sql.ref('ended_on'), 'is', null)
    .execute();
  await db.schema
    .createIndex('membership_member_number_open')
    .on('membership')
    .column('member_number')
    .unique()
    .where(sql.ref('ended_on'), 'is', null)
    .execute();
  await db.schema.createIndex('membership_org').on('membership').columns(['org_path', 'status']).execute();
  await db.schema.createIndex('membership_person').on('membership').columns(['person_id', 'started_on']).execute();
}
