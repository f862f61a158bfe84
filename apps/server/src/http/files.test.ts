import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sweepStaleUploads } from './files.ts';

const HOUR = 60 * 60_000;
let root: string;

afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

/** A folder in `root` last written `ageMs` before `now`, holding one file. */
function folder(name: string, now: number, ageMs: number): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'upload'), '姓名,身份证号\n');
  const at = new Date(now - ageMs);
  fs.utimesSync(dir, at, at);
  return dir;
}

describe('sweepStaleUploads', () => {
  it('removes upload folders a dead process left over an hour ago, and nothing else', async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'zhgh-sweep-test-'));
    const now = Date.now();
    const stale = folder('zhgh-upload-old', now, 2 * HOUR);
    const inFlight = folder('zhgh-upload-new', now, 5 * 60_000);
    const other = folder('someone-else-old', now, 2 * HOUR);
    fs.writeFileSync(path.join(root, 'zhgh-upload-file'), 'not a folder');
    fs.utimesSync(path.join(root, 'zhgh-upload-file'), new Date(now - 2 * HOUR), new Date(now - 2 * HOUR));

    expect(await sweepStaleUploads(now, root)).toBe(1);
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.existsSync(inFlight)).toBe(true);
    expect(fs.existsSync(other)).toBe(true);
    expect(fs.existsSync(path.join(root, 'zhgh-upload-file'))).toBe(true);
  });

  it('a missing folder removes nothing', async () => {
    root = path.join(os.tmpdir(), `zhgh-sweep-missing-${process.pid}`);
    expect(await sweepStaleUploads(Date.now(), root)).toBe(0);
  });
});
