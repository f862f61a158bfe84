// Build the three front ends with Vite. `--if-missing` builds only apps without a dist folder,
// so `npm start` on a fresh clone builds once and starts fast afterwards.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ifMissing = process.argv.includes('--if-missing');
const apps = ['console', 'portal', 'merchant'];

for (const name of apps) {
  const dir = path.join(root, 'apps', name);
  if (!fs.existsSync(path.join(dir, 'index.html'))) continue;
  if (ifMissing && fs.existsSync(path.join(dir, 'dist', 'index.html'))) continue;
  process.stdout.write(`== building apps/${name}\n`);
  const run = spawnSync('npm', ['run', 'build', '-w', `apps/${name}`], { cwd: root, stdio: 'inherit' });
  if (run.status !== 0) {
    process.stderr.write(`building apps/${name} failed\n`);
    process.exit(run.status ?? 1);
  }
}
