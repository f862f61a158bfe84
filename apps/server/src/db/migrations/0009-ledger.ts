import { type Kysely, sql } from 'kysely';
import { columnTypes, type DialectName, makeAppendOnly } from '../dialect.ts';

/**
 * The ledger (decision 0012): accounts with posted debit and credit totals, immutable
 * double-entry transfers, payout batches and their lines. The database itself holds the
 * money rules that must survive any code path: a transfer's key is unique, a transfer is
 * reversed at most once, transfer rows refuse UPDATE and DELETE, and an account whose rule
 * says so cannot have more debits (posted and held) than credits posted (a budget never
 * below zero).
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);

  await db.schema
    .createTable('ledger_account')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // kind, org, purpose and person in one text: "get or open this account" is one unique lookup.
    .addColumn('account_key', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organization.id'))
    .addColumn('org_path', t.path, (c) => c.notNull())
    .addColumn('province_root', 'text', (c) => c.notNull())
    .addColumn('person_id', 'text', (c) => c.references('person.id'))
    .addColumn('currency', 'text', (c) => c.notNull().defaultTo('CNY'))
    .addColumn('balance_rule', 'text', (c) => c.notNull())
    .addColumn('debits_posted', t.bigint, (c) => c.notNull().defaultTo(0))
    .addColumn('credits_posted', t.bigint, (c) => c.notNull().defaultTo(0))
    // Held for draft payout lines: not yet moved, but no longer available to other debits.
    .addColumn('debits_pending', t.bigint, (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addCheckConstraint('ledger_account_currency', sql`currency = 'CNY'`)
    .addCheckConstraint('ledger_account_rule', sql`balance_rule in ('none', 'debits_must_not_exceed_credits')`)
    .addCheckConstraint(
      'ledger_account_posted',
      sql`debits_posted >= 0 and credits_posted >= 0 and debits_pending >= 0`,
    )
    // The last wall behind the service's conditional update.
    .addCheckConstraint(
      'ledger_account_limit',
      sql`balance_rule <> 'debits_must_not_exceed_credits' or debits_posted + debits_pending <= credits_posted`,
    )
    .execute();
  await db.schema.createIndex('ledger_account_org').on('ledger_account').columns(['org_path', 'kind']).execute();
  await db.schema.createIndex('ledger_account_person').on('ledger_account').columns(['person_id']).execute();
  // A payout batch collects the payables of one organization and purpose.
  await db.schema
    .createIndex('ledger_account_owner')
    .on('ledger_account')
    .columns(['org_id', 'kind', 'purpose'])
    .execute();

  await db.schema
    .createTable('ledger_transfer')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
    .addColumn('debit_account_id', 'text', (c) => c.notNull().references('ledger_account.id'))
    .addColumn('credit_account_id', 'text', (c) => c.notNull().references('ledger_account.id'))
    .addColumn('amount', t.bigint, (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('memo', 'text')
    .addColumn('reference_type', 'text')
    .addColumn('reference_id', 'text')
    // Unique: a transfer is reversed once, even by two concurrent reversals.
    .addColumn('reversal_of', 'text', (c) => c.unique().references('ledger_transfer.id'))
    .addColumn('occurred_at', t.timestamp, (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addCheckConstraint('ledger_transfer_amount', sql`amount > 0`)
    .addCheckConstraint('ledger_transfer_accounts', sql`debit_account_id <> credit_account_id`)
    .execute();
  // Statements read one side at a time, newest first, keyset-paged by id (UUIDv7, time-ordered).
  await db.schema
    .createIndex('ledger_transfer_debit')
    .on('ledger_transfer')
    .columns(['debit_account_id', 'id'])
    .execute();
  await db.schema
    .createIndex('ledger_transfer_credit')
    .on('ledger_transfer')
    .columns(['credit_account_id', 'id'])
    .execute();
  await db.schema
    .createIndex('ledger_transfer_reference')
    .on('ledger_transfer')
    .columns(['reference_type', 'reference_id'])
    .execute();
  await makeAppendOnly(db, dialect, 'ledger_transfer');

  await db.schema
    .createTable('payout_batch')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('batch_no', 'text', (c) => c.notNull().unique())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organization.id'))
    .addColumn('org_path', t.path, (c) => c.notNull())
    .addColumn('province_root', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    // draft → sent → reconciled; a draft may be cancelled.
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('line_count', 'integer', (c) => c.notNull())
    .addColumn('total_amount', t.bigint, (c) => c.notNull())
    .addColumn('clearing_account_id', 'text', (c) => c.notNull().references('ledger_account.id'))
    .addColumn('bank_account_id', 'text', (c) => c.notNull().references('ledger_account.id'))
    .addColumn('memo', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addColumn('sent_at', t.timestamp)
    .addColumn('reconciled_at', t.timestamp)
    .execute();
  await db.schema.createIndex('payout_batch_org').on('payout_batch').columns(['org_path', 'created_at']).execute();

  await db.schema
    .createTable('payout_line')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('batch_id', 'text', (c) => c.notNull().references('payout_batch.id'))
    .addColumn('line_no', 'integer', (c) => c.notNull())
    .addColumn('payable_account_id', 'text', (c) => c.notNull().references('ledger_account.id'))
    .addColumn('person_id', 'text', (c) => c.notNull().references('person.id'))
    // Name and card as they were when the batch was made, so a re-downloaded bank file is
    // the file that was sent. The card is encrypted under this column's own context.
    .addColumn('payee_name', 'text', (c) => c.notNull())
    .addColumn('bank_card_cipher', 'text', (c) => c.notNull())
    .addColumn('amount', t.bigint, (c) => c.notNull())
    .addColumn('memo', 'text')
    .addColumn('reference_type', 'text')
    .addColumn('reference_id', 'text')
    // draft → sent → paid | failed; a cancelled batch's lines are cancelled
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('failure_reason', 'text')
    .addColumn('send_transfer_id', 'text', (c) => c.references('ledger_transfer.id'))
    .addColumn('result_transfer_id', 'text', (c) => c.references('ledger_transfer.id'))
    .addColumn('result_at', t.timestamp)
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addUniqueConstraint('payout_line_no', ['batch_id', 'line_no'])
    .addCheckConstraint('payout_line_amount', sql`amount > 0`)
    .execute();
  await db.schema
    .createIndex('payout_line_payable')
    .on('payout_line')
    .columns(['payable_account_id', 'status'])
    .execute();
}
