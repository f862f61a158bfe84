import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

/**
 * A worker's entry module and the project's own modules it imports, bundled into one plain
 * JavaScript file that a worker thread runs as it is. A worker does not inherit the main
 * thread's TypeScript loader, and registering tsx inside it started a loader thread of its
 * own: about 35 MB for every worker, a tenth of the roster import's memory budget.
 * Packages from node_modules stay imports, resolved from the bundle's folder; the project's
 * workspace packages (`@zhgh/…`, TypeScript sources) are bundled in.
 *
 * Built once per process and entry (esbuild takes ~50 ms), into the server's
 * `node_modules/.cache`, named by a hash of its text: processes that start at once (the test
 * runner's) write the same bytes under the same name, each through a rename of its own file.
 */
const OUT_DIR = fileURLToPath(new URL('../../../node_modules/.cache/zhgh-workers/', import.meta.url));

const built = new Map<string, Promise<URL>>();

export function workerBundle(entry: URL): Promise<URL> {
  let bundle = built.get(entry.href);
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
  const file = path.join(OUT_DIR, `${path.basename(source).replace(/\.ts$/, '')}-${hash}.mjs`);
  if (!fs.existsSync(file)) {
    await fs.promises.mkdir(OUT_DIR, { recursive: true });
    const own = `${file}.${process.pid}.${Date.now()}`;
    await fs.promises.writeFile(own, text);
    await fs.promises.rename(own, file);
  }
  return pathToFileURL(file);
}
