// The first module of every worker thread: the server's modules are TypeScript, run through
// tsx, and a worker does not inherit the main thread's loader. Plain JavaScript, so Node can
// load it before any loader is registered.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
