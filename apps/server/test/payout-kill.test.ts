import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { luhnCheckDigit } from '@zhgh/contracts';
import Sqlite from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { SYSTEM_ACTOR } from '../src/core/actor.ts';
import { newId } from '../src/core/ids.ts';
import { PERSON_BANK_CARD_CONTEXT } from '../src/core/ledger/payouts.ts';
import type { PersonTable } from '../src/db/schema.ts';
import { SESSION_COOKIE } from '../src/modules/auth/auth.service.ts';
import { PERSON_FIELD_CONTEXTS } from '../src/modules/members/members.policy.ts';
import { makeOrg, makeUser, randomIdNumber, type TestUser, totpCode, unique } from './factories.ts';
import { createTestDatabase, testConfig } from './harness.ts';
import { type ServerProcess, startServerProcess } from './server-process.ts';

/**
 * Crash safety of payouts: the real server as a child process is killed with SIGKILL while it
 * sends a batch of 3,000 payables (2,000 on PostgreSQL), restarted on the same database, and
 * killed again while it reconciles the bank's result file. Whatever instant the kill lands on, the batch is wholly
 * sent or wholly draft, wholly reconciled or not at all; retrying finishes the job; and at
 * the end no payout is lost or doubled, the ledger balances and the audit chain verifies.
 */

// PostgreSQL pays a round trip per statement (about 15 per line to set up, send and settle):
// fewer lines keep its run near a minute on the shared test machine. PAYOUT_KILL_LINES overrides.
const LINES = Number(process.env.PAYOUT_KILL_LINES ?? (process.env.DATABASE_URL ? 2_000 : 3_000));
const FAIL_EVERY = 10;
const sys = { actor: SYSTEM_ACTOR };

let app: FastifyInstance;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let dataDir: string;
let tmpDir: string;
let server: ServerProcess | null = null;
const log: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  // The server finds its SQLite file in DATA_DIR: the data folder is the test database's.
  dataDir =
    db.target.kind === 'sqlite' ? path.dirname(db.target.file) : fs.mkdtempSync(path.join(os.tmpdir(), 'zhgh-kill-'));
  app = await buildApp({ config: testConfig({ DATA_DIR: dataDir }), database: db.database, runJobs: false });
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhgh-kill-tmp-'));
});

afterAll(async () => {
  await server?.kill();
  await app.close();
  await db.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(tmpDir, { recursive: true, force: true });
  console.log(`payout kill test: ${log.join('; ')}`);
});

function bankCard(): string {
  const payload = `621700${String(Math.floor(Math.random() * 1e12)).padStart(12, '0')}`;
  return payload + luhnCheckDigit(payload);
}

/** A city with a funded budget and LINES people owed money there, each with a bank card. */
async function prepare() {
  const province = await makeOrg(app);
  const city = await makeOrg(app, { parent: province, name: unique('市总工会') });
  const purpose = 'kill_test_subsidy';
  const { cipher, blind } = app.core;
  const now = new Date().toISOString();
  const people: PersonTable[] = [];
  for (let i = 0; i < LINES; i++) {
    const idNumber = randomIdNumber();
    people.push({
      id: newId(),
      name: `测试${String(i).padStart(4, '0')}`,
      name_initials: 'cs',
      id_number_cipher: cipher.encrypt(idNumber, PERSON_FIELD_CONTEXTS.idNumber),
      id_number_index: blind.index(idNumber, PERSON_FIELD_CONTEXTS.idNumber),
      gender: 'male',
      birth_date: '1980-01-01',
      ethnicity: '01',
      political_status: null,
      education: null,
      household_type: null,
      household_region: null,
      phone_cipher: null,
      phone_index: null,
      bank_card_cipher: cipher.encrypt(bankCard(), PERSON_BANK_CARD_CONTEXT),
      bank_card_index: null,
      employment_type: 'regular',
      new_form_group: null,
      work_unit_id: null,
      work_unit_name: null,
      real_name_verified: 0,
      created_at: now,
      updated_at: now,
    });
  }
  for (let i = 0; i < people.length; i += 200) {
    await app.core.db
      .insertInto('person')
      .values(people.slice(i, i + 200))
      .execute();
  }
  const ledger = app.services.ledger;
  // One unit of work: the payables are approved the way a subsidy module would, audited.
  await app.core.write(sys, async (s) => {
    const funding = await ledger.openAccount(s, { kind: 'funding', orgId: city.id, purpose });
    const budget = await ledger.openAccount(s, { kind: 'budget', orgId: city.id, purpose });
    const amounts = people.map((_, i) => 10_000 + i);
    await ledger.post(s, {
      idempotencyKey: 'kill:fund',
      debitAccountId: funding.id,
      creditAccountId: budget.id,
      amount: amounts.reduce((a, b) => a + b, 0),
      kind: 'allocation',
    });
    for (const [i, p] of people.entries()) {
      const payable = await ledger.openAccount(s, { kind: 'payable', orgId: city.id, purpose, personId: p.id });
      await ledger.post(s, {
        idempotencyKey: `kill:approve:${p.id}`,
        debitAccountId: budget.id,
        creditAccountId: payable.id,
        amount: amounts[i]!,
        kind: 'payment',
      });
    }
  });
  const officer = await makeUser(app, { org: city, roles: ['finance_officer'] });
  return { city, purpose, officer, total: (LINES * (2 * 10_000 + LINES - 1)) / 2 };
}

/** A session on the child server; sessions live in the database, so it survives restarts. */
interface Session {
  cookie: string;
  csrf: string;
}

async function signIn(url: string, who: TestUser): Promise<Session> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      account: who.username,
      password: who.password,
      kind: 'cadre',
      totp: totpCode(who.totpSecret!),
    }),
  });
  const body = (await res.json()) as { csrfToken: string };
  expect(res.status, JSON.stringify(body)).toBe(200);
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith(`${SESSION_COOKIE}=`))!;
  return { cookie, csrf: body.csrfToken };
}

function call(url: string, session: Session, method: string, route: string, body?: unknown | FormData) {
  const headers: Record<string, string> = { cookie: session.cookie, 'x-csrf-token': session.csrf };
  let payload: string | FormData | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  return fetch(`${url}${route}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
}

const resultForm = (csv: string) => {
  const form = new FormData();
  form.append('file', new Blob([csv], { type: 'text/csv' }), 'result.csv');
  return form;
};

/**
 * Whether another connection is in the middle of a write transaction on the test database:
 * on PostgreSQL a row lock taken by a write on one of this schema's payout or ledger tables;
 * on SQLite the write lock (a probe's BEGIN IMMEDIATE is refused at once).
 */
async function writing(): Promise<boolean> {
  if (db.target.kind === 'postgres') {
    const r = await sql<{ n: number | string }>`
      select count(*) as n from pg_locks
      where pid <> pg_backend_pid() and mode = 'RowExclusiveLock'
        and relation in ('payout_batch'::regclass, 'payout_line'::regclass, 'ledger_account'::regclass)`.execute(
      app.core.db,
    );
    return Number(r.rows[0]!.n) > 0;
  }
  const probe = new Sqlite(db.target.file, { timeout: 0 });
  try {
    probe.exec('begin immediate');
    probe.exec('rollback');
    return false;
  } catch {
    return true;
  } finally {
    probe.close();
  }
}

/**
 * Fire a request and SIGKILL the server while it is being handled: once its transaction is
 * seen writing, plus `afterMs` so the kill lands among the lines; or at once if the answer
 * comes first. Says where the kill landed.
 */
async function killDuring(request: Promise<Response>, afterMs: number): Promise<string> {
  let answered = false;
  const done = request.then(
    async (r) => {
      await r.arrayBuffer().catch(() => undefined);
      answered = r.status < 300;
    },
    () => undefined,
  );
  const started = Date.now();
  let seen = false;
  while (!answered && Date.now() - started < 30_000) {
    if (await writing()) {
      seen = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  if (seen) await new Promise((r) => setTimeout(r, afterMs));
  const midway = seen && !answered && (await writing());
  await server!.kill();
  await done;
  return answered ? 'after the answer' : midway ? 'inside the transaction' : 'outside any transaction';
}

async function lines(batchId: string) {
  return app.core.db
    .selectFrom('payout_line')
    .select(['id', 'line_no', 'status', 'amount', 'send_transfer_id', 'result_transfer_id'])
    .where('batch_id', '=', batchId)
    .orderBy('line_no')
    .execute();
}

async function batchStatus(batchId: string) {
  return (await app.core.db
    .selectFrom('payout_batch')
    .select('status')
    .where('id', '=', batchId)
    .executeTakeFirstOrThrow())!.status;
}

const start = async () => {
  server = await startServerProcess({
    DATA_DIR: dataDir,
    // The killed server's uploads in flight stay in its temporary folder: this test's own.
    TMPDIR: tmpDir,
    ...(db.target.kind === 'postgres' ? { DATABASE_URL: db.target.url } : {}),
  });
  return server.url;
};

describe('payouts survive SIGKILL', () => {
  it(
    `sends and reconciles ${LINES} payouts across two kills: none lost, none doubled`,
    { timeout: 180_000 },
    async () => {
      const t0 = Date.now();
      const { city, purpose, officer, total } = await prepare();
      log.push(`prepared in ${Date.now() - t0} ms`);

      let url = await start();
      const session = await signIn(url, officer);
      const created = await call(url, session, 'POST', '/api/finance/payout-batches', { orgId: city.id, purpose });
      expect(created.status).toBe(201);
      const batchId = ((await created.json()) as { batch: { id: string } }).batch.id;

      // Kill 1: in the middle of sending.
      const sendAnswer = await killDuring(
        call(url, session, 'POST', `/api/finance/payout-batches/${batchId}/send`),
        100,
      );
      url = await start();
      let status = await batchStatus(batchId);
      let rows = await lines(batchId);
      expect(rows).toHaveLength(LINES);
      // Wholly sent or wholly draft: the send is one transaction.
      if (status === 'draft') {
        expect(rows.every((l) => l.status === 'draft' && l.send_transfer_id === null)).toBe(true);
        const send = await call(url, session, 'POST', `/api/finance/payout-batches/${batchId}/send`);
        expect(send.status).toBe(200);
      } else {
        expect(status).toBe('sent');
        expect(rows.every((l) => l.status === 'sent' && l.send_transfer_id !== null)).toBe(true);
      }
      log.push(`send: killed ${sendAnswer}, batch found ${status}`);

      log.push(`sent by ${Date.now() - t0} ms`);
      const file = await call(url, session, 'GET', `/api/finance/payout-batches/${batchId}/bank-file`);
      expect(file.status).toBe(200);
      const bankRows = (await file.text()).split('\r\n').filter(Boolean);
      expect(bankRows).toHaveLength(LINES + 1);

      // The bank answers: every tenth payment failed.
      const result =
        '行号,结果,原因\r\n' +
        Array.from({ length: LINES }, (_, i) =>
          (i + 1) % FAIL_EVERY === 0 ? `${i + 1},失败,账户已销户` : `${i + 1},成功,`,
        ).join('\r\n') +
        '\r\n';

      // Kill 2: in the middle of reconciling.
      const reconcileAnswer = await killDuring(
        call(url, session, 'POST', `/api/finance/payout-batches/${batchId}/results`, resultForm(result)),
        100,
      );
      url = await start();
      status = await batchStatus(batchId);
      rows = await lines(batchId);
      const settled = rows.filter((l) => l.status === 'paid' || l.status === 'failed').length;
      // Wholly reconciled or not at all: the reconciliation is one transaction.
      expect([0, LINES]).toContain(settled);
      expect(status).toBe(settled === LINES ? 'reconciled' : 'sent');
      log.push(`reconcile: killed ${reconcileAnswer}, ${settled} lines found settled`);

      log.push(`restarted by ${Date.now() - t0} ms`);
      // The operator uploads the same file again: it finishes the job or changes nothing.
      const again = await call(
        url,
        session,
        'POST',
        `/api/finance/payout-batches/${batchId}/results`,
        resultForm(result),
      );
      expect(again.status).toBe(200);
      const summary = (await again.json()) as { paid: number; failed: number; unchanged: number };
      expect(summary.paid + summary.failed + summary.unchanged).toBe(LINES);
      expect(summary.unchanged).toBe(settled);
      await server!.kill();
      server = null;
      log.push(`reconciled by ${Date.now() - t0} ms`);

      // 0 lost: every line paid or failed, as the bank said.
      rows = await lines(batchId);
      expect(await batchStatus(batchId)).toBe('reconciled');
      const failedNos = rows.filter((l) => l.status === 'failed').map((l) => l.line_no);
      expect(failedNos).toEqual(rows.filter((l) => l.line_no % FAIL_EVERY === 0).map((l) => l.line_no));
      expect(rows.filter((l) => l.status === 'paid')).toHaveLength(LINES - LINES / FAIL_EVERY);

      // 0 doubled: exactly one send and one result transfer per line, keys unique, sums match.
      const transfers = await app.core.db
        .selectFrom('ledger_transfer')
        .select(['id', 'idempotency_key', 'kind', 'amount', 'reference_id'])
        .where('reference_type', '=', 'payout_line')
        .execute();
      const byLine = new Map<string, { kind: string; amount: number }[]>();
      for (const t of transfers) byLine.set(t.reference_id!, [...(byLine.get(t.reference_id!) ?? []), t]);
      for (const l of rows) {
        const mine = byLine.get(l.id) ?? [];
        const want = l.status === 'paid' ? ['payout_send', 'payout_settle'] : ['payout_return', 'payout_send'];
        expect(mine.map((t) => t.kind).sort(), `line ${l.line_no}`).toEqual(want.sort());
        expect(mine.every((t) => t.amount === l.amount)).toBe(true);
        expect(l.send_transfer_id).not.toBeNull();
        expect(l.result_transfer_id).not.toBeNull();
      }
      expect(byLine.size).toBe(LINES);
      const keys = await app.core.db
        .selectFrom('ledger_transfer')
        .select((eb) => [
          eb.fn.countAll<number | string>().as('n'),
          eb.fn.count<number | string>('idempotency_key').distinct().as('d'),
        ])
        .executeTakeFirstOrThrow();
      expect(Number(keys.d)).toBe(Number(keys.n));
      const sum = (kind: string) => transfers.filter((t) => t.kind === kind).reduce((a, t) => a + t.amount, 0);
      expect(sum('payout_send')).toBe(total);
      expect(sum('payout_settle') + sum('payout_return')).toBe(total);

      // Ledger balanced: every account equals a recount of its transfers; debits = credits.
      expect(await app.services.ledger.outOfBalance()).toEqual([]);
      const totals = await app.core.db
        .selectFrom('ledger_account')
        .select((eb) => [
          eb.fn.sum<number | string>('debits_posted').as('debits'),
          eb.fn.sum<number | string>('credits_posted').as('credits'),
        ])
        .executeTakeFirstOrThrow();
      expect(Number(totals.debits)).toBe(Number(totals.credits));
      const clearing = await app.core.db
        .selectFrom('ledger_account')
        .selectAll()
        .where('kind', '=', 'clearing')
        .where('org_id', '=', city.id)
        .executeTakeFirstOrThrow();
      expect(clearing.credits_posted - clearing.debits_posted).toBe(0);

      // The audit chain verifies, across both kills.
      const verified = await app.core.audit.verify(app.core.db);
      expect(verified.ok, JSON.stringify(verified)).toBe(true);
      log.push(`${verified.checked} audit entries verified`);
    },
  );
});
