import { luhnCheckDigit } from '@zhgh/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RequestContext, SYSTEM_ACTOR } from '../src/core/actor.ts';
import type { OrganizationTable } from '../src/db/schema.ts';
import {
  type Agent,
  agent,
  errorOf,
  makeFundedBudget,
  makeMember,
  makeOrg,
  makeTree,
  makeUser,
  postMultipart,
  randomPhone,
  signIn,
  unique,
} from './factories.ts';
import { createTestApp } from './harness.ts';

/**
 * The finance routes over the ledger: accounts and balances, budget allocation with a
 * client's idempotency key, reversals, payout batches from draft to bank file to the bank's
 * result file. Every route: authentication, permission, scope (404 as a missing id), input.
 */

const sys: RequestContext = { actor: SYSTEM_ACTOR };
let app: FastifyInstance;
let close: () => Promise<void>;
let tree: Awaited<ReturnType<typeof makeTree>>;
/** A finance officer of the city: its subtree is in scope, the sibling county is too. */
let officer: Agent;
/** A finance officer of the home county only: the city's records do not exist for them. */
let countyOfficer: Agent;
/** A cadre of the city without finance permissions. */
let plain: Agent;
const anonymous = () => agent(app);

beforeAll(async () => {
  const t = await createTestApp({}, { runJobs: false });
  app = t.app;
  close = t.close;
  tree = await makeTree(app);
  officer = await signIn(app, await makeUser(app, { org: tree.city, roles: ['finance_officer'] }));
  countyOfficer = await signIn(app, await makeUser(app, { org: tree.county, roles: ['finance_officer'] }));
  plain = await signIn(app, await makeUser(app, { org: tree.city, roles: ['grassroots_cadre'] }));
});
afterAll(async () => close());

function bankCard(): string {
  const payload = `621700${String(Math.floor(Math.random() * 1e12)).padStart(12, '0')}`;
  return payload + luhnCheckDigit(payload);
}

const purposeCode = () => unique('fin_').toLowerCase();

/** Funding and budget of a purpose at an org, funded, and payees owed the given amounts there. */
async function owed(org: OrganizationTable, amounts: { name: string; fen: number; card?: boolean }[]) {
  const ledger = app.services.ledger;
  const total = amounts.reduce((a, b) => a + b.fen, 0);
  const { funding, budget, purpose } = await makeFundedBudget(app, org, total, purposeCode());
  const payees = [];
  for (const a of amounts) {
    const card = a.card === false ? null : bankCard();
    const grassroots = await makeOrg(app, { parent: org, type: 'grassroots' });
    const member = await makeMember(app, {
      org: grassroots,
      name: a.name,
      phone: randomPhone(),
      ...(card ? { bankCard: card } : {}),
    });
    const payable = await ledger.open(sys, { kind: 'payable', orgId: org.id, purpose, personId: member.person.id });
    await ledger.transfer(sys, {
      idempotencyKey: unique('approve-'),
      debitAccountId: budget.id,
      creditAccountId: payable.id,
      amount: a.fen,
      kind: 'payment',
    });
    payees.push({ ...a, card, personId: member.person.id, payable });
  }
  return { purpose, funding, budget, payees };
}

const csv = (...rows: string[]) => Buffer.from(rows.join('\r\n') + '\r\n', 'utf8');
const upload = (a: Agent, batchId: string, content: Buffer) =>
  postMultipart(a, `/api/finance/payout-batches/${batchId}/results`, {
    file: { filename: 'result.csv', content, contentType: 'text/csv' },
  });

async function count(table: 'ledger_transfer' | 'audit_event' | 'payout_line') {
  const r = await app.core.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

describe('finance routes: access', () => {
  it('requires authentication', async () => {
    for (const [method, url] of [
      ['GET', '/api/finance/accounts'],
      ['GET', '/api/finance/payout-batches'],
      ['POST', '/api/finance/transfers'],
    ] as const) {
      expect((await anonymous().request(method, url, {})).status, url).toBe(401);
    }
  });

  it('requires permission', async () => {
    expect(errorOf(await plain.get('/api/finance/accounts')).status).toBe(403);
    expect(errorOf(await plain.get('/api/finance/payout-batches')).status).toBe(403);
    const res = await plain.post('/api/finance/payout-batches', { orgId: tree.city.id, purpose: 'x_y' });
    expect(res.status).toBe(403);
  });

  it('answers 404 outside scope, exactly like a missing id', async () => {
    const { budget, purpose, payees } = await owed(tree.city, [{ name: '张三丰', fen: 10_000 }]);
    const missing = await countyOfficer.get(`/api/finance/accounts/019a0000-0000-7000-8000-000000000000`);
    expect(missing.status).toBe(404);
    const outside = await countyOfficer.get(`/api/finance/accounts/${budget.id}`);
    expect(outside.status).toBe(404);
    expect((outside.json() as { error: { code: string } }).error.code).toBe(
      (missing.json() as { error: { code: string } }).error.code,
    );
    expect((await countyOfficer.get(`/api/finance/accounts/${budget.id}/statement`)).status).toBe(404);
    expect((await countyOfficer.get(`/api/finance/accounts?orgId=${tree.city.id}`)).status).toBe(404);
    const created = await officer.post('/api/finance/payout-batches', { orgId: tree.city.id, purpose });
    expect(created.status).toBe(201);
    const batchId = created.json<{ batch: { id: string } }>().batch.id;
    for (const url of [`/api/finance/payout-batches/${batchId}`, `/api/finance/payout-batches/${batchId}/bank-file`]) {
      expect((await countyOfficer.get(url)).status, url).toBe(404);
    }
    for (const url of [
      `/api/finance/payout-batches/${batchId}/send`,
      `/api/finance/payout-batches/${batchId}/cancel`,
    ]) {
      expect((await countyOfficer.post(url, {})).status, url).toBe(404);
    }
    expect((await upload(countyOfficer, batchId, csv('行号,结果', '1,成功'))).status).toBe(404);
    expect((await countyOfficer.post('/api/finance/payout-batches', { orgId: tree.city.id, purpose })).status).toBe(
      404,
    );
    expect(
      (await countyOfficer.post('/api/finance/accounts', { orgId: tree.city.id, kind: 'budget', purpose })).status,
    ).toBe(404);
    // A county officer's list does not show the city's accounts or batches.
    const list = await countyOfficer.get('/api/finance/accounts?pageSize=200');
    expect(list.json<{ items: { id: string }[] }>().items.map((a) => a.id)).not.toContain(budget.id);
    const batches = await countyOfficer.get('/api/finance/payout-batches?pageSize=200');
    expect(batches.json<{ items: { id: string }[] }>().items.map((b) => b.id)).not.toContain(batchId);
    expect((await officer.post(`/api/finance/payout-batches/${batchId}/cancel`, {})).status).toBe(200);
    expect(payees).toHaveLength(1);
  });
});

describe('finance routes: accounts and allocation', () => {
  it('opens accounts, allocates a budget once per key, reverses it, and shows the statement', async () => {
    const purpose = purposeCode();
    const openF = await officer.post('/api/finance/accounts', { orgId: tree.county.id, kind: 'funding', purpose });
    expect(openF.status).toBe(200);
    const funding = openF.json<{ id: string; kind: string; orgName: string; balance: number }>();
    expect(funding).toMatchObject({ kind: 'funding', orgName: tree.county.name, balance: 0 });
    const again = await officer.post('/api/finance/accounts', { orgId: tree.county.id, kind: 'funding', purpose });
    expect(again.json<{ id: string }>().id).toBe(funding.id);
    const budget = (
      await officer.post('/api/finance/accounts', { orgId: tree.county.id, kind: 'budget', purpose })
    ).json<{ id: string }>();

    const key = unique('alloc-key-');
    const body = { debitAccountId: funding.id, creditAccountId: budget.id, amount: 500_000, memo: '2026 年度预算' };
    const audits = await count('audit_event');
    const first = await officer.request('POST', '/api/finance/transfers', body, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    const transfer = first.json<{ id: string; amount: number; kind: string }>();
    expect(transfer).toMatchObject({ amount: 500_000, kind: 'allocation' });
    expect(await count('audit_event')).toBe(audits + 1);
    // The same key and content: the same transfer, nothing written; the key may come in the body too.
    const replay = await officer.post('/api/finance/transfers', { ...body, idempotencyKey: key });
    expect(replay.json<{ id: string }>().id).toBe(transfer.id);
    expect(await count('audit_event')).toBe(audits + 1);
    const conflict = await officer.request(
      'POST',
      '/api/finance/transfers',
      { ...body, amount: 1 },
      { 'idempotency-key': key },
    );
    expect(errorOf(conflict)).toMatchObject({ status: 409, code: 'LEDGER_IDEMPOTENCY_CONFLICT' });

    const shown = (await officer.get(`/api/finance/accounts/${budget.id}`)).json<Record<string, number>>();
    expect(shown).toMatchObject({ balance: 500_000, available: 500_000, pending: 0 });
    const listed = await officer.get(`/api/finance/accounts?orgId=${tree.county.id}&purpose=${purpose}`);
    expect(listed.json<{ items: { id: string; balance: number }[] }>().items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: budget.id, balance: 500_000 }),
        expect.objectContaining({ id: funding.id, balance: 500_000 }),
      ]),
    );
    expect(listed.json<{ total: number }>().total).toBe(2);
    const onlyBudgets = await officer.get(`/api/finance/accounts?kind=budget&purpose=${purpose}`);
    expect(onlyBudgets.json<{ items: { id: string }[] }>().items.map((a) => a.id)).toEqual([budget.id]);
    // The county officer sees the county's own accounts.
    expect((await countyOfficer.get(`/api/finance/accounts/${budget.id}`)).status).toBe(200);

    const rev = await officer.post(`/api/finance/transfers/${transfer.id}/reversal`, {
      reason: '预算下达错误',
      idempotencyKey: unique('rev-key-'),
    });
    expect(rev.status).toBe(201);
    expect(rev.json()).toMatchObject({ reversalOf: transfer.id, amount: 500_000, memo: '预算下达错误' });
    const twice = await officer.post(`/api/finance/transfers/${transfer.id}/reversal`, {
      reason: '再次冲正',
      idempotencyKey: unique('rev-key-'),
    });
    expect(errorOf(twice)).toMatchObject({ status: 409, code: 'LEDGER_ALREADY_REVERSED' });

    const page1 = await officer.get(`/api/finance/accounts/${budget.id}/statement?limit=1`);
    const s1 = page1.json<{ items: { change: number; transfer: { id: string } }[]; nextCursor: string }>();
    expect(s1.items.map((i) => i.change)).toEqual([-500_000]);
    const page2 = await officer.get(`/api/finance/accounts/${budget.id}/statement?limit=1&cursor=${s1.nextCursor}`);
    const s2 = page2.json<{ items: { change: number; transfer: { id: string } }[]; nextCursor: string | null }>();
    expect(s2.items.map((i) => [i.transfer.id, i.change])).toEqual([[transfer.id, 500_000]]);
    expect(s2.nextCursor).toBeNull();
  });

  it('refuses bad input with a field error, and writes nothing', async () => {
    const { funding, budget, payees } = await owed(tree.county, [{ name: '李四', fen: 100 }]);
    const other = await owed(tree.county, []);
    const audits = await count('audit_event');
    const noKey = await officer.post('/api/finance/transfers', {
      debitAccountId: funding.id,
      creditAccountId: budget.id,
      amount: 100,
    });
    expect(errorOf(noKey)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', fields: ['body.idempotencyKey'] });
    const fraction = await officer.request(
      'POST',
      '/api/finance/transfers',
      { debitAccountId: funding.id, creditAccountId: budget.id, amount: 1.5 },
      { 'idempotency-key': unique('k-') },
    );
    expect(errorOf(fraction)).toMatchObject({ status: 400, fields: ['body.amount'] });
    const wrongKinds = await officer.request(
      'POST',
      '/api/finance/transfers',
      { debitAccountId: budget.id, creditAccountId: payees[0]!.payable.id, amount: 1 },
      { 'idempotency-key': unique('k-') },
    );
    expect(errorOf(wrongKinds)).toMatchObject({
      status: 400,
      fields: ['body.debitAccountId', 'body.creditAccountId'],
    });
    const otherPurpose = await officer.request(
      'POST',
      '/api/finance/transfers',
      { debitAccountId: funding.id, creditAccountId: other.budget.id, amount: 1 },
      { 'idempotency-key': unique('k-') },
    );
    expect(errorOf(otherPurpose)).toMatchObject({ status: 400, fields: ['body.creditAccountId'] });
    const badKind = await officer.post('/api/finance/accounts', {
      orgId: tree.county.id,
      kind: 'payable',
      purpose: 'a',
    });
    expect(errorOf(badKind)).toMatchObject({ status: 400, fields: ['body.kind'] });
    const badPurpose = await officer.post('/api/finance/accounts', {
      orgId: tree.county.id,
      kind: 'budget',
      purpose: 'A B',
    });
    expect(errorOf(badPurpose)).toMatchObject({ status: 400, fields: ['body.purpose'] });
    const noReason = await officer.post(`/api/finance/transfers/${funding.id}/reversal`, {
      idempotencyKey: unique('k-'),
    });
    expect(errorOf(noReason)).toMatchObject({ status: 400, fields: ['body.reason'] });
    const notReversible = await officer.post(`/api/finance/transfers/${'0'.repeat(8)}/reversal`, {
      reason: '不存在的转账',
      idempotencyKey: unique('k-'),
    });
    expect(notReversible.status).toBe(404);
    expect(await count('audit_event')).toBe(audits);
  });

  it('a merged or dissolved union takes no new account and no new budget money', async () => {
    const stopped = await makeOrg(app, { parent: tree.county, type: 'grassroots' });
    const { funding } = await owed(tree.county, []);
    const budget = await app.services.ledger.open(sys, { kind: 'budget', orgId: stopped.id, purpose: funding.purpose });
    await app.core.db.updateTable('organization').set({ status: 'dissolved' }).where('id', '=', stopped.id).execute();
    const audits = await count('audit_event');
    const opened = await officer.post('/api/finance/accounts', {
      orgId: stopped.id,
      kind: 'budget',
      purpose: purposeCode(),
    });
    expect(errorOf(opened)).toMatchObject({ status: 409, code: 'ORG_NOT_ACTIVE' });
    const allocated = await officer.request(
      'POST',
      '/api/finance/transfers',
      { debitAccountId: funding.id, creditAccountId: budget.id, amount: 100 },
      { 'idempotency-key': unique('k-') },
    );
    expect(errorOf(allocated)).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      fields: ['body.creditAccountId'],
    });
    expect(await count('audit_event')).toBe(audits);
  });
});

describe('finance routes: payout batches', () => {
  it('draft → send → bank file → result file, with masked lines and failed money payable again', async () => {
    const { purpose, payees } = await owed(tree.city, [
      { name: '张建国', fen: 30_000 },
      { name: '李秀英', fen: 200_000 },
      { name: '王大明', fen: 12_345 },
      { name: '赵无卡', fen: 5_000, card: false },
    ]);
    const created = await officer.post('/api/finance/payout-batches', {
      orgId: tree.city.id,
      purpose,
      memo: '劳模补助',
    });
    expect(created.status).toBe(201);
    const c = created.json<{
      batch: { id: string; batchNo: string; status: string; lineCount: number; totalAmount: number };
      lines: { payeeName: string; bankCard: string; amount: number }[];
      skipped: { personId: string; reason: string }[];
    }>();
    expect(c.batch).toMatchObject({ status: 'draft', lineCount: 3, totalAmount: 242_345 });
    expect(c.skipped).toEqual([{ personId: payees[3]!.personId, reason: 'no_bank_card' }]);
    expect(c.lines.map((l) => l.payeeName)).toEqual(['张*国', '李*英', '王*明']);
    expect(c.lines[0]!.bankCard).toBe('*'.repeat(payees[0]!.card!.length - 4) + payees[0]!.card!.slice(-4));
    expect(JSON.stringify(created.body)).not.toContain(payees[0]!.card!);
    const id = c.batch.id;

    // The draft holds its money; no bank file before it is sent.
    const payable = await officer.get(`/api/finance/accounts/${payees[0]!.payable.id}`);
    expect(payable.json()).toMatchObject({ balance: 30_000, available: 0, pending: 30_000, personName: '张*国' });
    expect(errorOf(await officer.get(`/api/finance/payout-batches/${id}/bank-file`))).toMatchObject({
      status: 409,
      code: 'PAYOUT_BATCH_STATE',
    });
    expect(errorOf(await upload(officer, id, csv('行号,结果', '1,成功')))).toMatchObject({
      status: 409,
      code: 'PAYOUT_BATCH_STATE',
    });

    const sent = await officer.post(`/api/finance/payout-batches/${id}/send`, {});
    expect(sent.status).toBe(200);
    expect(sent.json()).toMatchObject({ status: 'sent', batchNo: c.batch.batchNo });
    expect(errorOf(await officer.post(`/api/finance/payout-batches/${id}/send`, {}))).toMatchObject({
      status: 409,
      code: 'PAYOUT_BATCH_STATE',
    });
    expect(errorOf(await officer.post(`/api/finance/payout-batches/${id}/cancel`, {}))).toMatchObject({
      status: 409,
      code: 'PAYOUT_BATCH_STATE',
    });
    const audits = await count('audit_event');
    const file = await officer.get(`/api/finance/payout-batches/${id}/bank-file`);
    expect(file.status).toBe(200);
    expect(String(file.headers['content-type'])).toContain('text/csv');
    expect(String(file.headers['content-disposition'])).toContain(`${c.batch.batchNo}.csv`);
    const text = String(file.body);
    expect(text).toContain(`${c.batch.batchNo},1,张建国,${payees[0]!.card},300.00,劳模补助,${c.batch.batchNo}-00001`);
    expect(await count('audit_event')).toBe(audits + 1);

    // A malformed result file: 400 naming line and column, nothing written.
    const transfers = await count('ledger_transfer');
    const bad = await upload(officer, id, csv('行号,结果,原因', '1,成功,', '9,成功,'));
    expect(errorOf(bad)).toMatchObject({
      status: 400,
      code: 'PAYOUT_RESULT_FILE_INVALID',
      fields: ['file.line.3.行号'],
    });
    const badStatus = await upload(officer, id, csv('行号,结果,原因', '1,也许,'));
    expect(errorOf(badStatus)).toMatchObject({
      status: 400,
      code: 'PAYOUT_RESULT_FILE_INVALID',
      fields: ['file.line.2.结果'],
    });
    expect(await count('ledger_transfer')).toBe(transfers);

    const result = await upload(officer, id, csv('行号,结果,原因', '1,成功,', '2,失败,账号不存在'));
    expect(result.status).toBe(200);
    expect(result.json()).toMatchObject({
      batch: { status: 'sent' },
      paid: 1,
      failed: 1,
      unchanged: 0,
      notified: 1,
      failures: [{ lineNo: 2, payeeName: '李*英', amount: 200_000, reason: '账号不存在' }],
    });
    const rest = await upload(officer, id, csv('行号,结果,原因', '1,成功,', '2,失败,账号不存在', '3,成功,'));
    expect(rest.json()).toMatchObject({ batch: { status: 'reconciled' }, paid: 1, failed: 0, unchanged: 2 });

    const detail = await officer.get(`/api/finance/payout-batches/${id}`);
    expect(detail.json()).toMatchObject({
      status: 'reconciled',
      counts: { paid: 2, failed: 1, sent: 0, draft: 0, cancelled: 0 },
      lines: [
        { lineNo: 1, status: 'paid', failureReason: null },
        { lineNo: 2, status: 'failed', failureReason: '账号不存在' },
        { lineNo: 3, status: 'paid' },
      ],
    });
    // The failed payee is owed again and free for the next batch.
    const owedAgain = await officer.get(`/api/finance/accounts/${payees[1]!.payable.id}`);
    expect(owedAgain.json()).toMatchObject({ balance: 200_000, available: 200_000, pending: 0 });
    const list = await officer.get(`/api/finance/payout-batches?orgId=${tree.city.id}&status=reconciled`);
    expect(list.json<{ items: { id: string }[] }>().items.map((b) => b.id)).toContain(id);
    const drafts = await officer.get(`/api/finance/payout-batches?status=draft&pageSize=200`);
    expect(drafts.json<{ items: { id: string }[] }>().items.map((b) => b.id)).not.toContain(id);
  });

  it('creates a batch of explicit lines, refuses what cannot be paid, and cancels a draft', async () => {
    const { purpose, payees } = await owed(tree.city, [
      { name: '陈一', fen: 1_000 },
      { name: '陈无卡', fen: 1_000, card: false },
    ]);
    const tooMuch = await officer.post('/api/finance/payout-batches', {
      orgId: tree.city.id,
      purpose,
      lines: [{ personId: payees[0]!.personId, amount: 1_001 }],
    });
    expect(errorOf(tooMuch)).toMatchObject({
      status: 409,
      code: 'LEDGER_INSUFFICIENT_FUNDS',
      fields: ['lines.0.amount'],
    });
    const noCard = await officer.post('/api/finance/payout-batches', {
      orgId: tree.city.id,
      purpose,
      lines: [{ personId: payees[1]!.personId, amount: 1_000 }],
    });
    expect(errorOf(noCard)).toMatchObject({ status: 409, code: 'PAYOUT_NO_BANK_CARD', fields: ['lines.0.personId'] });
    const badLine = await officer.post('/api/finance/payout-batches', {
      orgId: tree.city.id,
      purpose,
      lines: [{ personId: payees[0]!.personId, amount: 0 }],
    });
    expect(errorOf(badLine)).toMatchObject({ status: 400, fields: ['body.lines.0.amount'] });
    const nothing = await officer.post('/api/finance/payout-batches', { orgId: tree.city.id, purpose: purposeCode() });
    expect(errorOf(nothing)).toMatchObject({ status: 409, code: 'PAYOUT_NOTHING_TO_PAY' });

    const ok = await officer.post('/api/finance/payout-batches', {
      orgId: tree.city.id,
      purpose,
      lines: [{ personId: payees[0]!.personId, amount: 600, memo: '首笔' }],
    });
    expect(ok.status).toBe(201);
    const id = ok.json<{ batch: { id: string } }>().batch.id;
    expect((await officer.get(`/api/finance/accounts/${payees[0]!.payable.id}`)).json()).toMatchObject({
      available: 400,
      pending: 600,
    });
    const cancelled = await officer.post(`/api/finance/payout-batches/${id}/cancel`, {});
    expect(cancelled.json()).toMatchObject({ status: 'cancelled' });
    expect((await officer.get(`/api/finance/accounts/${payees[0]!.payable.id}`)).json()).toMatchObject({
      available: 1_000,
      pending: 0,
    });
    expect(await app.services.ledger.outOfBalance()).toEqual([]);
  });
});
