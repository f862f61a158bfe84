import { describe, expect, it } from 'vitest';
import { AppError } from '../app-error.ts';
import type { FixtureInput } from './worker-stream.fixture.ts';
import { readWorkerStream } from './worker-stream.ts';

const FIXTURE = new URL('./worker-stream.fixture.ts', import.meta.url);
const made = () => new Int32Array(new SharedArrayBuffer(4));
const read = (input: Omit<FixtureInput, 'made'> & { made?: Int32Array }, ahead?: number) =>
  readWorkerStream<{ i: number }>(
    FIXTURE,
    { made: made(), ...input },
    { ahead, limits: { maxOldGenerationSizeMb: 64 } },
  );

describe('a generator on a worker thread', () => {
  it('hands out every item in order, and the worker never runs far ahead of the reader', async () => {
    const seen: number[] = [];
    const counter = made();
    for await (const item of read({ count: 50, end: 'done', made: counter }, 2)) {
      seen.push(item.i);
      if (item.i === 10) {
        // A slow reader: given the time, a worker without credits would make all 50.
        await new Promise((resolve) => setTimeout(resolve, 100));
        // Two posted ahead of the reader (11, 12) and one made, waiting for a credit.
        expect(Atomics.load(counter, 0)).toBe(13);
      }
    }
    expect(seen).toEqual(Array.from({ length: 50 }, (_, k) => k + 1));
  });

  it('brings an AppError back with its code and fields', async () => {
    const items: number[] = [];
    const err = await (async () => {
      for await (const item of read({ count: 3, end: 'app-error' })) items.push(item.i);
    })().catch((e: unknown) => e);
    expect(items).toEqual([1, 2, 3]);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('VALIDATION_FAILED');
    expect((err as AppError).fields?.[0]?.field).toBe('body.mapping.3');
  });

  it('brings any other error back with its message', async () => {
    const err = await (async () => {
      for await (const _ of read({ count: 1, end: 'error' }));
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('the file ended inside a quoted cell');
  });

  it('fails, rather than waits, when the worker exits without finishing', async () => {
    const err = await (async () => {
      for await (const _ of read({ count: 2, end: 'exit' }));
    })().catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/exit code 3/);
  });

  it('stops the worker when the reader stops early', async () => {
    const stream = read({ count: 1_000_000, end: 'done' });
    expect((await stream.next()).value).toMatchObject({ i: 1 });
    // Returning runs the reader's cleanup, which waits for the thread to end.
    await expect(stream.return(undefined)).resolves.toMatchObject({ done: true });
  });
});
