import { luhnCheckDigit } from '@zhgh/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Principal } from '../src/core/access/principal.ts';
import { type RequestContext, SYSTEM_ACTOR } from '../src/core/actor.ts';
import { AppError } from '../src/core/app-error.ts';
import { createLedger, type TransferInput } from '../src/core/ledger/ledger.ts';
import type { LedgerAccountTable, OrganizationTable } from '../src/db/schema.ts';
import { makeFundedBudget, makeMember, makeOrg, unique } from './factories.ts';
import { createTestApp, sql } from './harness.ts';

/**
 * The ledger core on a real database (SQLite, or PostgreSQL with DATABASE_URL): transfers,
 * their refusals, idempotency, reversals, the database's own walls, audit events, and a
 * thousand payouts each submitted five times at once over a pool of ten connections.
 */

const sys: RequestContext = { actor: SYSTEM_ACTOR };
let app: FastifyInstance;
let ledger: ReturnType<typeof createLedger>;
let close: () => Promise<void>;
let city: OrganizationTable;

beforeAll(async () => {
  const t = await createTestApp({}, { runJobs: false, poolSize: 10 });
  app = t.app;
  ledger = createLedger(app.core);
  close = t.close;
  city = await makeOrg(app, { parent: await makeOrg(app), name: unique('市总工会') });
});
afterAll(async () => close());

function bankCard(): string {
  const payload = `622202${String(Math.floor(Math.random() * 1e12)).padStart(12, '0')}`;
  return payload + luhnCheckDigit(payload);
}

async function person() {
  const grassroots = await makeOrg(app, { parent: city, type: 'grassroots' });
  return makeMember(app, { org: grassroots, bankCard: bankCard() });
}

/** A budget of `purpose` at `city`, funded with `fen`. */
function fundedBudget(fen: number, purpose?: string) {
  return makeFundedBudget(app, city, fen, purpose);
}

async function account(id: string): Promise<LedgerAccountTable> {
  return app.core.db.selectFrom('ledger_account').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function counts() {
  const n = async (table: 'ledger_transfer' | 'audit_event') =>
    Number(
      (
        await app.core.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number | string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return { transfers: await n('ledger_transfer'), audit: await n('audit_event') };
}

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('transfers', () => {
  it('move money between accounts, update both balances, and leave audit events', async () => {
    const { funding, budget, purpose } = await fundedBudget(100_000);
    const member = await person();
    const payable = await ledger.open(sys, { kind: 'payable', orgId: city.id, purpose, personId: member.person.id });
    const t = await ledger.transfer(sys, {
      idempotencyKey: unique('pay-'),
      debitAccountId: budget.id,
      creditAccountId: payable.id,
      amount: 30_000,
      kind: 'payment',
      memo: '双节慰问',
      reference: { type: 'subsidy_payment', id: 'sp-1' },
    });
    expect(t).toMatchObject({
      amount: 30_000,
      kind: 'payment',
      reference_type: 'subsidy_payment',
      reference_id: 'sp-1',
    });
    expect((await ledger.balance(sys, budget.id)).balance).toBe(70_000);
    expect((await ledger.balance(sys, payable.id)).balance).toBe(30_000);
    // A funding account counts what it gave on its debit side.
    expect(await ledger.balance(sys, funding.id)).toMatchObject({ normalSide: 'debit', balance: 100_000 });

    const statement = await ledger.statement(sys, budget.id);
    expect(statement.items.map((l) => l.change)).toEqual([-30_000, 100_000]);
    expect(statement.nextCursor).toBeNull();
    const page1 = await ledger.statement(sys, budget.id, { limit: 1 });
    const page2 = await ledger.statement(sys, budget.id, { limit: 1, cursor: page1.nextCursor });
    expect([...page1.items, ...page2.items].map((l) => l.transfer.id)).toEqual(
      statement.items.map((l) => l.transfer.id),
    );
    expect(page2.nextCursor).toBeNull();

    const events = await app.core.db
      .selectFrom('audit_event')
      .select(['action', 'org_path'])
      .where('subject_id', '=', t.id)
      .execute();
    expect(events).toEqual([{ action: 'ledger.transfer', org_path: city.path }]);
    const opened = await app.core.db
      .selectFrom('audit_event')
      .select('action')
      .where('subject_id', '=', payable.id)
      .execute();
    expect(opened).toEqual([{ action: 'ledger.account.open' }]);
  });

  it('refuses amounts that are not a positive safe integer of fen, naming the field, and writes nothing', async () => {
    const { budget, funding } = await fundedBudget(1_000);
    const before = await counts();
    const base: TransferInput = {
      idempotencyKey: unique('bad-'),
      debitAccountId: budget.id,
      creditAccountId: funding.id,
      amount: 1,
      kind: 'payment',
    };
    const cases: [unknown, string][] = [
      [0, 'too_small'],
      [-5, 'too_small'],
      [1.5, 'format'],
      [Number.MAX_SAFE_INTEGER + 2, 'too_big'],
      [1e21, 'too_big'],
      [Number.NaN, 'type'],
      ['100', 'type'],
    ];
    for (const [amount, rule] of cases) {
      const err = await refusal(ledger.transfer(sys, { ...base, amount: amount as number }));
      expect(err.code, String(amount)).toBe('VALIDATION_FAILED');
      expect(err.fields).toEqual([expect.objectContaining({ field: 'amount', rule })]);
    }
    const same = await refusal(ledger.transfer(sys, { ...base, creditAccountId: budget.id }));
    expect(same.fields?.map((f) => f.field)).toEqual(['creditAccountId']);
    expect(await counts()).toEqual(before);
  });

  it('never lets a budget go below zero, and a refused transfer writes nothing', async () => {
    const { budget, purpose } = await fundedBudget(10_000);
    const member = await person();
    const payable = await ledger.open(sys, { kind: 'payable', orgId: city.id, purpose, personId: member.person.id });
    const before = await counts();
    const err = await refusal(
      ledger.transfer(sys, {
        idempotencyKey: unique('over-'),
        debitAccountId: budget.id,
        creditAccountId: payable.id,
        amount: 10_001,
        kind: 'payment',
      }),
    );
    expect(err).toMatchObject({ code: 'LEDGER_INSUFFICIENT_FUNDS', status: 409 });
    expect(err.fields?.[0]?.field).toBe('amount');
    expect(await counts()).toEqual(before);
    expect(await account(budget.id)).toMatchObject({ debits_posted: 0, credits_posted: 10_000 });
    expect(await account(payable.id)).toMatchObject({ debits_posted: 0, credits_posted: 0 });
    // The last fen is still there to take.
    await ledger.transfer(sys, {
      idempotencyKey: unique('all-'),
      debitAccountId: budget.id,
      creditAccountId: payable.id,
      amount: 10_000,
      kind: 'payment',
    });
    expect((await ledger.balance(sys, budget.id)).balance).toBe(0);
  });

  it('returns the first transfer when the same key and content come again, and refuses other content', async () => {
    const { budget, funding } = await fundedBudget(5_000);
    const input: TransferInput = {
      idempotencyKey: unique('idem-'),
      debitAccountId: budget.id,
      creditAccountId: funding.id,
      amount: 700,
      kind: 'return',
      memo: '退回',
    };
    const first = await ledger.transfer(sys, input);
    const before = await counts();
    const again = await ledger.transfer(sys, { ...input, occurredAt: '2020-01-01T00:00:00Z' });
    expect(again).toEqual(first);
    expect(await counts()).toEqual(before);
    expect((await ledger.balance(sys, budget.id)).balance).toBe(4_300);

    for (const change of [{ amount: 701 }, { memo: '别的' }, { kind: 'payment' }, { creditAccountId: budget.id }]) {
      const err = await refusal(
        ledger.transfer(sys, {
          ...input,
          ...change,
          ...(change.creditAccountId ? { debitAccountId: funding.id } : {}),
        }),
      );
      expect(err).toMatchObject({ code: 'LEDGER_IDEMPOTENCY_CONFLICT', status: 409 });
    }
    expect(await counts()).toEqual(before);
  });

  it('reverses a transfer once and only once', async () => {
    const { budget, purpose } = await fundedBudget(9_000);
    const member = await person();
    const payable = await ledger.open(sys, { kind: 'payable', orgId: city.id, purpose, personId: member.person.id });
    const t = await ledger.transfer(sys, {
      idempotencyKey: unique('rev-'),
      debitAccountId: budget.id,
      creditAccountId: payable.id,
      amount: 2_500,
      kind: 'payment',
    });
    const key = unique('undo-');
    const reversal = await ledger.reverseTransfer(sys, { transferId: t.id, idempotencyKey: key, memo: '录错金额' });
    expect(reversal).toMatchObject({
      reversal_of: t.id,
      debit_account_id: payable.id,
      credit_account_id: budget.id,
      amount: 2_500,
      kind: 'reversal',
    });
    expect((await ledger.balance(sys, budget.id)).balance).toBe(9_000);
    expect((await ledger.balance(sys, payable.id)).balance).toBe(0);
    // The same request again is the same reversal; another reversal is refused.
    expect(await ledger.reverseTransfer(sys, { transferId: t.id, idempotencyKey: key, memo: '录错金额' })).toEqual(
      reversal,
    );
    const twice = await refusal(ledger.reverseTransfer(sys, { transferId: t.id, idempotencyKey: unique('undo-') }));
    expect(twice.code).toBe('LEDGER_ALREADY_REVERSED');
    const ofReversal = await refusal(
      ledger.reverseTransfer(sys, { transferId: reversal.id, idempotencyKey: unique('undo-') }),
    );
    expect(ofReversal.code).toBe('LEDGER_NOT_REVERSIBLE');
    expect((await ledger.balance(sys, budget.id)).balance).toBe(9_000);

    // Money already spent from the credited account cannot be reversed out of it.
    const t2 = await ledger.transfer(sys, {
      idempotencyKey: unique('rev-'),
      debitAccountId: budget.id,
      creditAccountId: payable.id,
      amount: 1_000,
      kind: 'payment',
    });
    const clearing = await ledger.open(sys, { kind: 'clearing', orgId: city.id });
    await ledger.transfer(sys, {
      idempotencyKey: unique('spend-'),
      debitAccountId: payable.id,
      creditAccountId: clearing.id,
      amount: 600,
      kind: 'transfer_out',
    });
    const spent = await refusal(ledger.reverseTransfer(sys, { transferId: t2.id, idempotencyKey: unique('undo-') }));
    expect(spent.code).toBe('LEDGER_INSUFFICIENT_FUNDS');
  });

  it('posts inside a caller’s transaction, and a refusal or replay leaves that transaction untouched', async () => {
    const { budget, funding } = await fundedBudget(1_000);
    const input: TransferInput = {
      idempotencyKey: unique('in-trx-'),
      debitAccountId: budget.id,
      creditAccountId: funding.id,
      amount: 400,
      kind: 'return',
    };
    const result = await app.core.write(sys, async (s) => {
      const first = await ledger.post(s, input);
      const replay = await ledger.post(s, input);
      // The caller catches a refusal and carries on: nothing of the refused transfer remains.
      const over = await ledger.post(s, { ...input, idempotencyKey: unique('over-'), amount: 601 }).catch((e) => e);
      await s.audit({ action: 'test.caller', subjectType: 'test' });
      return { first, replay, over };
    });
    expect(result.first.created).toBe(true);
    expect(result.replay).toEqual({ transfer: result.first.transfer, created: false });
    expect(result.over).toMatchObject({ code: 'LEDGER_INSUFFICIENT_FUNDS' });
    expect(await account(budget.id)).toMatchObject({ debits_posted: 400, credits_posted: 1_000 });
    expect(await ledger.outOfBalance()).toEqual([]);
  });

  it('answers outside the actor’s finance scope exactly as for a missing account', async () => {
    const { budget } = await fundedBudget(100);
    const elsewhere = await makeOrg(app);
    const principal = (orgPath: string, permission: string): Principal => ({
      userId: 'u1',
      userKind: 'cadre',
      sessionId: 's1',
      grants: [
        {
          id: 'g1',
          roleId: 'r1',
          roleCode: 'finance_officer',
          orgId: 'o',
          orgPath,
          permissions: new Set([permission]),
        },
      ],
      permissions: new Set([permission]),
    });
    const outsider: RequestContext = {
      actor: { kind: 'user', id: 'u1', userKind: 'cadre' },
      principal: principal(elsewhere.path, 'finance.read'),
    };
    const insider: RequestContext = { ...outsider, principal: principal(city.path, 'finance.read') };
    expect((await refusal(ledger.balance(outsider, budget.id))).code).toBe('NOT_FOUND');
    expect((await refusal(ledger.balance(outsider, 'no-such-id'))).code).toBe('NOT_FOUND');
    expect((await ledger.balance(insider, budget.id)).balance).toBe(100);
    // Reading is not paying.
    const pay = await refusal(
      ledger.transfer(insider, {
        idempotencyKey: unique('x-'),
        debitAccountId: budget.id,
        creditAccountId: budget.id + 'x',
        amount: 1,
        kind: 'payment',
      }),
    );
    expect(pay.code).toBe('NOT_FOUND');
  });
});

/** Carries values out of a transaction the test rolls back. */
class Captured extends Error {
  constructor(readonly value: unknown) {
    super('captured');
  }
}

/**
 * Fault injection: when `accountId` is credited, a transfer row appears as if a writer that
 * never queued on the chain lock had committed it between the ledger's checks and its insert.
 */
async function racingWriter(accountId: string, row: Record<string, string | number>): Promise<() => Promise<void>> {
  const columns = Object.keys(row).join(', ');
  const values = Object.values(row)
    .map((v) => (typeof v === 'number' ? String(v) : `'${v}'`))
    .join(', ');
  const exec = (text: string) => sql.raw(text).execute(app.core.db);
  if (app.core.dialect === 'postgres') {
    await exec(
      `create function zz_race() returns trigger language plpgsql as $$ begin
         insert into ledger_transfer (${columns}) values (${values}) on conflict do nothing; return null; end $$`,
    );
    await exec(
      `create trigger zz_race after update on ledger_account for each row
       when (new.id = '${accountId}' and new.credits_posted > old.credits_posted) execute function zz_race()`,
    );
    return async () => {
      await exec('drop trigger zz_race on ledger_account');
      await exec('drop function zz_race()');
    };
  }
  await exec(
    `create trigger zz_race after update on ledger_account
     when new.id = '${accountId}' and new.credits_posted > old.credits_posted
     begin insert or ignore into ledger_transfer (${columns}) values (${values}); end`,
  );
  return async () => void (await exec('drop trigger zz_race'));
}

describe('a writer that skipped the chain lock', () => {
  const at = '2026-01-01T00:00:00.000Z';

  it('loses the key to the unique index: the balances are taken back and the winner is returned', async () => {
    const { budget, funding } = await fundedBudget(1_000);
    const input: TransferInput = {
      idempotencyKey: unique('race-'),
      debitAccountId: budget.id,
      creditAccountId: funding.id,
      amount: 300,
      kind: 'return',
    };
    const winner = `w-${input.idempotencyKey}`;
    const stop = await racingWriter(funding.id, {
      id: winner,
      idempotency_key: input.idempotencyKey,
      debit_account_id: budget.id,
      credit_account_id: funding.id,
      amount: 300,
      kind: 'return',
      occurred_at: at,
      created_at: at,
    });
    // The caller's own transaction, rolled back at the end so the injected row leaves no trace.
    const seen = (await app.core
      .write(sys, async (s) => {
        const result = await ledger.post(s, input);
        const rows = await s.trx
          .selectFrom('ledger_account')
          .select(['id', 'debits_posted', 'credits_posted'])
          .where('id', 'in', [budget.id, funding.id])
          .orderBy('id')
          .execute();
        throw new Captured({ result, rows });
      })
      .catch((e: unknown) => (e as Captured).value)
      .finally(stop)) as { result: { created: boolean; transfer: { id: string } }; rows: unknown[] };
    expect(seen.result.created).toBe(false);
    expect(seen.result.transfer.id).toBe(winner);
    expect(seen.rows).toEqual(
      [
        { id: budget.id, debits_posted: 0, credits_posted: 1_000 },
        { id: funding.id, debits_posted: 1_000, credits_posted: 0 },
      ].sort((a, b) => (a.id < b.id ? -1 : 1)),
    );
  });

  it('loses a reversal to the unique reversal_of: refused, balances taken back', async () => {
    const { budget, funding } = await fundedBudget(800);
    const [original] = (await ledger.statement(sys, budget.id)).items;
    const stop = await racingWriter(funding.id, {
      id: unique('w-'),
      idempotency_key: unique('other-'),
      debit_account_id: budget.id,
      credit_account_id: funding.id,
      amount: 800,
      kind: 'reversal',
      reversal_of: original!.transfer.id,
      occurred_at: at,
      created_at: at,
    });
    const seen = (await app.core
      .write(sys, async (s) => {
        const error = await ledger
          .reverse(s, { transferId: original!.transfer.id, idempotencyKey: unique('undo-') })
          .catch((e: unknown) => e);
        const rows = await s.trx
          .selectFrom('ledger_account')
          .select(['id', 'debits_posted', 'credits_posted'])
          .where('id', 'in', [budget.id, funding.id])
          .orderBy('id')
          .execute();
        throw new Captured({ error, rows });
      })
      .catch((e: unknown) => (e as Captured).value)
      .finally(stop)) as { error: AppError; rows: unknown[] };
    expect(seen.error).toMatchObject({ code: 'LEDGER_ALREADY_REVERSED' });
    expect(seen.rows).toEqual(
      [
        { id: budget.id, debits_posted: 0, credits_posted: 800 },
        { id: funding.id, debits_posted: 800, credits_posted: 0 },
      ].sort((a, b) => (a.id < b.id ? -1 : 1)),
    );
  });
});

describe('the database itself', () => {
  it('refuses to update or delete a transfer, and an account over its limit', async () => {
    const { budget, funding } = await fundedBudget(300);
    const t = await ledger.transfer(sys, {
      idempotencyKey: unique('imm-'),
      debitAccountId: budget.id,
      creditAccountId: funding.id,
      amount: 100,
      kind: 'return',
    });
    await expect(sql`update ledger_transfer set amount = 1 where id = ${t.id}`.execute(app.core.db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`delete from ledger_transfer where id = ${t.id}`.execute(app.core.db)).rejects.toThrow(
      /append-only/,
    );
    await expect(
      sql`update ledger_account set debits_posted = credits_posted + 1 where id = ${budget.id}`.execute(app.core.db),
    ).rejects.toThrow(/ledger_account_limit|CHECK/i);
    await expect(
      sql`insert into ledger_transfer (id, idempotency_key, debit_account_id, credit_account_id, amount, kind, occurred_at, created_at)
          values ('x1', ${t.idempotency_key}, ${budget.id}, ${funding.id}, 5, 'x', ${t.occurred_at}, ${t.created_at})`.execute(
        app.core.db,
      ),
    ).rejects.toThrow();
    expect(await account(budget.id)).toMatchObject({ debits_posted: 100, credits_posted: 300 });
  });

  it('keeps every ledger write in the audit chain, which verifies', async () => {
    const events = await app.core.db
      .selectFrom('audit_event')
      .select('action')
      .where('action', 'like', 'ledger.%')
      .execute();
    const transfers = await counts();
    const audited = events.filter((e) => e.action.startsWith('ledger.transfer')).length;
    expect(audited).toBe(transfers.transfers);
    const verified = await app.core.audit.verify(app.core.db);
    expect(verified.ok).toBe(true);
  });
});

describe('concurrency', () => {
  it('1,000 payouts each submitted 5 times at once make exactly 1,000 transfers with exact balances', async () => {
    const PAYOUTS = 1_000;
    const payees = 10;
    const purpose = unique('conc_').toLowerCase();
    const amountOf = (i: number) => 100 + (i % 37);
    const total = Array.from({ length: PAYOUTS }, (_, i) => amountOf(i)).reduce((a, b) => a + b, 0);
    const { budget } = await fundedBudget(total, purpose);
    const members = [];
    for (let i = 0; i < payees; i++) members.push(await person());
    const payables: LedgerAccountTable[] = [];
    for (const m of members) {
      payables.push(await ledger.open(sys, { kind: 'payable', orgId: city.id, purpose, personId: m.person.id }));
    }
    const runId = unique('run-');
    const submit = (i: number) =>
      ledger.transfer(sys, {
        idempotencyKey: `${runId}:${i}`,
        debitAccountId: budget.id,
        creditAccountId: payables[i % payees]!.id,
        amount: amountOf(i),
        kind: 'payment',
        reference: { type: 'subsidy_payment', id: `sp-${i}` },
      });
    // The five copies of a payout go out together, so they race each other on the key. Waves
    // of 20 payouts (100 calls in flight over 10 connections) keep every call's wait for a
    // pooled connection well under the pool's 5 s acquire timeout, also on a loaded machine.
    const WAVE = 20;
    const results: Awaited<ReturnType<typeof submit>>[][] = [];
    for (let start = 0; start < PAYOUTS; start += WAVE) {
      const wave = [];
      for (let i = start; i < start + WAVE; i++) wave.push(Promise.all([0, 1, 2, 3, 4].map(() => submit(i))));
      results.push(...(await Promise.all(wave)));
    }
    const ids = new Set(results.map((copies) => copies[0]!.id));
    expect(ids.size).toBe(PAYOUTS);
    // Every copy of a payout got the same transfer.
    for (const copies of results) expect(new Set(copies.map((t) => t.id)).size).toBe(1);
    const made = await app.core.db
      .selectFrom('ledger_transfer')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('idempotency_key', 'like', `${runId}:%`)
      .executeTakeFirstOrThrow();
    expect(Number(made.n)).toBe(PAYOUTS);
    expect(await account(budget.id)).toMatchObject({ debits_posted: total, credits_posted: total });
    for (let p = 0; p < payees; p++) {
      let expected = 0;
      for (let i = p; i < PAYOUTS; i += payees) expected += amountOf(i);
      expect((await account(payables[p]!.id)).credits_posted).toBe(expected);
    }
    expect(await ledger.outOfBalance()).toEqual([]);
    expect((await app.core.audit.verify(app.core.db)).ok).toBe(true);
  }, 180_000);
});
