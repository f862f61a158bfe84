import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import type { ErrorCode, FieldError } from '@zhgh/contracts';
import { AppError } from '../app-error.ts';

/**
 * The worker's side of `readWorkerStream` (worker-stream.ts), in a module of its own so a
 * worker's bundle does not carry the reader's bundler.
 */

/** What the worker says on its parent port; an item itself goes on the items port first. */
export type Reply =
  | { kind: 'item' }
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
  const items = (workerData as { items: MessagePort }).items;
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
      items.postMessage(item);
      port.postMessage({ kind: 'item' } satisfies Reply);
    }
    port.postMessage({ kind: 'done' } satisfies Reply);
  } catch (err) {
    const error: Extract<Reply, { kind: 'error' }>['error'] =
      err instanceof AppError
        ? { code: err.code, fields: err.fields, detail: err.detail, message: err.message }
        : { message: err instanceof Error ? err.message : String(err) };
    port.postMessage({ kind: 'error', error } satisfies Reply);
  } finally {
    // Nothing more to send: the open ports must not keep the thread alive.
    port.unref();
    items.unref();
  }
}
