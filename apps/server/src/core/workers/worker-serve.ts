import { parentPort, workerData } from 'node:worker_threads';
import type { ErrorCode, FieldError } from '@zhgh/contracts';
import { AppError } from '../app-error.ts';

/**
 * The worker's side of `readWorkerStream` (worker-stream.ts), in a module of its own so a
 * worker's bundle does not carry the reader's bundler.
 */

export type Reply<T> =
  | { kind: 'item'; item: T }
  | { kind: 'done' }
  | { kind: 'error'; error: { code?: ErrorCode; fields?: FieldError[]; detail?: string; message: string } };

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
