import { AppError } from '../app-error.ts';
import { serveStream, workerInput } from './worker-serve.ts';

/** The worker of worker-stream.test.ts: counts, then ends as the test asks. */
export interface FixtureInput {
  count: number;
  end: 'done' | 'app-error' | 'error' | 'exit';
  /** Shared with the test: how many items the worker has made so far. */
  made: Int32Array;
}

const { count, end, made } = workerInput<FixtureInput>();

async function* numbers() {
  for (let i = 1; i <= count; i++) {
    Atomics.store(made, 0, i);
    yield { i };
  }
  if (end === 'app-error') throw AppError.invalid('body.mapping.3', 'invalid');
  if (end === 'error') throw new TypeError('the file ended inside a quoted cell');
  if (end === 'exit') process.exit(3);
}

await serveStream(numbers());
