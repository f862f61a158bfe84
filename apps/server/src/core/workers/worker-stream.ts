import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { AppError } from '../app-error.ts';
import { workerBundle } from './worker-bundle.ts';
import type { Reply } from './worker-serve.ts';

/**
 * A generator run on a worker thread and read on this one, for CPU work beside the database
 * writes (the roster import's parsing, validation and encryption). The worker stays at most
 * `ahead` messages in front of the reader: the reader grants one credit per message it takes,
 * so a slow writer holds the worker back instead of letting prepared rows pile up in memory.
 * An AppError thrown in the worker comes out of the reader as the same AppError; any other
 * error comes out with its message. Returning early from the reader stops the worker.
 *
 * Items travel on a port of their own that nobody listens to, and the reader takes each from
 * it when it yields it: an item posted ahead stays serialized until then. Listened to, it was
 * turned back into objects as soon as the loop ran, and the roster import's loop runs during
 * a chunk's writes (the SQLite driver's turns): a prepared chunk as objects beside the one
 * being written.
 */

type Event = Reply | { kind: 'crash'; error: Error } | { kind: 'exit'; code: number };

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

/**
 * Read what the worker module `entry` (which calls `serveStream` of worker-serve.ts) yields for
 * `input`. The module runs as a plain JavaScript bundle (worker-bundle.ts), with none of this
 * process's flags.
 */
export async function* readWorkerStream<T>(
  entry: URL,
  input: unknown,
  { ahead = 1, limits }: WorkerStreamOptions = {},
): AsyncGenerator<T> {
  const items = new MessageChannel();
  const worker = new Worker(await workerBundle(entry), {
    workerData: { input, items: items.port2 },
    transferList: [items.port2],
    // Not this process's flags: its `--import tsx` would start a TypeScript loader in the
    // worker too, which the bundle does not need.
    execArgv: [],
    ...(limits ? { resourceLimits: limits } : {}),
  });
  const events: Event[] = [];
  let wake: (() => void) | null = null;
  const push = (e: Event) => {
    events.push(e);
    wake?.();
  };
  worker.on('message', (m: Reply) => push(m));
  worker.on('error', (error) => push({ kind: 'crash', error }));
  worker.on('exit', (code) => push({ kind: 'exit', code }));
  worker.postMessage(ahead);
  try {
    for (;;) {
      while (events.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      const e = events.shift()!;
      if (e.kind === 'item') {
        // Posted before its notice, so already queued on the items port.
        const got = receiveMessageOnPort(items.port1);
        if (!got) throw new Error('the worker announced an item that did not arrive');
        worker.postMessage(1);
        yield got.message as T;
      } else if (e.kind === 'done') return;
      else if (e.kind === 'error') {
        const { code, fields, detail, message } = e.error;
        throw code ? new AppError(code, fields, detail) : new Error(message);
      } else if (e.kind === 'crash') throw e.error;
      else throw new Error(`the worker stopped early (exit code ${e.code})`);
    }
  } finally {
    await worker.terminate();
    items.port1.close();
  }
}
