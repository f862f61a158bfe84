import { parentPort, Worker, workerData } from 'node:worker_threads';
import type { ErrorCode, FieldError } from '@zhgh/contracts';
import { AppError } from '../app-error.ts';

/**
 * A generator run on a worker thread and read on this one, for CPU work beside the database
 * writes (the roster import's parsing, validation and encryption). The worker stays at most
 * `ahead` messages in front of the reader: the reader grants one credit per message it takes,
 * so a slow writer holds the worker back instead of letting prepared rows pile up in memory.
 * An AppError thrown in the worker comes out of the reader as the same AppError; any other
 * error comes out with its message. Returning early from the reader stops the worker.
 */

type Reply<T> =
  | { kind: 'item'; item: T }
  | { kind: 'done' }
  | { kind: 'error'; error: { code?: ErrorCode; fields?: FieldError[]; detail?: string; message: string } };

type Event<T> = Reply<T> | { kind: 'crash'; error: Error } | { kind: 'exit'; code: number };

const BOOT = new URL('./boot.mjs', import.meta.url);

export interface WorkerStreamOptions {
  /** Messages the worker may post before the reader takes one. */
  ahead?: number;
  /**
   * The worker's heap limits. V8 lets a heap grow to four times what it holds between
   * collections when the limit is large (the default is a quarter of the machine's memory),
   * but to 1.3–2 times under a limit of a few hundred MB, and a small young generation is
   * collected more often: limits are how a worker's memory is kept near what it uses.
   */
  limits?: { maxOldGenerationSizeMb: number; maxYoungGenerationSizeMb?: number };
}

/** Read what the worker module `entry` (which calls `serveStream`) yields for `input`. */
export async function* readWorkerStream<T>(
  entry: URL,
  input: unknown,
  { ahead = 1, limits }: WorkerStreamOptions = {},
): AsyncGenerator<T> {
  const worker = new Worker(BOOT, {
    workerData: { entry: entry.href, input },
    ...(limits ? { resourceLimits: limits } : {}),
  });
  const events: Event<T>[] = [];
  let wake: (() => void) | null = null;
  const push = (e: Event<T>) => {
    events.push(e);
    wake?.();
  };
  worker.on('message', (m: Reply<T>) => push(m));
  worker.on('error', (error) => push({ kind: 'crash', error }));
  worker.on('exit', (code) => push({ kind: 'exit', code }));
  worker.postMessage(ahead);
  try {
    for (;;) {
      while (events.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      const e = events.shift()!;
      if (e.kind === 'item') {
        worker.postMessage(1);
        yield e.item;
      } else if (e.kind === 'done') return;
      else if (e.kind === 'error') {
        const { code, fields, detail, message } = e.error;
        throw code ? new AppError(code, fields, detail) : new Error(message);
      } else if (e.kind === 'crash') throw e.error;
      else throw new Error(`the worker stopped early (exit code ${e.code})`);
    }
  } finally {
    await worker.terminate();
  }
}

/** The input `readWorkerStream` gave this worker. */
export function workerInput<I>(): I {
  return (workerData as { input: I }).input;
}

/** Inside the worker: post what `source` yields as the reader grants credits. */
export async function serveStream<T>(source: AsyncIterable<T>): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('serveStream runs only on a worker thread');
  let credits = 0;
  let wake: (() => void) | null = null;
  port.on('message', (n: number) => {
    credits += n;
    wake?.();
  });
  try {
    for await (const item of source) {
      while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      credits--;
      port.postMessage({ kind: 'item', item } satisfies Reply<T>);
    }
    port.postMessage({ kind: 'done' } satisfies Reply<T>);
  } catch (err) {
    const error: Extract<Reply<T>, { kind: 'error' }>['error'] =
      err instanceof AppError
        ? { code: err.code, fields: err.fields, detail: err.detail, message: err.message }
        : { message: err instanceof Error ? err.message : String(err) };
    port.postMessage({ kind: 'error', error } satisfies Reply<T>);
  } finally {
    // Nothing more to send: the open port must not keep the thread alive.
    port.unref();
  }
}
