import type { Kysely } from 'kysely';
import { columnTypes, type DialectName, makeAppendOnly } from '../dialect.ts';

/**
 * The workflow engine (decision 0013): one instance table for every kind of application, an
 * append-only history, attachments, public notices (公示) with their objections, and the
 * working-day calendar deadlines are counted on.
 *
 * The instance and its notices are filed under the handling union's path (rewritten when the
 * tree is restructured); history rows keep the path where each step happened. Attachments
 * and objections are reached only through their instance, whose scope check covers them.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);

  await db.schema
    .createTable('workflow_instance')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('definition_key', 'text', (c) => c.notNull())
    .addColumn('definition_version', 'integer', (c) => c.notNull())
    .addColumn('subject_type', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text')
    .addColumn('applicant_user_id', 'text', (c) => c.references('user_account.id'))
    .addColumn('applicant_person_id', 'text', (c) => c.references('person.id'))
    // The union handling the current step; an appeal moves it to the parent federation.
    .addColumn('org_id', 'text', (c) => c.notNull().references('organization.id'))
    .addColumn('org_path', t.path, (c) => c.notNull())
    .addColumn('province_root', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    // The state's kind (review, notice, waiting, rejected, done, withdrawn), so queues filter
    // "waiting on a union" in SQL without knowing every definition's state names.
    .addColumn('state_kind', 'text', (c) => c.notNull())
    // JSON object owned by the module that declared the definition.
    .addColumn('data', 'text', (c) => c.notNull())
    // Optimistic lock: every transition is a conditional update on it, so of two cadres
    // acting at once exactly one wins.
    .addColumn('version', 'integer', (c) => c.notNull())
    // Number of the last history row: drawing the next one also takes the row lock.
    .addColumn('history_seq', 'integer', (c) => c.notNull())
    .addColumn('due_at', t.timestamp)
    // Beijing date of the last overdue reminder: at most one per day.
    .addColumn('reminded_on', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addColumn('closed_at', t.timestamp)
    .execute();
  await db.schema
    .createIndex('workflow_instance_org')
    .on('workflow_instance')
    .columns(['org_path', 'state_kind'])
    .execute();
  await db.schema
    .createIndex('workflow_instance_applicant')
    .on('workflow_instance')
    .columns(['applicant_user_id', 'created_at'])
    .execute();
  await db.schema
    .createIndex('workflow_instance_subject')
    .on('workflow_instance')
    .columns(['subject_type', 'subject_id'])
    .execute();
  await db.schema.createIndex('workflow_instance_due').on('workflow_instance').columns(['due_at']).execute();

  await db.schema
    .createTable('workflow_history')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('instance_id', 'text', (c) => c.notNull().references('workflow_instance.id'))
    // 1, 2, 3 … per instance: the order a reader replays.
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('at', t.timestamp, (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('actor_kind', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('from_state', 'text')
    .addColumn('to_state', 'text')
    .addColumn('comment', 'text')
    // JSON: what else the step recorded (attachment id, objection id, new handling union …).
    .addColumn('detail', 'text')
    .addColumn('org_path', t.path, (c) => c.notNull())
    .addColumn('province_root', 'text', (c) => c.notNull())
    .addUniqueConstraint('workflow_history_seq', ['instance_id', 'seq'])
    .execute();
  await makeAppendOnly(db, dialect, 'workflow_history');

  await db.schema
    .createTable('workflow_attachment')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('instance_id', 'text', (c) => c.notNull().references('workflow_instance.id'))
    // A document kind the definition declares (e.g. diagnosis, bank_statement).
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size_bytes', t.bigint, (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    // Where the bytes are kept, relative to DATA_DIR.
    .addColumn('storage_key', 'text', (c) => c.notNull())
    .addColumn('uploaded_by', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('workflow_attachment_instance')
    .on('workflow_attachment')
    .columns(['instance_id', 'kind'])
    .execute();

  await db.schema
    .createTable('workflow_notice')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('instance_id', 'text', (c) => c.notNull().references('workflow_instance.id'))
    .addColumn('state', 'text', (c) => c.notNull())
    // The full name; boards show it masked (presenter).
    .addColumn('subject_name', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('starts_at', t.timestamp, (c) => c.notNull())
    .addColumn('ends_at', t.timestamp, (c) => c.notNull())
    // open (on the board) · passed (period over, step passed) · withdrawn (an objection was upheld)
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organization.id'))
    .addColumn('org_path', t.path, (c) => c.notNull())
    .addColumn('province_root', 'text', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('closed_at', t.timestamp)
    .execute();
  await db.schema.createIndex('workflow_notice_board').on('workflow_notice').columns(['status', 'org_path']).execute();
  await db.schema.createIndex('workflow_notice_instance').on('workflow_notice').columns(['instance_id']).execute();

  await db.schema
    .createTable('workflow_objection')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('notice_id', 'text', (c) => c.notNull().references('workflow_notice.id'))
    .addColumn('instance_id', 'text', (c) => c.notNull().references('workflow_instance.id'))
    .addColumn('objector_user_id', 'text', (c) => c.notNull().references('user_account.id'))
    .addColumn('reason', 'text', (c) => c.notNull())
    // open · upheld · dismissed · superseded (another objection to the same notice was upheld)
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('decision_reason', 'text')
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', t.timestamp)
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('workflow_objection_notice')
    .on('workflow_objection')
    .columns(['notice_id', 'status'])
    .execute();

  // Days that differ from the Monday–Friday rule: public holidays (working = 0) and the
  // weekend days worked in exchange (调休, working = 1).
  await db.schema
    .createTable('calendar_day')
    .addColumn('day', 'text', (c) => c.primaryKey())
    .addColumn('working', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
}
