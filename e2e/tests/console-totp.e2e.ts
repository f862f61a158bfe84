import { generateSync } from 'otplib';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_PASSWORD,
  launchBrowser,
  newContext,
  passwordSignIn,
  type RunningServer,
  screenshot,
  startServer,
} from '../harness.ts';

const STEP_MS = 30_000;

/** A code from a later 30-second step than `after`: the server accepts each step once. */
async function codeAfter(secret: string, after: number): Promise<{ code: string; step: number }> {
  for (;;) {
    const step = Math.floor(Date.now() / STEP_MS);
    if (step > after) return { code: generateSync({ secret, epoch: Math.floor(Date.now() / 1000) }), step };
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('a county finance officer in the union console', () => {
  let server: RunningServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('enrolls an authenticator by QR, signs in with TOTP and sees only the county subtree', async () => {
    const context = await newContext(browser, 'desktop');
    const page = await context.newPage();

    // First sign-in: a privileged role, no authenticator yet → the enrollment page.
    await passwordSignIn(page, `${server.url}/`, 'yanta_finance');
    const secret = (await page.getByTestId('totp-secret').innerText()).replace(/\s+/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    await expect.poll(() => page.locator('svg, img, canvas').count()).toBeGreaterThan(0);
    await screenshot(page, 'console-totp-enrollment');
    const first = await codeAfter(secret, 0);
    await page.getByTestId('totp-code').fill(first.code);
    await page.getByTestId('totp-enable').click();
    await page.getByTestId('user-menu').waitFor();

    // Sign out, then back in: now the code is asked for.
    await page.getByTestId('user-menu').click();
    await page.getByTestId('sign-out').click();
    await page.getByTestId('login-account').waitFor();
    await page.getByTestId('login-account').fill('yanta_finance');
    await page.getByTestId('login-password').fill(DEMO_PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('login-totp').waitFor();
    const second = await codeAfter(secret, first.step);
    await page.getByTestId('login-totp').fill(second.code);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('user-menu').waitFor();

    // The organization tree holds the county and what is below it, nothing beside or above.
    await page.getByTestId('nav-orgs').click();
    const tree = page.getByTestId('org-tree');
    await expect.poll(() => tree.innerText()).toContain('雁塔区总工会');
    const text = await tree.innerText();
    expect(text).not.toContain('碑林区总工会');
    expect(text).not.toContain('西安市总工会');
    expect(text).not.toContain('陕西省总工会');
    await screenshot(page, 'console-org-tree');

    // And the API agrees: a sibling county is "not found", exactly like a missing id.
    const roots = await page.request.get(`${server.url}/api/orgs`);
    expect((await roots.json()) as unknown).toMatchObject({ items: [{ name: '雁塔区总工会' }] });
  });
});
