import { type Kysely, sql } from 'kysely';
import { columnTypes, type DialectName } from '../dialect.ts';

/**
 * Model-worker special subsidies (劳模专项补助, DOMAIN §3.5, seed 003).
 *
 * - `subsidy_policy`: the rule of one federation for one kind over a period. A payment uses
 *   the rule in force on its date, so a rule is never edited once money went out under it: a
 *   change is a new row with a later `effective_from`. Periods of one federation and kind do
 *   not overlap (the service checks it inside the lock every writer takes).
 * - `subsidy_award`: one payment of one kind and year to one person. UNIQUE (person, kind,
 *   year) is the database's "nobody is paid twice", whatever a service forgets.
 * - `subsidy_plan`: a city federation's payment plan (发放方案) and the payout batch it made.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);
  const kinds = sql`('festival', 'hardship', 'farmer')`;

  await db.schema
    .createTable('subsidy_policy')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organization.id'))
    .addColumn('org_path', t.path, (c) => c.notNull())
    .addColumn('province_root', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    // YYYY-MM-DD, both ends included; null: open-ended.
    .addColumn('effective_from', 'text', (c) => c.notNull())
    .addColumn('effective_to', 'text')
    .addColumn('amount_min_fen', t.bigint, (c) => c.notNull())
    .addColumn('amount_max_fen', t.bigint, (c) => c.notNull())
    .addColumn('men_min_age', 'integer')
    .addColumn('women_min_age', 'integer')
    .addColumn('times_per_year', 'integer', (c) => c.notNull())
    .addColumn('notice_days', 'integer', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addCheckConstraint('subsidy_policy_kind', sql`kind in ${kinds}`)
    .addCheckConstraint('subsidy_policy_amounts', sql`amount_min_fen > 0 and amount_max_fen >= amount_min_fen`)
    .addCheckConstraint('subsidy_policy_period', sql`effective_to is null or effective_to >= effective_from`)
    .addCheckConstraint('subsidy_policy_times', sql`times_per_year >= 1 and notice_days >= 1`)
    .execute();
  await db.schema
    .createIndex('subsidy_policy_org_kind')
    .on('subsidy_policy')
    .columns(['org_path', 'kind', 'effective_from'])
    .execute();

  await db.schema
    .createTable('subsidy_plan')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organization.id'))
    .addColumn('org_path', t.path, (c) => c.notNull())
    .addColumn('province_root', 'text', (c) => c.notNull())
    .addColumn('year', 'integer', (c) => c.notNull())
    // null: every kind (a mixed plan).
    .addColumn('kind', 'text')
    // YYYY-MM-DD: the date whose rules priced the plan.
    .addColumn('payment_date', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('payout_batch_id', 'text', (c) => c.references('payout_batch.id'))
    .addColumn('award_count', 'integer', (c) => c.notNull())
    .addColumn('total_fen', t.bigint, (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addCheckConstraint('subsidy_plan_kind', sql`kind is null or kind in ${kinds}`)
    .addCheckConstraint('subsidy_plan_status', sql`status in ('building', 'batched')`)
    .execute();
  await db.schema.createIndex('subsidy_plan_org').on('subsidy_plan').columns(['org_path', 'year']).execute();

  await db.schema
    .createTable('subsidy_award')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('year', 'integer', (c) => c.notNull())
    .addColumn('person_id', 'text', (c) => c.notNull().references('person.id'))
    .addColumn('model_worker_id', 'text', (c) => c.notNull().references('model_worker.id'))
    // The application; null for festival greetings, which nobody applies for.
    .addColumn('instance_id', 'text', (c) => c.references('workflow_instance.id'))
    // The model worker's own union (where the survey happened), for the report per county.
    .addColumn('unit_org_id', 'text', (c) => c.notNull().references('organization.id'))
    // The rule that priced it; null until a plan prices a generated festival greeting.
    .addColumn('policy_id', 'text', (c) => c.references('subsidy_policy.id'))
    .addColumn('amount_fen', t.bigint)
    // The paying city federation.
    .addColumn('org_id', 'text', (c) => c.notNull().references('organization.id'))
    .addColumn('org_path', t.path, (c) => c.notNull())
    .addColumn('province_root', 'text', (c) => c.notNull())
    .addColumn('plan_id', 'text', (c) => c.references('subsidy_plan.id'))
    .addColumn('payment_date', 'text')
    .addColumn('payout_line_id', 'text', (c) => c.references('payout_line.id'))
    // pending: generated, in no plan yet · planned: money on the payee's payable, in a batch ·
    // paid · failed: the bank returned it (owed again; the next plan takes it).
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('transfer_id', 'text', (c) => c.references('ledger_transfer.id'))
    .addColumn('failure_reason', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addColumn('paid_at', t.timestamp)
    .addCheckConstraint('subsidy_award_kind', sql`kind in ${kinds}`)
    .addCheckConstraint('subsidy_award_status', sql`status in ('pending', 'planned', 'paid', 'failed')`)
    .addCheckConstraint('subsidy_award_amount', sql`amount_fen is null or amount_fen > 0`)
    .addCheckConstraint(
      'subsidy_award_priced',
      sql`status = 'pending' or (amount_fen is not null and plan_id is not null)`,
    )
    .execute();
  // Nobody is paid twice for the same kind and year.
  await db.schema
    .createIndex('subsidy_award_once')
    .on('subsidy_award')
    .columns(['person_id', 'kind', 'year'])
    .unique()
    .execute();
  await db.schema.createIndex('subsidy_award_org').on('subsidy_award').columns(['org_path', 'year', 'kind']).execute();
  await db.schema.createIndex('subsidy_award_plan').on('subsidy_award').columns(['plan_id']).execute();
  await db.schema.createIndex('subsidy_award_instance').on('subsidy_award').columns(['instance_id']).execute();
}
