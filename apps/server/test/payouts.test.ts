import { luhnCheckDigit } from '@zhgh/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { type RequestContext, SYSTEM_ACTOR } from '../src/core/actor.ts';
import { AppError } from '../src/core/app-error.ts';
import { createLedger } from '../src/core/ledger/ledger.ts';
import { createPayouts, PERSON_BANK_CARD_CONTEXT, PERSON_PHONE_CONTEXT } from '../src/core/ledger/payouts.ts';
import { outboxFile, readOutbox } from '../src/core/notify/sms.ts';
import type { OrganizationTable } from '../src/db/schema.ts';
import { PERSON_FIELD_CONTEXTS } from '../src/modules/members/members.policy.ts';
import { makeMember, makeOrg, randomPhone, unique } from './factories.ts';
import { createTestApp } from './harness.ts';

/**
 * Payout batches end to end on a real database: payables → draft → bank file (exact bytes) →
 * the bank's result file (paid and failed lines) → failed money owed again and the payee told
 * by SMS; the same result file twice changes nothing; a malformed one is refused whole.
 */

const sys: RequestContext = { actor: SYSTEM_ACTOR };
let app: FastifyInstance;
let ledger: ReturnType<typeof createLedger>;
let payouts: ReturnType<typeof createPayouts>;
let close: () => Promise<void>;
let city: OrganizationTable;
const BOM = '\uFEFF';

beforeAll(async () => {
  const t = await createTestApp({}, { runJobs: false });
  app = t.app;
  ledger = createLedger(app.core);
  payouts = createPayouts(app.core, ledger);
  close = t.close;
  city = await makeOrg(app, { parent: await makeOrg(app), name: unique('市总工会') });
});
afterAll(async () => close());

function bankCard(): string {
  const payload = `621700${String(Math.floor(Math.random() * 1e12)).padStart(12, '0')}`;
  return payload + luhnCheckDigit(payload);
}

/** A purpose with a funded budget at the city federation, and payees owed the given amounts. */
async function owed(amounts: { name: string; fen: number; card?: boolean }[]) {
  const purpose = unique('mw_').toLowerCase();
  const funding = await ledger.open(sys, { kind: 'funding', orgId: city.id, purpose });
  const budget = await ledger.open(sys, { kind: 'budget', orgId: city.id, purpose });
  const total = amounts.reduce((a, b) => a + b.fen, 0);
  await ledger.transfer(sys, {
    idempotencyKey: unique('fund-'),
    debitAccountId: funding.id,
    creditAccountId: budget.id,
    amount: total,
    kind: 'allocation',
  });
  const payees = [];
  for (const a of amounts) {
    const card = a.card === false ? null : bankCard();
    const phone = randomPhone();
    const grassroots = await makeOrg(app, { parent: city, type: 'grassroots' });
    const member = await makeMember(app, { org: grassroots, name: a.name, phone, ...(card ? { bankCard: card } : {}) });
    const payable = await ledger.open(sys, { kind: 'payable', orgId: city.id, purpose, personId: member.person.id });
    await ledger.transfer(sys, {
      idempotencyKey: unique('approve-'),
      debitAccountId: budget.id,
      creditAccountId: payable.id,
      amount: a.fen,
      kind: 'payment',
      reference: { type: 'subsidy_payment', id: unique('sp-') },
    });
    payees.push({ ...a, card, phone, personId: member.person.id, payable });
  }
  return { purpose, budget, payees };
}

const balance = async (id: string) => (await ledger.balance(sys, id)).balance;

async function counts() {
  const n = async (table: 'ledger_transfer' | 'audit_event' | 'payout_line') =>
    Number(
      (
        await app.core.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number | string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return { transfers: await n('ledger_transfer'), audit: await n('audit_event'), lines: await n('payout_line') };
}

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

const csv = (...rows: string[]) => Buffer.from(rows.join('\r\n') + '\r\n', 'utf8');
const sms = () => readOutbox(outboxFile(app.core.config.DATA_DIR));

describe('payout batches', () => {
  it('uses the cipher contexts the members module writes', () => {
    expect(PERSON_BANK_CARD_CONTEXT).toBe(PERSON_FIELD_CONTEXTS.bankCard);
    expect(PERSON_PHONE_CONTEXT).toBe(PERSON_FIELD_CONTEXTS.phone);
  });

  it('collect payables, write the bank file, and reconcile paid and failed lines', async () => {
    const { purpose, payees } = await owed([
      { name: '张建国', fen: 30_000 },
      { name: '李秀英', fen: 200_000 },
      { name: '王"大",明', fen: 123_456 },
      { name: '赵无卡', fen: 5_000, card: false },
    ]);
    const created = await payouts.createBatch(sys, { orgId: city.id, purpose, memo: '劳模专项补助' });
    const { batch } = created;
    expect(batch).toMatchObject({ status: 'draft', line_count: 3, total_amount: 353_456, purpose });
    expect(batch.batch_no).toMatch(/^PB\d{8}[0-9A-F]{8}$/);
    expect(created.skipped).toEqual([{ personId: payees[3]!.personId, reason: 'no_bank_card' }]);
    expect(created.lines.map((l) => [l.line_no, l.payee_name, l.amount, l.status])).toEqual([
      [1, '张建国', 30_000, 'draft'],
      [2, '李秀英', 200_000, 'draft'],
      [3, '王"大",明', 123_456, 'draft'],
    ]);
    expect(created.lines[0]).not.toHaveProperty('bank_card_cipher');
    // A draft holds its money: a second batch finds nothing left but the payee without a card.
    expect((await refusal(payouts.createBatch(sys, { orgId: city.id, purpose }))).code).toBe('PAYOUT_NOTHING_TO_PAY');
    // Nothing moved yet.
    expect(await balance(payees[0]!.payable.id)).toBe(30_000);

    const { batch: sent, file } = await payouts.sendBatch(sys, batch.id);
    expect(sent.status).toBe('sent');
    const no = batch.batch_no;
    expect(file.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(file.toString('utf8')).toBe(
      BOM +
        '批次号,行号,收款人姓名,收款账号,金额(元),用途,参考号\r\n' +
        `${no},1,张建国,${payees[0]!.card},300.00,劳模专项补助,${no}-00001\r\n` +
        `${no},2,李秀英,${payees[1]!.card},2000.00,劳模专项补助,${no}-00002\r\n` +
        `${no},3,"王""大"",明",${payees[2]!.card},1234.56,劳模专项补助,${no}-00003\r\n`,
    );
    expect((await refusal(payouts.sendBatch(sys, batch.id))).code).toBe('PAYOUT_BATCH_STATE');
    for (const p of payees.slice(0, 3)) expect(await balance(p.payable.id)).toBe(0);
    expect(await balance(sent.clearing_account_id)).toBe(353_456);
    // The file again is the same file; fetching it is audited (it shows the full cards).
    expect(await payouts.bankFile(sys, batch.id)).toEqual(file);
    const exported = await app.core.db
      .selectFrom('audit_event')
      .select('action')
      .where('subject_id', '=', batch.id)
      .orderBy('seq')
      .execute();
    expect(exported.map((e) => e.action)).toEqual([
      'payout.batch.create',
      'payout.batch.send',
      'payout.bank_file.export',
    ]);

    const smsBefore = sms().length;
    const result = csv(
      '批次号,行号,参考号,结果,原因',
      `${no},1,${no}-00001,paid,`,
      `${no},2,${no}-00002,failed,账户已销户`,
      `${no},3,${no}-00003,成功,`,
    );
    const summary = await payouts.reconcile(sys, batch.id, result);
    expect(summary).toMatchObject({ paid: 2, failed: 1, unchanged: 0, notified: 1 });
    expect(summary.batch.status).toBe('reconciled');
    expect(await balance(sent.clearing_account_id)).toBe(0);
    expect(await balance(sent.bank_account_id)).toBe(153_456);
    expect(await balance(payees[1]!.payable.id)).toBe(200_000);
    const { lines } = await payouts.getBatch(sys, batch.id);
    expect(lines.map((l) => [l.status, l.failure_reason])).toEqual([
      ['paid', null],
      ['failed', '账户已销户'],
      ['paid', null],
    ]);
    const told = sms().slice(smsBefore);
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ phone: payees[1]!.phone, purpose: 'payout_failed' });
    expect(told[0]!.text).toContain('2000.00');
    expect(told[0]!.text).toContain('账户已销户');

    // The same file again: nothing changes, nobody is told twice.
    const before = await counts();
    expect(await payouts.reconcile(sys, batch.id, result)).toMatchObject({ paid: 0, failed: 0, unchanged: 3 });
    expect(await counts()).toEqual(before);
    expect(sms().length).toBe(smsBefore + 1);

    // A contradicting file is refused, naming the line and column.
    const contra = await refusal(payouts.reconcile(sys, batch.id, csv('行号,结果,原因', '1,failed,户名不符')));
    expect(contra.code).toBe('PAYOUT_RESULT_FILE_INVALID');
    expect(contra.fields?.map((f) => f.field)).toEqual(['file.line.2.结果']);

    // The failed payment is owed again and goes into the next batch.
    const next = await payouts.createBatch(sys, { orgId: city.id, purpose });
    expect(next.lines.map((l) => [l.payee_name, l.amount])).toEqual([['李秀英', 200_000]]);
    expect(await ledger.outOfBalance()).toEqual([]);
    expect((await app.core.audit.verify(app.core.db)).ok).toBe(true);
  });

  it('reconciles a batch across several partial result files', async () => {
    const { purpose, payees } = await owed([
      { name: '周一', fen: 100 },
      { name: '吴二', fen: 200 },
    ]);
    const { batch } = await payouts.createBatch(sys, { orgId: city.id, purpose });
    await payouts.sendBatch(sys, batch.id);
    const first = await payouts.reconcile(sys, batch.id, csv('参考号,结果', `${batch.batch_no}-00002,paid`));
    expect(first).toMatchObject({ paid: 1, failed: 0 });
    expect(first.batch.status).toBe('sent');
    const second = await payouts.reconcile(sys, batch.id, csv('line_no,status,reason', '1,failed,"卡号错误, 请核对"'));
    expect(second).toMatchObject({ paid: 0, failed: 1 });
    expect(second.batch.status).toBe('reconciled');
    expect(await balance(payees[0]!.payable.id)).toBe(100);
    const { lines } = await payouts.getBatch(sys, batch.id);
    expect(lines[0]!.failure_reason).toBe('卡号错误, 请核对');
  });

  it('refuses a malformed result file whole, naming the line and column, and writes nothing', async () => {
    const { purpose } = await owed([
      { name: '郑三', fen: 1_000 },
      { name: '王四', fen: 2_000 },
    ]);
    const { batch } = await payouts.createBatch(sys, { orgId: city.id, purpose });
    await payouts.sendBatch(sys, batch.id);
    const no = batch.batch_no;
    const before = await counts();
    const cases: [Buffer, string][] = [
      [csv('行号,结果,原因', '1,paid,', '2,maybe,'), 'file.line.3.结果'],
      [csv('行号,结果,原因', '1,paid,', 'x,paid,'), 'file.line.3.行号'],
      [csv('行号,结果,原因', '1,paid,', '9,paid,'), 'file.line.3.行号'],
      [csv('行号,结果,原因', '1,paid,', '2,failed,'), 'file.line.3.原因'],
      [csv('行号,原因', '1,'), 'file.line.1.结果'],
      [csv('批次号,行号,结果', `${no},1,paid`, 'PB0000,2,paid'), 'file.line.3.批次号'],
      [csv('行号,参考号,结果', `1,${no}-00002,paid`), 'file.line.2.参考号'],
      [csv('行号,结果,原因', '1,paid,', '1,failed,户名不符'), 'file.line.3.结果'],
      [csv('行号,结果', '"1,paid'), 'file.line.2'],
      [Buffer.from(''), 'file'],
    ];
    for (const [file, field] of cases) {
      const err = await refusal(payouts.reconcile(sys, batch.id, file));
      expect(err.code, field).toBe('PAYOUT_RESULT_FILE_INVALID');
      expect(
        err.fields?.map((f) => f.field),
        file.toString(),
      ).toEqual([field]);
    }
    expect(await counts()).toEqual(before);
    const { lines } = await payouts.getBatch(sys, batch.id);
    expect(lines.every((l) => l.status === 'sent')).toBe(true);
  });

  it('collects each payable once when batches are made at the same time, and settles a file uploaded twice at once', async () => {
    const { purpose, payees } = await owed([
      { name: '钱六', fen: 4_000 },
      { name: '孔七', fen: 6_000 },
    ]);
    const made = await Promise.allSettled(
      [0, 1, 2, 3].map(() => payouts.createBatch(sys, { orgId: city.id, purpose })),
    );
    const ok = made.filter((m) => m.status === 'fulfilled');
    expect(ok).toHaveLength(1);
    for (const m of made) {
      if (m.status === 'rejected') expect((m.reason as AppError).code).toBe('PAYOUT_NOTHING_TO_PAY');
    }
    const { batch } = ok[0]!.value;
    expect(batch.total_amount).toBe(10_000);
    await payouts.sendBatch(sys, batch.id);
    const smsBefore = sms().length;
    const file = csv('行号,结果,原因', '1,failed,卡片挂失', '2,paid,');
    const both = await Promise.all([payouts.reconcile(sys, batch.id, file), payouts.reconcile(sys, batch.id, file)]);
    expect(both.map((b) => b.paid + b.failed).sort()).toEqual([0, 2]);
    expect(sms().length - smsBefore).toBe(1);
    expect(await balance(payees[0]!.payable.id)).toBe(4_000);
    expect(await balance(batch.bank_account_id)).toBeGreaterThanOrEqual(6_000);
    expect(await ledger.outOfBalance()).toEqual([]);
  });

  it('names the line a draft cannot cover, and a cancelled draft frees its payables', async () => {
    const { purpose, payees } = await owed([{ name: '孙五', fen: 500 }]);
    const over = await refusal(
      payouts.createBatch(sys, { orgId: city.id, purpose, lines: [{ personId: payees[0]!.personId, amount: 501 }] }),
    );
    expect(over.code).toBe('LEDGER_INSUFFICIENT_FUNDS');
    expect(over.fields?.map((f) => f.field)).toEqual(['lines.0.amount']);
    const bad = await refusal(
      payouts.createBatch(sys, { orgId: city.id, purpose, lines: [{ personId: payees[0]!.personId, amount: 0 }] }),
    );
    expect(bad.fields?.map((f) => f.field)).toEqual(['lines.0.amount']);
    const draft = await payouts.createBatch(sys, {
      orgId: city.id,
      purpose,
      lines: [
        {
          personId: payees[0]!.personId,
          amount: 300,
          memo: '特殊困难补助',
          reference: { type: 'subsidy_payment', id: 'a' },
        },
      ],
    });
    expect(draft.lines[0]).toMatchObject({ amount: 300, memo: '特殊困难补助', reference_id: 'a' });
    const rest = await payouts.createBatch(sys, { orgId: city.id, purpose });
    expect(rest.lines.map((l) => l.amount)).toEqual([200]);
    expect((await payouts.cancelBatch(sys, draft.batch.id)).status).toBe('cancelled');
    expect((await refusal(payouts.sendBatch(sys, draft.batch.id))).code).toBe('PAYOUT_BATCH_STATE');
    const again = await payouts.createBatch(sys, { orgId: city.id, purpose });
    expect(again.lines.map((l) => l.amount)).toEqual([300]);
  });
});
