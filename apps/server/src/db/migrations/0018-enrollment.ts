import { type Kysely, sql } from 'kysely';
import { columnTypes, type DialectName } from '../dialect.ts';

/**
 * Group enrollment (集中入会, decision 0019). A batch is one wave of join applications at one
 * union — a list the union imported, or the workers who scanned one event's QR code — so the
 * union can follow it and approve it together. The applications themselves are ordinary join
 * applications (`join_application.batch_id`), run by the one workflow engine.
 *
 * - `enrollment_batch`: the union (org path + province root, rewritten with the tree), the
 *   kind, a title, the list import's job and tallies; pending/approved/rejected are counted
 *   live from the applications, never stored.
 * - `enrollment_event`: an event's public code (the QR code's link), where and when, what the
 *   form is preset to, the quota, and whether it is still open. `joined` counts applications
 *   and is raised by a conditional update, so a full quota refuses the next worker even when
 *   two scan at once.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .createTable('enrollment_batch')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organization.id'))
    .addColumn('org_path', t.path, (c) => c.notNull())
    .addColumn('province_root', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    // List imports: the job writing the applications (the batch is written before the job is
    // queued, so no foreign key), the file's name and SHA-256.
    .addColumn('job_id', 'text')
    .addColumn('file_name', 'text')
    .addColumn('file_sha256', 'text')
    // List imports: rows read, applications created, rows refused (with their reasons in
    // import_problem under the job), rows already pending or already members.
    .addColumn('rows_read', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('refused_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('duplicate_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_by', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addCheckConstraint('enrollment_batch_kind', sql`kind in ('list', 'event')`)
    .execute();
  await db.schema
    .createIndex('enrollment_batch_org')
    .on('enrollment_batch')
    .columns(['org_path', 'created_at'])
    .execute();

  await db.schema
    .createTable('enrollment_event')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('batch_id', 'text', (c) => c.notNull().unique().references('enrollment_batch.id'))
    // What the QR code carries: /m/join/e/<code>. Random, so events cannot be enumerated.
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('place', 'text', (c) => c.notNull())
    .addColumn('opens_at', t.timestamp, (c) => c.notNull())
    .addColumn('closes_at', t.timestamp, (c) => c.notNull())
    // The form's presets: the employer (a registered unit or a name), employment type, group.
    .addColumn('work_unit_id', 'text', (c) => c.references('work_unit.id'))
    .addColumn('work_unit_name', 'text')
    .addColumn('employment_type', 'text')
    .addColumn('new_form_group', 'text')
    // null: no limit.
    .addColumn('quota', 'integer')
    .addColumn('joined', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('closed_at', t.timestamp)
    .addColumn('closed_by', 'text')
    .addCheckConstraint('enrollment_event_status', sql`status in ('open', 'closed')`)
    .addCheckConstraint('enrollment_event_period', sql`closes_at > opens_at`)
    .addCheckConstraint('enrollment_event_quota', sql`quota is null or (quota > 0 and joined <= quota)`)
    .execute();
}
