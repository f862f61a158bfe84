import { type JobOutput } from '@zhgh/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../src/core/actor.ts';
import { AppError } from '../src/core/app-error.ts';
import { createAuditLog } from '../src/core/audit/audit.ts';
import { createInProcessJobQueue, type JobQueue } from '../src/core/jobs/jobs.ts';
import { createUnitOfWork } from '../src/core/unit-of-work.ts';
import { nowIso } from '../src/core/ids.ts';
import { randomBytes } from 'node:crypto';
import type { JobTable, OrganizationTable } from '../src/db/schema.ts';
import { type Agent, agent, errorOf, makeTree, makeUser, signIn, withoutRequestId } from './factories.ts';
import { createTestApp, createTestDatabase } from './harness.ts';

let t: Awaited<ReturnType<typeof createTestDatabase>>;
let queue: JobQueue;
const ctx = { actor: SYSTEM_ACTOR };
/** Items each counting job has processed, across runs: proves resume does not redo work. */
const processed: number[] = [];
let stopAt: number | null = null;
let failAt: number | null = null;
let writeQueue: { write: ReturnType<typeof createUnitOfWork> } | null = null;

beforeAll(async () => {
  t = await createTestDatabase();
  const audit = createAuditLog({ dialect: t.database.dialect, key: randomBytes(32) });
  const write = createUnitOfWork(t.database.db, audit);
  queue = createInProcessJobQueue({ db: t.database.db, write, leaseMs: 1_000 });
  writeQueue = { write };
  // Steps written in a transaction with their checkpoint; step `failAt` fails after writing.
  queue.register<{ steps: number }, { next: number }>('steps', async (job) => {
    for (let i = job.resumeFrom?.next ?? 0; i < job.payload.steps; i++) {
      await writeQueue!.write(ctx, async (s) => {
        await s.audit({ action: 'test.step', subjectType: 'job', subjectId: job.id, changes: [{ field: 'i', to: i }] });
        await job.checkpointIn(s.trx, { next: i + 1 }, i + 1, job.payload.steps);
        if (i === failAt) {
          failAt = null;
          throw new AppError('IMPORT_FILE_UNREADABLE');
        }
      });
    }
    return { steps: job.payload.steps };
  });
  // Reads only, as an export pages through a subtree: each progress report must let others in.
  queue.register<{ pages: number }, never>('pages', async (job) => {
    const seen: boolean[] = [];
    for (let i = 0; i < job.payload.pages; i++) {
      let turned = false;
      setImmediate(() => (turned = true));
      await t.database.db.selectFrom('job').select('id').where('id', '=', job.id).execute();
      await job.progress(i + 1, job.payload.pages);
      seen.push(turned);
    }
    return { turnedAfterEveryPage: seen.every(Boolean) };
  });
  queue.register<{ items: number }, { next: number }>('count', async (job) => {
    const total = job.payload.items;
    for (let i = job.resumeFrom?.next ?? 0; i < total; i++) {
      if (i === stopAt) {
        stopAt = null;
        // Simulate the user pressing cancel while item i is next.
        await queue.cancel(ctx, job.id);
      }
      await job.throwIfCancelled();
      if (i === failAt) {
        failAt = null;
        throw new Error(`item ${i} is broken`);
      }
      processed.push(i);
      await job.checkpoint({ next: i + 1 }, i + 1, total);
    }
    return { counted: total };
  });
});
afterAll(async () => {
  await queue.stop();
  await t.drop();
});

describe('in-process jobs', () => {
  it('runs a job to the end with progress and a result', async () => {
    processed.length = 0;
    const id = await queue.enqueue(ctx, 'count', { items: 5 });
    expect((await queue.get(id))!.status).toBe('queued');
    await queue.drain();
    const job = (await queue.get(id))!;
    expect(job).toMatchObject({ status: 'succeeded', progressDone: 5, progressTotal: 5, result: { counted: 5 } });
    expect(processed).toEqual([0, 1, 2, 3, 4]);
  });

  it('hands the event loop a turn at every progress report, so a job of reads never starves requests', async () => {
    const id = await queue.enqueue(ctx, 'pages', { pages: 4 });
    await queue.drain();
    expect((await queue.get(id))!).toMatchObject({ status: 'succeeded', result: { turnedAfterEveryPage: true } });
  });

  it('cancels a running job at its next check, and resumes where it stopped', async () => {
    processed.length = 0;
    stopAt = 3;
    const id = await queue.enqueue(ctx, 'count', { items: 6 });
    await queue.drain();
    expect((await queue.get(id))!).toMatchObject({ status: 'cancelled', progressDone: 3 });
    expect(processed).toEqual([0, 1, 2]);
    await queue.resume(ctx, id);
    await queue.drain();
    expect((await queue.get(id))!).toMatchObject({ status: 'succeeded', progressDone: 6, attempts: 2 });
    expect(processed).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('a failed job keeps its error and can be resumed', async () => {
    processed.length = 0;
    failAt = 2;
    const id = await queue.enqueue(ctx, 'count', { items: 4 });
    await queue.drain();
    expect((await queue.get(id))!).toMatchObject({ status: 'failed', error: 'item 2 is broken' });
    await queue.resume(ctx, id);
    await queue.drain();
    expect((await queue.get(id))!.status).toBe('succeeded');
    expect(processed).toEqual([0, 1, 2, 3]);
  });

  it('a queued job cancels at once; finished jobs cannot be cancelled; running ones cannot be resumed', async () => {
    const id = await queue.enqueue(ctx, 'count', { items: 1 });
    expect((await queue.cancel(ctx, id)).status).toBe('cancelled');
    await expect(queue.cancel(ctx, id)).rejects.toMatchObject({ code: 'JOB_NOT_CANCELLABLE' });
    await queue.resume(ctx, id);
    await queue.drain();
    await expect(queue.resume(ctx, id)).rejects.toMatchObject({ code: 'JOB_NOT_RESUMABLE' });
    await expect(queue.cancel(ctx, 'no-such-job')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a job left running by a dead process is picked up again from its checkpoint', async () => {
    processed.length = 0;
    const id = await queue.enqueue(ctx, 'count', { items: 3 });
    // What a crash mid-run leaves behind: status running, a checkpoint, an old heartbeat.
    const old = new Date(Date.now() - 5_000).toISOString();
    await t.database.db
      .updateTable('job')
      .set({ status: 'running', checkpoint: JSON.stringify({ next: 2 }), progress_done: 2, updated_at: old })
      .where('id', '=', id)
      .execute();
    await queue.drain();
    expect((await queue.get(id))!.status).toBe('succeeded');
    expect(processed).toEqual([2]);
  });

  it('refuses an unknown job kind', async () => {
    await expect(queue.enqueue(ctx, 'nope', {})).rejects.toThrow(/no job handler/);
  });

  it('audits enqueue, cancel, resume and every outcome', async () => {
    const actions = await t.database.db.selectFrom('audit_event').select('action').distinct().execute();
    expect(actions.map((a) => a.action).sort()).toEqual(
      ['job.cancel', 'job.cancelled', 'job.enqueue', 'job.failed', 'job.resume', 'job.succeeded'].sort(),
    );
    expect(nowIso()).toMatch(/Z$/);
  });
});

describe('checkpoints inside a transaction', () => {
  it('roll back with the work they describe; an AppError keeps its code', async () => {
    failAt = 1;
    const id = await queue.enqueue(ctx, 'steps', { steps: 3 }, { total: 3 });
    expect((await queue.get(id))!.progressTotal).toBe(3);
    await queue.drain();
    // Step 1 wrote its audit event and checkpoint, then failed: both rolled back.
    expect((await queue.get(id))!).toMatchObject({
      status: 'failed',
      progressDone: 1,
      error: 'IMPORT_FILE_UNREADABLE',
    });
    const steps = () =>
      t.database.db
        .selectFrom('audit_event')
        .select('changes')
        .where('action', '=', 'test.step')
        .where('subject_id', '=', id)
        .orderBy('seq')
        .execute();
    expect(await steps()).toHaveLength(1);
    await queue.resume(ctx, id);
    await queue.drain();
    expect((await queue.get(id))!).toMatchObject({ status: 'succeeded', progressDone: 3 });
    expect((await steps()).map((r) => JSON.parse(r.changes!) as unknown)).toEqual([
      [{ field: 'i', to: 0 }],
      [{ field: 'i', to: 1 }],
      [{ field: 'i', to: 2 }],
    ]);
  });

  it('takes the id the caller chose', async () => {
    const id = await queue.enqueue(ctx, 'steps', { steps: 0 }, { id: 'chosen-id-1' });
    expect(id).toBe('chosen-id-1');
    expect((await queue.get('chosen-id-1'))!.status).toBe('queued');
  });
});

describe('jobs API', () => {
  let app: Awaited<ReturnType<typeof createTestApp>>;
  let tree: Awaited<ReturnType<typeof makeTree>>;
  let cadre: Agent;
  let reader: Agent;

  beforeAll(async () => {
    app = await createTestApp();
    // Jobs here are rows of kinds no handler runs: they stay where the tests put them.
    await app.app.core.jobs.stop();
    tree = await makeTree(app.app);
    cadre = await signIn(app.app, await makeUser(app.app, { org: tree.county, roles: ['grassroots_cadre'] }));
    reader = await signIn(app.app, await makeUser(app.app, { org: tree.county, roles: ['finance_officer'] }));
  });
  afterAll(async () => {
    await app.close();
  });

  let clock = Date.parse('2026-01-01T00:00:00Z');
  async function makeJob(org: OrganizationTable | null, set: Partial<JobTable> = {}): Promise<JobTable> {
    const at = new Date((clock += 1_000)).toISOString();
    const row: JobTable = {
      id: newIdFor(),
      kind: 'test.noop',
      status: 'queued',
      payload: '{}',
      checkpoint: null,
      result: null,
      error: null,
      progress_done: 0,
      progress_total: null,
      cancel_requested: 0,
      attempts: 0,
      created_by: null,
      org_path: org?.path ?? null,
      province_root: org ? org.path.split('/')[1]! : null,
      created_at: at,
      updated_at: at,
      started_at: null,
      finished_at: null,
      ...set,
    };
    await app.database.db.insertInto('job').values(row).execute();
    return row;
  }
  let seq = 0;
  const newIdFor = () => `job-${randomBytes(4).toString('hex')}-${++seq}`;

  it('requires authentication and job.read / job.manage', async () => {
    const j = await makeJob(tree.county);
    const anon = agent(app.app);
    for (const res of [
      await anon.get('/api/jobs'),
      await anon.get(`/api/jobs/${j.id}`),
      await anon.post(`/api/jobs/${j.id}/cancel`),
      await anon.post(`/api/jobs/${j.id}/resume`),
    ]) {
      expect(errorOf(res)).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    }
    const nobody = await signIn(app.app, await makeUser(app.app, { org: tree.county }));
    expect(errorOf(await nobody.get('/api/jobs'))).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect(errorOf(await nobody.get(`/api/jobs/${j.id}`))).toMatchObject({ status: 403 });
    // job.read without job.manage: may look, may not steer.
    expect((await reader.get(`/api/jobs/${j.id}`)).status).toBe(200);
    expect(errorOf(await reader.post(`/api/jobs/${j.id}/cancel`))).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect(errorOf(await reader.post(`/api/jobs/${j.id}/resume`))).toMatchObject({ status: 403 });
  });

  it('lists jobs of the scope newest first, filtered by kind and status, paged', async () => {
    const older = await makeJob(tree.county, { kind: 'member.import', status: 'succeeded', result: '{"created":3}' });
    const below = await makeJob(tree.grassroots);
    const newer = await makeJob(tree.county, { kind: 'member.import', status: 'failed', error: 'IMPORT_FILE_EMPTY' });
    const outside = await makeJob(tree.sibling, { kind: 'member.import' });
    const system = await makeJob(null, { kind: 'member.import' });
    const res = await cadre.get('/api/jobs?kind=member.import');
    expect(res.status).toBe(200);
    const page = res.json<{ items: JobOutput[]; total: number }>();
    expect(page.items.map((i) => i.id)).toEqual([newer.id, older.id]);
    expect(page.total).toBe(2);
    expect(page.items.map((i) => i.id)).not.toContain(outside.id);
    expect(page.items.map((i) => i.id)).not.toContain(system.id);
    expect(page.items[1]).toMatchObject({
      kind: 'member.import',
      status: 'succeeded',
      result: { created: 3 },
      orgId: tree.county.id,
      error: null,
      progress: { done: 0, total: null },
    });
    const all = (await cadre.get('/api/jobs?pageSize=200')).json<{ items: JobOutput[] }>().items.map((i) => i.id);
    expect(all).toContain(below.id);
    const failed = (await cadre.get('/api/jobs?status=failed')).json<{ items: JobOutput[] }>().items;
    expect(failed.map((i) => i.id)).toEqual([newer.id]);
    const second = (await cadre.get('/api/jobs?kind=member.import&pageSize=1&page=2')).json<{
      items: JobOutput[];
      page: number;
    }>();
    expect(second).toMatchObject({ page: 2, items: [{ id: older.id }] });
  });

  it('shows a failure as a stable code and message, never the internal text', async () => {
    const known = await makeJob(tree.county, { status: 'failed', error: 'IMPORT_FILE_UNREADABLE' });
    const internal = await makeJob(tree.county, { status: 'failed', error: 'TypeError: x is undefined at foo.ts:12' });
    expect((await cadre.get(`/api/jobs/${known.id}`)).json<JobOutput>().error).toEqual({
      code: 'IMPORT_FILE_UNREADABLE',
      message: { 'zh-CN': expect.any(String) as string, en: expect.stringContaining('damaged') as string },
    });
    const hidden = (await cadre.get(`/api/jobs/${internal.id}`)).json<JobOutput>();
    expect(hidden.error!.code).toBe('INTERNAL');
    expect(JSON.stringify(hidden)).not.toContain('TypeError');
  });

  it('answers 404 for a job outside the scope or without an organization, exactly as for a missing one', async () => {
    const missing = withoutRequestId(await cadre.get('/api/jobs/no-such-job'));
    expect(missing).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const outside = await makeJob(tree.sibling, { status: 'cancelled' });
    const system = await makeJob(null, { status: 'cancelled' });
    for (const id of [outside.id, system.id]) {
      expect(withoutRequestId(await cadre.get(`/api/jobs/${id}`))).toEqual(missing);
      expect(withoutRequestId(await cadre.post(`/api/jobs/${id}/cancel`))).toEqual(missing);
      expect(withoutRequestId(await cadre.post(`/api/jobs/${id}/resume`))).toEqual(missing);
    }
    expect(
      (await app.database.db.selectFrom('job').select('status').where('id', '=', outside.id).executeTakeFirst())!
        .status,
    ).toBe('cancelled');
  });

  it('names the field of bad input', async () => {
    expect(errorOf(await cadre.get('/api/jobs?pageSize=0'))).toMatchObject({ status: 400, fields: ['query.pageSize'] });
    expect(errorOf(await cadre.get('/api/jobs?status=done'))).toMatchObject({ status: 400, fields: ['query.status'] });
    expect(errorOf(await cadre.get('/api/jobs?page=x'))).toMatchObject({ status: 400, fields: ['query.page'] });
  });

  it('cancels and resumes by the rules of each state, with audit events', async () => {
    const queued = await makeJob(tree.grassroots);
    const cancelled = await cadre.post(`/api/jobs/${queued.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.json<JobOutput>()).toMatchObject({ id: queued.id, status: 'cancelled' });
    expect(errorOf(await cadre.post(`/api/jobs/${queued.id}/cancel`))).toMatchObject({
      status: 409,
      code: 'JOB_NOT_CANCELLABLE',
    });
    const resumed = await cadre.post(`/api/jobs/${queued.id}/resume`);
    expect(resumed.json<JobOutput>()).toMatchObject({ status: 'queued' });
    expect(errorOf(await cadre.post(`/api/jobs/${queued.id}/resume`))).toMatchObject({
      status: 409,
      code: 'JOB_NOT_RESUMABLE',
    });
    // A running job is asked to stop at its next check; it stays running until then.
    const running = await makeJob(tree.county, { status: 'running' });
    expect((await cadre.post(`/api/jobs/${running.id}/cancel`)).json<JobOutput>().status).toBe('running');
    const row = await app.database.db
      .selectFrom('job')
      .select('cancel_requested')
      .where('id', '=', running.id)
      .executeTakeFirst();
    expect(row!.cancel_requested).toBe(1);
    expect(errorOf(await cadre.post(`/api/jobs/${running.id}/resume`))).toMatchObject({ code: 'JOB_NOT_RESUMABLE' });
    const done = await makeJob(tree.county, { status: 'succeeded' });
    expect(errorOf(await cadre.post(`/api/jobs/${done.id}/cancel`))).toMatchObject({ code: 'JOB_NOT_CANCELLABLE' });
    const audits = await app.database.db
      .selectFrom('audit_event')
      .select(['action', 'actor_id'])
      .where('subject_id', '=', queued.id)
      .orderBy('seq')
      .execute();
    expect(audits.map((a) => a.action)).toEqual(['job.cancel', 'job.resume']);
  });
});
