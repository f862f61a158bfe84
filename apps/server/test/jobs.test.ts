import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../src/core/actor.ts';
import { createAuditLog } from '../src/core/audit/audit.ts';
import { createInProcessJobQueue, type JobQueue } from '../src/core/jobs/jobs.ts';
import { createUnitOfWork } from '../src/core/unit-of-work.ts';
import { nowIso } from '../src/core/ids.ts';
import { randomBytes } from 'node:crypto';
import { createTestDatabase } from './harness.ts';

let t: Awaited<ReturnType<typeof createTestDatabase>>;
let queue: JobQueue;
const ctx = { actor: SYSTEM_ACTOR };
/** Items each counting job has processed, across runs: proves resume does not redo work. */
const processed: number[] = [];
let stopAt: number | null = null;
let failAt: number | null = null;

beforeAll(async () => {
  t = await createTestDatabase();
  const audit = createAuditLog({ dialect: t.database.dialect, key: randomBytes(32) });
  const write = createUnitOfWork(t.database.db, audit);
  queue = createInProcessJobQueue({ db: t.database.db, write, leaseMs: 1_000 });
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
