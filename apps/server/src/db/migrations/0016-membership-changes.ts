import { type Kysely, sql } from 'kysely';
import { columnTypes, type DialectName } from '../dialect.ts';

/**
 * Membership changes after joining (decision 0017): transfers between unions, retention,
 * withdrawal, expulsion, and the six-month inactivity rule.
 *
 * - `membership_transfer`: one row per transfer application (a workflow instance). It is
 *   filed at the union the member moves to (the handling union, `org_path`); the side it
 *   leaves is reached through `from_membership_id`, whose membership row is filed (and moved
 *   with the tree) at the old union. Both sides are found through the one scope helper, each
 *   on an org-scoped path column, and no path is stored twice.
 * - `membership_change`: what happened to a membership and why (transferred in or out,
 *   retained with its reason, withdrawn, expelled with its reason, withdrawn as inactive): the
 *   member's timeline. Reached through its membership.
 * - `membership_activity`: dues paid by month and union activities attended, the signs of
 *   life the inactivity rule reads (with card verifications and applications started).
 * - `inactivity_proposal` and `inactivity_run`: the daily list of members with no sign of life
 *   for six months, which the union confirms or dismisses; one run per Beijing day.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);

  await db.schema
    .createTable('membership_transfer')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('instance_id', 'text', (c) => c.notNull().unique().references('workflow_instance.id'))
    .addColumn('person_id', 'text', (c) => c.notNull().references('person.id'))
    .addColumn('from_membership_id', 'text', (c) => c.notNull().references('membership.id'))
    .addColumn('to_org_id', 'text', (c) => c.notNull().references('organization.id'))
    .addColumn('org_path', t.path, (c) => c.notNull())
    .addColumn('province_root', 'text', (c) => c.notNull())
    // member (on the portal), from_union (the union left), to_union (the union joined)
    .addColumn('started_by', 'text', (c) => c.notNull())
    // The membership opened on acceptance; null until then.
    .addColumn('to_membership_id', 'text', (c) => c.references('membership.id'))
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('membership_transfer_to').on('membership_transfer').columns(['org_path']).execute();
  await db.schema
    .createIndex('membership_transfer_from')
    .on('membership_transfer')
    .columns(['from_membership_id'])
    .execute();
  await db.schema.createIndex('membership_transfer_person').on('membership_transfer').columns(['person_id']).execute();

  await db.schema
    .createTable('membership_change')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('person_id', 'text', (c) => c.notNull().references('person.id'))
    .addColumn('membership_id', 'text', (c) => c.notNull().references('membership.id'))
    // transfer_in | transfer_out | retain | withdraw | inactive | expel
    .addColumn('kind', 'text', (c) => c.notNull())
    // retain: retired | unemployed | unit_closed; null otherwise
    .addColumn('reason_code', 'text')
    .addColumn('reason', 'text')
    .addColumn('on_date', 'text', (c) => c.notNull())
    .addColumn('instance_id', 'text', (c) => c.references('workflow_instance.id'))
    .addColumn('created_by', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('membership_change_person')
    .on('membership_change')
    .columns(['person_id', 'created_at'])
    .execute();
  await db.schema
    .createIndex('membership_change_membership')
    .on('membership_change')
    .columns(['membership_id'])
    .execute();

  await db.schema
    .createTable('membership_activity')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('person_id', 'text', (c) => c.notNull().references('person.id'))
    .addColumn('membership_id', 'text', (c) => c.notNull().references('membership.id'))
    // dues | activity
    .addColumn('kind', 'text', (c) => c.notNull())
    // dues: the month paid for, YYYY-MM; null for activities
    .addColumn('month', 'text')
    // the day paid or attended, YYYY-MM-DD (Beijing)
    .addColumn('occurred_on', 'text', (c) => c.notNull())
    .addColumn('title', 'text')
    .addColumn('recorded_by', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('membership_activity_person')
    .on('membership_activity')
    .columns(['person_id', 'occurred_on'])
    .execute();
  // A month's dues are recorded once per membership: recording it again changes nothing.
  await db.schema
    .createIndex('membership_activity_dues_once')
    .on('membership_activity')
    .columns(['membership_id', 'month'])
    .unique()
    .where(sql.ref('kind'), '=', 'dues')
    .execute();

  await db.schema
    .createTable('inactivity_proposal')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('run_on', 'text', (c) => c.notNull())
    .addColumn('person_id', 'text', (c) => c.notNull().references('person.id'))
    .addColumn('membership_id', 'text', (c) => c.notNull().references('membership.id'))
    .addColumn('org_id', 'text', (c) => c.notNull().references('organization.id'))
    .addColumn('org_path', t.path, (c) => c.notNull())
    .addColumn('province_root', 'text', (c) => c.notNull())
    // the last sign of life before the run (YYYY-MM-DD), or the membership's start
    .addColumn('last_sign_on', 'text', (c) => c.notNull())
    // open | confirmed | dismissed | lapsed (the membership ended otherwise)
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', t.timestamp)
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute();
  // At most one open proposal per membership, even from two processes running the job at once.
  await db.schema
    .createIndex('inactivity_proposal_one_open')
    .on('inactivity_proposal')
    .column('membership_id')
    .unique()
    .where(sql.ref('status'), '=', 'open')
    .execute();
  await db.schema
    .createIndex('inactivity_proposal_org')
    .on('inactivity_proposal')
    .columns(['org_path', 'status'])
    .execute();
  await db.schema
    .createIndex('inactivity_proposal_membership')
    .on('inactivity_proposal')
    .columns(['membership_id', 'decided_at'])
    .execute();

  await db.schema
    .createTable('inactivity_run')
    .addColumn('day', 'text', (c) => c.primaryKey())
    .addColumn('proposed', 'integer', (c) => c.notNull())
    .addColumn('at', t.timestamp, (c) => c.notNull())
    .execute();

  // What the inactivity rule reads of other modules' rows: a person's cards and their checks,
  // and the applications a person started.
  await db.schema.createIndex('member_card_person').on('member_card').columns(['person_id']).execute();
  await db.schema.createIndex('card_verification_card_at').on('card_verification').columns(['card_id', 'at']).execute();
  await db.schema
    .createIndex('workflow_instance_applicant_person')
    .on('workflow_instance')
    .columns(['applicant_person_id', 'created_at'])
    .execute();
}
