import type { Kysely } from 'kysely';
import type { DB, JobTable } from '../../db/schema.ts';
import type { RequestContext } from '../actor.ts';
import { SYSTEM_ACTOR } from '../actor.ts';
import { AppError } from '../app-error.ts';
import { newId, nowIso } from '../ids.ts';
import { turn, type UnitOfWork } from '../unit-of-work.ts';
import { provinceRootOf } from '../org-path.ts';

/**
 * Long work (imports, exports, batch approvals, payouts) runs as a job. This interface is
 * what modules see; the embedded default below runs jobs in-process over the `job` table,
 * and production can put pg-boss or BullMQ behind the same interface (docs/operations.md).
 */
export interface JobContext<P = unknown, C = unknown> {
  id: string;
  payload: P;
  /** Where the last run stopped (set by `checkpoint`), or null on a first run. */
  resumeFrom: C | null;
  /** Report progress; cheap enough to call every few hundred items. */
  progress(done: number, total?: number | null): Promise<void>;
  /** Save a resume point together with progress; a resumed run starts from here. */
  checkpoint(state: C, done: number, total?: number | null): Promise<void>;
  /**
   * The same, inside the caller's transaction: the resume point commits or rolls back with
   * the work it describes, so a crash between the two can neither redo nor skip a step.
   */
  checkpointIn(trx: Kysely<DB>, state: C, done: number, total?: number | null): Promise<void>;
  /** Throws JobCancelledError when a cancel was requested; call between units of work. */
  throwIfCancelled(): Promise<void>;
}

export type JobHandler<P = unknown, C = unknown> = (ctx: JobContext<P, C>) => Promise<unknown>;

export class JobCancelledError extends Error {
  constructor() {
    super('job cancelled');
    this.name = 'JobCancelledError';
  }
}

export interface JobView {
  id: string;
  kind: string;
  status: JobTable['status'];
  progressDone: number;
  progressTotal: number | null;
  result: unknown;
  error: string | null;
  attempts: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  orgPath: string | null;
  createdBy: string | null;
}

export interface JobQueue {
  register<P, C>(kind: string, handler: JobHandler<P, C>): void;
  enqueue(
    ctx: RequestContext,
    kind: string,
    payload: unknown,
    /** `id`: chosen by the caller (files kept for the job are named by it); `total`: items expected, if known. */
    options?: { orgPath?: string | null; id?: string; total?: number | null },
  ): Promise<string>;
  get(id: string): Promise<JobView | null>;
  cancel(ctx: RequestContext, id: string): Promise<JobView>;
  resume(ctx: RequestContext, id: string): Promise<JobView>;
  /** Begin polling for work. */
  start(): void;
  /** Stop polling and wait for the running job to reach its next cancel check or finish. */
  stop(): Promise<void>;
  /** Run queued jobs until none is left (tests, CLI). */
  drain(): Promise<void>;
}

export function toJobView(row: JobTable): JobView {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    progressDone: row.progress_done,
    progressTotal: row.progress_total,
    result: row.result ? (JSON.parse(row.result) as unknown) : null,
    error: row.error,
    attempts: row.attempts,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    orgPath: row.org_path,
    createdBy: row.created_by,
  };
}

export interface InProcessOptions {
  db: Kysely<DB>;
  write: UnitOfWork;
  pollMs?: number;
  /** A running job whose row has not moved for this long belonged to a dead process. */
  leaseMs?: number;
}

/**
 * The embedded runner: one job at a time per process, claimed with a conditional UPDATE so
 * several processes on one PostgreSQL never run the same job twice.
 */
export function createInProcessJobQueue(options: InProcessOptions): JobQueue {
  const { db, write } = options;
  const pollMs = options.pollMs ?? 250;
  const leaseMs = options.leaseMs ?? 60_000;
  const handlers = new Map<string, JobHandler<unknown, unknown>>();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let starting: Promise<void> | null = null;
  let stopped = true;

  const load = async (id: string) => db.selectFrom('job').selectAll().where('id', '=', id).executeTakeFirst();

  async function recoverAbandoned(): Promise<void> {
    const cutoff = new Date(Date.now() - leaseMs).toISOString();
    await db
      .updateTable('job')
      .set({ status: 'queued', updated_at: nowIso() })
      .where('status', '=', 'running')
      .where('updated_at', '<', cutoff)
      .execute();
  }

  async function claimNext(): Promise<JobTable | null> {
    // Nothing registered means nothing this process could run; also avoids an empty `in ()`.
    if (handlers.size === 0) return null;
    for (;;) {
      const next = await db
        .selectFrom('job')
        .selectAll()
        .where('status', '=', 'queued')
        .where('kind', 'in', [...handlers.keys()])
        .orderBy('created_at')
        .limit(1)
        .executeTakeFirst();
      if (!next) return null;
      const now = nowIso();
      const claimed = await db
        .updateTable('job')
        .set({ status: 'running', started_at: next.started_at ?? now, updated_at: now, attempts: next.attempts + 1 })
        .where('id', '=', next.id)
        .where('status', '=', 'queued')
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) === 1) return { ...next, status: 'running', attempts: next.attempts + 1 };
    }
  }

  async function finish(
    job: JobTable,
    status: 'succeeded' | 'failed' | 'cancelled',
    result: unknown,
    error: string | null,
  ) {
    await write({ actor: SYSTEM_ACTOR }, async (s) => {
      const now = nowIso();
      await s.trx
        .updateTable('job')
        .set({
          status,
          result: result === undefined ? null : JSON.stringify(result),
          error,
          updated_at: now,
          finished_at: now,
          cancel_requested: 0,
        })
        .where('id', '=', job.id)
        .execute();
      await s.audit({
        action: `job.${status}`,
        subjectType: 'job',
        subjectId: job.id,
        orgPath: job.org_path,
        changes: [{ field: 'status', from: 'running', to: status }],
      });
    });
  }

  async function runOne(job: JobTable): Promise<void> {
    const handler = handlers.get(job.kind)!;
    const touch = async (set: Partial<JobTable>, q: Kysely<DB> = db) => {
      await q
        .updateTable('job')
        .set({ ...set, updated_at: nowIso() })
        .where('id', '=', job.id)
        .execute();
    };
    const ctx: JobContext = {
      id: job.id,
      payload: JSON.parse(job.payload) as unknown,
      resumeFrom: job.checkpoint ? (JSON.parse(job.checkpoint) as unknown) : null,
      // Progress and the cancel check come between a job's pieces of work: each hands the
      // event loop a turn. On SQLite a job's reads settle without I/O, so an xlsx export of
      // 300,000 members held the loop for its whole 117 s (no request answered), and its zip
      // stream, never flushed, grew to 430 MB.
      progress: async (done, total) => {
        await touch({ progress_done: done, ...(total !== undefined ? { progress_total: total } : {}) });
        await turn();
      },
      checkpoint: (state, done, total) =>
        touch({
          checkpoint: JSON.stringify(state),
          progress_done: done,
          ...(total !== undefined ? { progress_total: total } : {}),
        }),
      checkpointIn: (trx, state, done, total) =>
        touch(
          {
            checkpoint: JSON.stringify(state),
            progress_done: done,
            ...(total !== undefined ? { progress_total: total } : {}),
          },
          trx,
        ),
      throwIfCancelled: async () => {
        const row = await db.selectFrom('job').select('cancel_requested').where('id', '=', job.id).executeTakeFirst();
        if (row && row.cancel_requested === 1) throw new JobCancelledError();
        await turn();
      },
    };
    try {
      const result = await handler(ctx);
      await finish(job, 'succeeded', result, null);
    } catch (err) {
      if (err instanceof JobCancelledError) await finish(job, 'cancelled', undefined, null);
      // An AppError keeps its stable code, which the jobs API turns into a message; anything
      // else keeps its text for operators (the API shows it as an internal error).
      else if (err instanceof AppError) await finish(job, 'failed', undefined, err.code);
      else await finish(job, 'failed', undefined, err instanceof Error ? err.message : String(err));
    }
  }

  /** Background ticks stop with the runner; `drain` calls `tick` directly and always runs. */
  const backgroundTick = () => {
    if (!stopped) void tick();
  };

  async function tick(): Promise<void> {
    if (running) return running;
    running = (async () => {
      try {
        for (;;) {
          const job = await claimNext();
          if (!job) break;
          await runOne(job);
          if (stopped && timer === null) break;
        }
      } finally {
        running = null;
      }
    })();
    return running;
  }

  return {
    register(kind, handler) {
      handlers.set(kind, handler as JobHandler<unknown, unknown>);
    },

    async enqueue(ctx, kind, payload, opts = {}) {
      if (!handlers.has(kind)) throw new Error(`no job handler registered for ${kind}`);
      const id = opts.id ?? newId();
      await write(ctx, async (s) => {
        const now = nowIso();
        await s.trx
          .insertInto('job')
          .values({
            id,
            kind,
            status: 'queued',
            payload: JSON.stringify(payload),
            checkpoint: null,
            result: null,
            error: null,
            progress_done: 0,
            progress_total: opts.total ?? null,
            cancel_requested: 0,
            attempts: 0,
            created_by: ctx.actor.id,
            org_path: opts.orgPath ?? null,
            province_root: provinceRootOf(opts.orgPath),
            created_at: now,
            updated_at: now,
            started_at: null,
            finished_at: null,
          })
          .execute();
        await s.audit({ action: 'job.enqueue', subjectType: 'job', subjectId: id, orgPath: opts.orgPath ?? null });
      });
      if (!stopped) setImmediate(backgroundTick);
      return id;
    },

    async get(id) {
      const row = await load(id);
      return row ? toJobView(row) : null;
    },

    async cancel(ctx, id) {
      await write(ctx, async (s) => {
        const row = await s.trx.selectFrom('job').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) throw AppError.notFound();
        if (row.status === 'queued') {
          // Not started: cancel at once; a resume can still pick it up.
          const now = nowIso();
          await s.trx
            .updateTable('job')
            .set({ status: 'cancelled', updated_at: now, finished_at: now })
            .where('id', '=', id)
            .execute();
        } else if (row.status === 'running') {
          // Running: ask the handler to stop at its next cancel check.
          await s.trx
            .updateTable('job')
            .set({ cancel_requested: 1, updated_at: nowIso() })
            .where('id', '=', id)
            .execute();
        } else {
          throw new AppError('JOB_NOT_CANCELLABLE');
        }
        await s.audit({ action: 'job.cancel', subjectType: 'job', subjectId: id, orgPath: row.org_path });
      });
      return toJobView((await load(id))!);
    },

    async resume(ctx, id) {
      await write(ctx, async (s) => {
        const row = await s.trx.selectFrom('job').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) throw AppError.notFound();
        if (row.status !== 'cancelled' && row.status !== 'failed') throw new AppError('JOB_NOT_RESUMABLE');
        await s.trx
          .updateTable('job')
          .set({ status: 'queued', error: null, finished_at: null, cancel_requested: 0, updated_at: nowIso() })
          .where('id', '=', id)
          .execute();
        await s.audit({
          action: 'job.resume',
          subjectType: 'job',
          subjectId: id,
          orgPath: row.org_path,
          changes: [{ field: 'status', from: row.status, to: 'queued' }],
        });
      });
      if (!stopped) setImmediate(backgroundTick);
      return toJobView((await load(id))!);
    },

    start() {
      if (!stopped) return;
      stopped = false;
      // Kept so `stop` can wait for it: a recovery still in flight must not outlive the pool.
      starting = recoverAbandoned().then(backgroundTick, () => undefined);
      timer = setInterval(backgroundTick, pollMs);
      timer.unref();
    },

    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = null;
      await starting;
      starting = null;
      await running;
    },

    async drain() {
      await recoverAbandoned();
      for (;;) {
        await tick();
        if (handlers.size === 0) return;
        const next = await db
          .selectFrom('job')
          .select('id')
          .where('status', '=', 'queued')
          .where('kind', 'in', [...handlers.keys()])
          .executeTakeFirst();
        if (!next) return;
      }
    },
  };
}
