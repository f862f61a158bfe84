import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AppError } from '../app-error.ts';
import { workerBundle } from './worker-bundle.ts';
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

describe('a worker bundle', () => {
  it('is plain JavaScript with the project modules inside and packages outside, built once per process', async () => {
    const first = await workerBundle(FIXTURE);
    expect(await workerBundle(FIXTURE)).toBe(first);
    const text = fs.readFileSync(fileURLToPath(first), 'utf8');
    // The worker's own code and the AppError it throws are in; nothing is left to a TypeScript loader.
    expect(text).toContain('function serveStream');
    expect(text).toMatch(/AppError = class|class AppError/);
    expect(text).not.toMatch(/from ["'][^"']*\.ts["']/);
    // A package stays an import, resolved from the bundle's folder; the reader's bundler is not in a worker.
    expect(text).toMatch(/from "@zhgh\/contracts"|from "zod"/);
    expect(text).not.toContain('esbuild');
  });

  it('is built again when removed, and a new build removes the entry’s bundles older than a day', async () => {
    // An entry of this test's own, so no other test process loses a bundle it is starting.
    const name = `bundle-test-${process.pid}`;
    const entry = new URL(`./${name}.ts`, import.meta.url);
    fs.writeFileSync(entry, "import './worker-stream.fixture.ts';\n");
    try {
      const first = fileURLToPath(await workerBundle(entry));
      const stale = path.join(path.dirname(first), `${name}-0000000000000000.mjs`);
      const recent = path.join(path.dirname(first), `${name}-1111111111111111.mjs`);
      for (const f of [stale, recent]) fs.writeFileSync(f, 'export {};\n');
      const twoDaysAgo = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);
      fs.utimesSync(stale, twoDaysAgo, twoDaysAgo);
      fs.rmSync(first);
      expect(fileURLToPath(await workerBundle(entry))).toBe(first);
      expect(fs.existsSync(first)).toBe(true);
      expect(fs.existsSync(stale)).toBe(false);
      expect(fs.existsSync(recent)).toBe(true);
      // And a worker runs from the rebuilt bundle.
      const items: number[] = [];
      for await (const item of readWorkerStream<{ i: number }>(entry, { count: 2, end: 'done', made: made() })) {
        items.push(item.i);
      }
      expect(items).toEqual([1, 2]);
      for (const f of [first, recent]) fs.rmSync(f);
    } finally {
      fs.rmSync(entry);
    }
  });
});
