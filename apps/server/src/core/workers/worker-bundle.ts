import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

/**
 * A worker's entry module and the project's own modules it imports, bundled into one plain
 * JavaScript file that a worker thread runs as it is. A worker does not inherit the main
 * thread's TypeScript loader, and registering tsx inside it started a loader thread of its
 * own: about 20 MB of peak memory for every worker (the roster import's budget is 400 MB).
 * Packages from node_modules stay imports, resolved from the bundle's folder; the project's
 * workspace packages (`@zhgh/…`, TypeScript sources) are bundled in.
 *
 * Built once per process and entry (esbuild takes ~50 ms), into the server's
 * `node_modules/.cache`, named by a hash of its text: processes that start at once (the test
 * runner's) write the same bytes under the same name, each through a rename of its own file.
 * A new build removes the entry's bundles older than a day (each code change leaves one), and
 * a process whose bundle was removed meanwhile builds it again.
 */
const OUT_DIR = fileURLToPath(new URL('../../../node_modules/.cache/zhgh-workers/', import.meta.url));

const built = new Map<string, Promise<URL>>();

const STALE_MS = 24 * 60 * 60 * 1000;

export async function workerBundle(entry: URL): Promise<URL> {
  let bundle = built.get(entry.href);
  if (bundle && !fs.existsSync(fileURLToPath(await bundle))) {
    built.delete(entry.href);
    bundle = undefined;
  }
  if (!bundle) {
    bundle = build(entry);
    // A failed build is not kept: the next worker tries again.
    bundle.catch(() => built.delete(entry.href));
    built.set(entry.href, bundle);
  }
  return bundle;
}

const packagesOutside: esbuild.Plugin = {
  name: 'packages-outside',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@zhgh/') ? undefined : { path: args.path, external: true },
    );
  },
};

async function build(entry: URL): Promise<URL> {
  const source = fileURLToPath(entry);
  const result = await esbuild.build({
    entryPoints: [source],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    outdir: OUT_DIR,
    plugins: [packagesOutside],
    logLevel: 'silent',
  });
  const text = result.outputFiles[0]!.contents;
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const name = path.basename(source).replace(/\.ts$/, '');
  const file = path.join(OUT_DIR, `${name}-${hash}.mjs`);
  if (!fs.existsSync(file)) {
    await fs.promises.mkdir(OUT_DIR, { recursive: true });
    const own = `${file}.${process.pid}.${Date.now()}`;
    await fs.promises.writeFile(own, text);
    await fs.promises.rename(own, file);
    await removeStale(name, file);
  }
  return pathToFileURL(file);
}

/** The entry's other bundles not written for a day (a crashed process's half-written one too). */
async function removeStale(name: string, keep: string): Promise<void> {
  const now = Date.now();
  for (const other of await fs.promises.readdir(OUT_DIR)) {
    const file = path.join(OUT_DIR, other);
    if (file === keep || !other.startsWith(`${name}-`)) continue;
    const stat = await fs.promises.stat(file).catch(() => null);
    if (stat && now - stat.mtimeMs > STALE_MS) await fs.promises.rm(file, { force: true });
  }
}
