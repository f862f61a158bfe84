import { luhnCheckDigit } from '@zhgh/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { type RequestContext, SYSTEM_ACTOR } from '../src/core/actor.ts';
import { AppError } from '../src/core/app-error.ts';
import { createLedger, type TransferInput } from '../src/core/ledger/ledger.ts';
import { createPayouts } from '../src/core/ledger/payouts.ts';
import { makeMember, makeOrg } from './factories.ts';
import { createTestApp, sql } from './harness.ts';
import { prng } from './prng.ts';

/**
 * The ledger against a model, under seeded random command sequences: transfers, duplicate
 * and conflicting submissions, reversals, over-limit attempts, payout batches (create, send,
 * cancel) and reconciliations (paid, failed, the same file again). The model predicts every
 * answer; after every command the database must match the model and hold the invariants:
 * debits = credits, posted totals = a recount of the transfers, no limited account below
 * zero, no idempotency key applied twice. LEDGER_SEED replays a failure; LEDGER_OPS sets the
 * length.
 */

const SEED = Number(process.env.LEDGER_SEED ?? Math.floor(Math.random() * 2 ** 31));
const OPS = Number(process.env.LEDGER_OPS ?? 500);

const sys: RequestContext = { actor: SYSTEM_ACTOR };
let app: FastifyInstance;
let close: (() => Promise<void>) | undefined;

beforeAll(async () => {
  const t = await createTestApp({}, { runJobs: false });
  app = t.app;
  close = t.close;
});
afterAll(async () => close?.());

interface ModelAccount {
  id: string;
  limited: boolean;
  debits: number;
  credits: number;
  /** Held by draft payout lines. */
  pending: number;
}
interface ModelTransfer {
  input: TransferInput;
  id: string;
  /** For a reversal: the transfer it reverses (a replay goes through `reverseTransfer`). */
  reversalOf?: string;
  reversible: boolean;
  reversed: boolean;
}
interface ModelLine {
  id: string;
  lineNo: number;
  payable: string;
  amount: number;
  status: 'draft' | 'sent' | 'paid' | 'failed' | 'cancelled';
}
interface ModelBatch {
  id: string;
  batchNo: string;
  status: 'draft' | 'sent' | 'reconciled' | 'cancelled';
  clearing: string;
  bank: string;
  lines: ModelLine[];
  lastFile: Buffer | null;
}

async function expectCode(p: Promise<unknown>, code: string, what: string): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, what).toBeInstanceOf(AppError);
  expect((err as AppError).code, what).toBe(code);
}

describe('ledger invariants', () => {
  it(`hold after every command of a random sequence (seed ${SEED}, ${OPS} ops)`, async () => {
    const r = prng(SEED);
    const ledger = createLedger(app.core);
    const payouts = createPayouts(app.core, ledger);
    const city = await makeOrg(app, { parent: await makeOrg(app) });
    const purpose = 'model_worker_subsidy';
    const funding = await ledger.open(sys, { kind: 'funding', orgId: city.id, purpose });
    const budget = await ledger.open(sys, { kind: 'budget', orgId: city.id, purpose });
    const accounts = new Map<string, ModelAccount>();
    const track = (id: string, limited: boolean) =>
      accounts.set(id, { id, limited, debits: 0, credits: 0, pending: 0 });
    track(funding.id, false);
    track(budget.id, true);
    const payables: { id: string; hasCard: boolean }[] = [];
    for (let i = 0; i < 6; i++) {
      const hasCard = i !== 5;
      const payload = `622848${String(r.int(0, 999_999_999_999)).padStart(12, '0')}`;
      const grassroots = await makeOrg(app, { parent: city, type: 'grassroots' });
      const member = await makeMember(app, {
        org: grassroots,
        ...(hasCard ? { bankCard: payload + luhnCheckDigit(payload) } : {}),
      });
      const payable = await ledger.open(sys, { kind: 'payable', orgId: city.id, purpose, personId: member.person.id });
      track(payable.id, true);
      payables.push({ id: payable.id, hasCard });
    }
    const clearing = await ledger.open(sys, { kind: 'clearing', orgId: city.id });
    const bank = await ledger.open(sys, { kind: 'bank', orgId: city.id });
    track(clearing.id, true);
    track(bank.id, false);

    const transfers: ModelTransfer[] = [];
    const batches: ModelBatch[] = [];
    let keys = 0;
    const balance = (id: string) => {
      const a = accounts.get(id)!;
      return a.credits - a.debits;
    };
    const move = (from: string, to: string, amount: number) => {
      accounts.get(from)!.debits += amount;
      accounts.get(to)!.credits += amount;
    };
    const free = (id: string) => balance(id) - accounts.get(id)!.pending;
    const fits = (from: string, amount: number) => !accounts.get(from)!.limited || free(from) >= amount;

    async function submit(input: TransferInput, reversible: boolean, what: string) {
      if (!fits(input.debitAccountId, input.amount)) {
        await expectCode(ledger.transfer(sys, input), 'LEDGER_INSUFFICIENT_FUNDS', what);
        return;
      }
      const t = await ledger.transfer(sys, input);
      move(input.debitAccountId, input.creditAccountId, input.amount);
      transfers.push({ input, id: t.id, reversible, reversed: false });
    }

    const commands: [number, string, () => Promise<void>][] = [
      [
        12,
        'allocate',
        () =>
          submit(
            {
              idempotencyKey: `k${++keys}`,
              debitAccountId: funding.id,
              creditAccountId: budget.id,
              amount: r.int(1, 50_000),
              kind: 'allocation',
            },
            true,
            'allocate',
          ),
      ],
      [
        25,
        'pay',
        () =>
          submit(
            {
              idempotencyKey: `k${++keys}`,
              debitAccountId: budget.id,
              creditAccountId: r.pick(payables).id,
              amount: r.int(1, Math.max(1, Math.floor(balance(budget.id) * 0.6))),
              kind: 'payment',
              reference: { type: 'subsidy_payment', id: `sp${keys}` },
            },
            true,
            'pay',
          ),
      ],
      [
        6,
        'over limit',
        async () => {
          const input: TransferInput = {
            idempotencyKey: `k${++keys}`,
            debitAccountId: budget.id,
            creditAccountId: r.pick(payables).id,
            amount: balance(budget.id) + r.int(1, 1_000),
            kind: 'payment',
          };
          await expectCode(ledger.transfer(sys, input), 'LEDGER_INSUFFICIENT_FUNDS', 'over limit');
        },
      ],
      [
        10,
        'duplicate',
        async () => {
          if (transfers.length === 0) return;
          const t = r.pick(transfers);
          const again = t.reversalOf
            ? await ledger.reverseTransfer(sys, { transferId: t.reversalOf, idempotencyKey: t.input.idempotencyKey })
            : await ledger.transfer(sys, t.input);
          expect(again.id, 'duplicate').toBe(t.id);
        },
      ],
      [
        4,
        'conflicting duplicate',
        async () => {
          if (transfers.length === 0) return;
          const t = r.pick(transfers);
          const input = { ...t.input, amount: t.input.amount + 1 };
          await expectCode(ledger.transfer(sys, input), 'LEDGER_IDEMPOTENCY_CONFLICT', 'conflict');
        },
      ],
      [
        10,
        'reverse',
        async () => {
          const candidates = transfers.filter((t) => t.reversible);
          if (candidates.length === 0) return;
          const t = r.pick(candidates);
          const input = { transferId: t.id, idempotencyKey: `k${++keys}` };
          if (t.reversed) return expectCode(ledger.reverseTransfer(sys, input), 'LEDGER_ALREADY_REVERSED', 'reverse');
          if (!fits(t.input.creditAccountId, t.input.amount)) {
            return expectCode(ledger.reverseTransfer(sys, input), 'LEDGER_INSUFFICIENT_FUNDS', 'reverse spent');
          }
          const rev = await ledger.reverseTransfer(sys, input);
          move(t.input.creditAccountId, t.input.debitAccountId, t.input.amount);
          t.reversed = true;
          transfers.push({
            id: rev.id,
            reversalOf: t.id,
            reversible: false,
            reversed: false,
            input: {
              idempotencyKey: input.idempotencyKey,
              debitAccountId: t.input.creditAccountId,
              creditAccountId: t.input.debitAccountId,
              amount: t.input.amount,
              kind: 'reversal',
              reference: t.input.reference ?? null,
            },
          });
        },
      ],
      [
        8,
        'create batch',
        async () => {
          const expected = payables
            .filter((p) => p.hasCard)
            .map((p) => ({ payable: p.id, amount: free(p.id) }))
            .filter((p) => p.amount > 0);
          if (expected.length === 0) {
            return expectCode(payouts.createBatch(sys, { orgId: city.id, purpose }), 'PAYOUT_NOTHING_TO_PAY', 'batch');
          }
          const { batch, lines } = await payouts.createBatch(sys, { orgId: city.id, purpose });
          expect(
            lines
              .map((l) => ({ payable: l.payable_account_id, amount: l.amount }))
              .sort((a, b) => (a.payable < b.payable ? -1 : 1)),
            'batch lines',
          ).toEqual(expected.sort((a, b) => (a.payable < b.payable ? -1 : 1)));
          for (const l of lines) accounts.get(l.payable_account_id)!.pending += l.amount;
          batches.push({
            id: batch.id,
            batchNo: batch.batch_no,
            status: 'draft',
            clearing: batch.clearing_account_id,
            bank: batch.bank_account_id,
            lines: lines.map((l) => ({
              id: l.id,
              lineNo: l.line_no,
              payable: l.payable_account_id,
              amount: l.amount,
              status: 'draft',
            })),
            lastFile: null,
          });
        },
      ],
      [
        7,
        'send batch',
        async () => {
          const drafts = batches.filter((b) => b.status === 'draft');
          if (drafts.length === 0) return;
          const b = r.pick(drafts);
          await payouts.sendBatch(sys, b.id);
          b.status = 'sent';
          for (const l of b.lines) {
            accounts.get(l.payable)!.pending -= l.amount;
            move(l.payable, b.clearing, l.amount);
            l.status = 'sent';
          }
        },
      ],
      [
        2,
        'cancel batch',
        async () => {
          const drafts = batches.filter((b) => b.status === 'draft');
          if (drafts.length === 0) return;
          const b = r.pick(drafts);
          await payouts.cancelBatch(sys, b.id);
          b.status = 'cancelled';
          for (const l of b.lines) {
            accounts.get(l.payable)!.pending -= l.amount;
            l.status = 'cancelled';
          }
        },
      ],
      [
        10,
        'reconcile',
        async () => {
          const open = batches.filter((b) => b.status === 'sent');
          if (open.length === 0) return;
          const b = r.pick(open);
          const rows = ['行号,参考号,结果,原因'];
          const settled: { line: ModelLine; paid: boolean }[] = [];
          for (const l of b.lines) {
            if (l.status === 'sent' && r.chance(0.7)) {
              const paid = r.chance(0.7);
              settled.push({ line: l, paid });
              rows.push(
                `${l.lineNo},${r.chance(0.5) ? `${b.batchNo}-${String(l.lineNo).padStart(5, '0')}` : ''},${paid ? 'paid' : 'failed'},${paid ? '' : '账户冻结'}`,
              );
            } else if ((l.status === 'paid' || l.status === 'failed') && r.chance(0.3)) {
              rows.push(`${l.lineNo},,${l.status},${l.status === 'failed' ? '账户冻结' : ''}`);
            }
          }
          if (rows.length === 1) return;
          const file = Buffer.from(rows.join('\n'), 'utf8');
          const summary = await payouts.reconcile(sys, b.id, file);
          expect(summary.paid + summary.failed, 'reconcile').toBe(settled.length);
          for (const { line, paid } of settled) {
            if (paid) move(b.clearing, b.bank, line.amount);
            else move(b.clearing, line.payable, line.amount);
            line.status = paid ? 'paid' : 'failed';
          }
          if (b.lines.every((l) => l.status === 'paid' || l.status === 'failed')) b.status = 'reconciled';
          expect(summary.batch.status, 'batch status').toBe(b.status);
          b.lastFile = file;
        },
      ],
      [
        3,
        'reconcile again',
        async () => {
          const done = batches.filter((b) => b.lastFile);
          if (done.length === 0) return;
          const b = r.pick(done);
          const summary = await payouts.reconcile(sys, b.id, b.lastFile!);
          expect(summary.paid + summary.failed, 'reconcile again').toBe(0);
        },
      ],
    ];
    const totalWeight = commands.reduce((s, c) => s + c[0], 0);
    const choose = () => {
      let x = r.next() * totalWeight;
      for (const c of commands) if ((x -= c[0]) < 0) return c;
      return commands[0]!;
    };

    const history: string[] = [];
    const ran = new Map<string, number>();
    for (let op = 0; op < OPS; op++) {
      const [, name, run] = choose();
      history.push(name);
      ran.set(name, (ran.get(name) ?? 0) + 1);
      try {
        await run();
        await checkInvariants();
      } catch (err) {
        throw new Error(
          `seed ${SEED}, op ${op} (${name}) after ${history.slice(-5).join(' → ')}: ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
    expect((await app.core.audit.verify(app.core.db)).ok).toBe(true);
    // The sequence reached every kind of command, and money went both ways at the bank.
    if (OPS >= 300) {
      expect([...ran.keys()].sort()).toEqual(commands.map((c) => c[1]).sort());
      const lines = batches.flatMap((b) => b.lines);
      expect(lines.some((l) => l.status === 'paid')).toBe(true);
      expect(lines.some((l) => l.status === 'failed')).toBe(true);
    }

    async function checkInvariants() {
      const rows = await app.core.db
        .selectFrom('ledger_account')
        .select(['id', 'balance_rule', 'debits_posted', 'credits_posted', 'debits_pending'])
        .execute();
      let debits = 0;
      let credits = 0;
      for (const row of rows) {
        debits += row.debits_posted;
        credits += row.credits_posted;
        if (row.balance_rule === 'debits_must_not_exceed_credits') {
          expect(row.debits_posted + row.debits_pending, `account ${row.id} below zero`).toBeLessThanOrEqual(
            row.credits_posted,
          );
        }
        const model = accounts.get(row.id);
        if (model) {
          expect(
            { debits: row.debits_posted, credits: row.credits_posted, pending: row.debits_pending },
            `account ${row.id}`,
          ).toEqual({ debits: model.debits, credits: model.credits, pending: model.pending });
        }
      }
      expect(debits, 'sum of debits = sum of credits').toBe(credits);
      expect(await ledger.outOfBalance(), 'posted totals = recount').toEqual([]);
      const keyCounts = await sql<{ n: number | string; keys: number | string; total: number | string }>`
        select count(*) as n, count(distinct idempotency_key) as keys, coalesce(sum(amount), 0) as total
        from ledger_transfer`.execute(app.core.db);
      const k = keyCounts.rows[0]!;
      expect(Number(k.n), 'no key applied twice').toBe(Number(k.keys));
      expect(Number(k.total), 'transfers = posted debits').toBe(debits);
    }
  }, 300_000);
});
