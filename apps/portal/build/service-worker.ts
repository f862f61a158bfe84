import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Plugin } from 'vite';

const SW_FILE = 'sw.js';

function publicFiles(dir: string, prefix = ''): string[] {
  if (!dir || !fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory()
        ? publicFiles(path.join(dir, entry.name), `${prefix}${entry.name}/`)
        : [`${prefix}${entry.name}`],
    );
}

/**
 * Compiles the hand-written service worker (`entry`) to `sw.js` at the root of the build and
 * hands it the list of files that make up the app shell. The list only exists once Rollup has
 * named the hashed files, so it is prepended to the worker as a constant rather than imported.
 * The cache version is a hash of every shipped byte: any change to the build is a new shell.
 */
export function serviceWorker(options: { entry: string }): Plugin {
  let base = '/';
  let publicDir = '';
  return {
    name: 'zhgh:service-worker',
    apply: 'build',
    enforce: 'post',
    configResolved(config) {
      base = config.base;
      publicDir = config.publicDir;
    },
    buildStart() {
      this.emitFile({ type: 'chunk', id: options.entry, fileName: SW_FILE });
    },
    generateBundle: {
      // After Vite has written index.html into the bundle, so the page itself is precached.
      order: 'post',
      handler(_output, bundle) {
        const sw = bundle[SW_FILE];
        if (!sw || sw.type !== 'chunk') {
          this.error(`${SW_FILE} was not built`);
        }
        const hash = createHash('sha256');
        const files: string[] = [];
        for (const name of Object.keys(bundle).sort()) {
          const item = bundle[name]!;
          if (name === SW_FILE || name.endsWith('.map')) continue;
          files.push(name);
          hash.update(name).update(item.type === 'chunk' ? item.code : item.source);
        }
        for (const name of publicFiles(publicDir).sort()) {
          files.push(name);
          hash.update(name).update(fs.readFileSync(path.join(publicDir, name)));
        }
        const shell = { version: hash.digest('hex').slice(0, 16), base, files: files.map((f) => base + f) };
        sw.code = `const __ZHGH_SHELL__ = ${JSON.stringify(shell)};\n${sw.code}`;
      },
    },
  };
}
