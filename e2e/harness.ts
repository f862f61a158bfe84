import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Screenshots land here; CI keeps them as artifacts of the run. */
export const ARTIFACTS = path.join(root, 'e2e', 'artifacts');

export interface RunningServer {
  url: string;
  dataDir: string;
  /** Stop the process; `keepData` leaves the data folder for a restart on it. */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

export interface StartOptions {
  /** Restart on this data folder (its database, keys and outbox) instead of a fresh one. */
  dataDir?: string;
  /** Extra environment, e.g. DEV_CLOCK_OFFSET_DAYS to see a notice period end. */
  env?: Record<string, string>;
}

/**
 * The real server as `npm start` runs it: a fresh data folder (SQLite, keys, SMS outbox),
 * demo data loaded, built front ends served, on a free port.
 */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'zhgh-e2e-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    DATA_DIR: dataDir,
    PORT: '0',
    LOG_LEVEL: 'warn',
  };
  // Browser journeys run on the embedded database whatever the surrounding test run uses.
  delete env.DATABASE_URL;
  delete env.NODE_ENV;
  const child: ChildProcess = spawn(path.join(root, 'node_modules', '.bin', 'tsx'), ['apps/server/src/main.ts'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /console (http:\/\/[^/\s]+)\//.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
  return {
    url,
    dataDir,
    async stop(stopOptions = {}) {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      if (!stopOptions.keepData) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium, headless; nothing is downloaded. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/** A phone-sized context for the member portal; a desktop one for the console. */
export async function newContext(browser: Browser, kind: 'phone' | 'desktop'): Promise<BrowserContext> {
  return kind === 'phone'
    ? browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'zh-CN' })
    : browser.newContext({ viewport: { width: 1366, height: 860 }, locale: 'zh-CN' });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** The newest SMS code the server wrote to its outbox for a phone. */
export async function smsCodeFor(server: RunningServer, phone: string, timeoutMs = 10_000): Promise<string> {
  const file = path.join(server.dataDir, 'outbox', 'sms.jsonl');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    const mine = lines.map((l) => JSON.parse(l) as { phone: string; text: string }).filter((m) => m.phone === phone);
    const code = /\d{6}/.exec(mine.at(-1)?.text ?? '')?.[0];
    if (code) return code;
    if (Date.now() > deadline) throw new Error(`no SMS code for ${phone} in ${file}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The password of every demo account, and the demo member's phone (apps/server/src/cli/seed.ts). */
export const DEMO_PASSWORD = 'Zhgh@2026demo';
export const DEMO_PHONE = '13800138000';

/**
 * Sign in on the portal's sign-in form in front of the page (the login page, or one that
 * asks on the way, as an event link does) with the SMS code the server wrote to its outbox.
 */
export async function smsSignIn(page: Page, server: RunningServer, phone: string): Promise<void> {
  await page.getByTestId('sms-phone').fill(phone);
  await page.getByTestId('sms-send').click();
  await page.getByTestId('sms-code').fill(await smsCodeFor(server, phone));
  await page.getByTestId('sms-submit').click();
}

/** Open `url` (the console's `/` or the merchant end's `/merchant/`) and sign in with a password. */
export async function passwordSignIn(
  page: Page,
  url: string,
  account: string,
  password = DEMO_PASSWORD,
): Promise<void> {
  await page.goto(url);
  await page.getByTestId('login-account').fill(account);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
}
