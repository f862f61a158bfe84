import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * A connection of its own, on a thread of its own, that copies SQLite's write-ahead log back
 * into the database file while a bulk write runs (decision 0011). Done by the writing
 * connection after a commit, the copy held the event loop for half a second to a second every
 * few import chunks; here the main thread awaits it and serves requests meanwhile.
 *
 * The thread runs plain JavaScript with no loader, so it loads better-sqlite3 and nothing of
 * the project: a few MB.
 */
export type CheckpointMode = 'passive' | 'truncate';

export interface Checkpointer {
  /** Run `pragma wal_checkpoint(mode)` on the thread's connection. */
  checkpoint(mode: CheckpointMode): Promise<void>;
  close(): Promise<void>;
}

const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
parentPort.on('message', (mode) => {
  if (mode === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    db.pragma('wal_checkpoint(' + (mode === 'truncate' ? 'truncate' : 'passive') + ')');
    parentPort.postMessage({ ok: true });
  } catch (err) {
    parentPort.postMessage({ ok: false, message: String(err && err.message) });
  }
});
`;

export function startCheckpointer(file: string): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(THREAD, {
    eval: true,
    workerData: { file, driver },
    // The server's own flags (a TypeScript loader among them) are not for this thread.
    execArgv: [],
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
  });
  // The thread answers in the order it was asked.
  const pending: { resolve: () => void; reject: (err: Error) => void }[] = [];
  let failed: Error | null = null;
  const fail = (err: Error) => {
    failed ??= err;
    for (const p of pending.splice(0)) p.reject(err);
  };
  worker.on('message', (m: { ok: boolean; message?: string }) => {
    const p = pending.shift();
    if (m.ok) p?.resolve();
    else p?.reject(new Error(`checkpoint failed: ${m.message}`));
  });
  worker.on('error', fail);
  worker.on('exit', () => fail(new Error('the checkpoint thread stopped')));
  return {
    checkpoint(mode) {
      if (failed) return Promise.reject(failed);
      return new Promise<void>((resolve, reject) => {
        pending.push({ resolve, reject });
        worker.postMessage(mode);
      });
    },
    async close() {
      if (failed) {
        // Stopped already, or broken: make sure it is gone.
        await worker.terminate();
        return;
      }
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage('close');
      await exited;
    },
  };
}
