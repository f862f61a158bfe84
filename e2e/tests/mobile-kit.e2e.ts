import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_PHONE,
  launchBrowser,
  newContext,
  passwordSignIn,
  type RunningServer,
  screenshot,
  smsSignIn,
  startServer,
} from '../harness.ts';

/**
 * The pages the member portal and the merchant end share (@zhgh/mobile): the signed-in
 * devices and the language switch, each driven through both ends, which lend the kit their
 * own client, session and messages.
 */
describe('the shared mobile pages: signed-in devices and language', () => {
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

  async function merchantSignsIn(): Promise<Page> {
    const page = await (await newContext(browser, 'phone')).newPage();
    await passwordSignIn(page, `${server.url}/merchant/login`, 'merchant_demo');
    await page.getByTestId('merchant-name').waitFor();
    return page;
  }

  /** Vant's confirmation dialog: the confirm button of the one dialog on screen. */
  const confirm = (page: Page) => page.locator('.van-dialog__confirm').click();

  it('a merchant signed in on two phones signs the other one out', async () => {
    const other = await merchantSignsIn();
    const page = await merchantSignsIn();
    await page.getByTestId('entry-me').click();
    await page.getByTestId('me-sessions').click();
    const items = page.getByTestId('session-list').locator('li');
    await expect.poll(() => items.count()).toBe(2);
    await expect.poll(() => page.getByTestId('session-list').innerText()).toContain('本机');
    await screenshot(page, 'merchant-sessions');

    await page.locator('[data-testid^="revoke-"]').click();
    await confirm(page);
    await expect.poll(() => items.count()).toBe(1);
    // The other phone's next request finds its session gone and lands on sign-in.
    await other.reload();
    await other.getByTestId('login-account').waitFor();
  });

  it('a merchant switches the end to English and back', async () => {
    const page = await merchantSignsIn();
    await page.getByTestId('entry-me').click();
    const sessions = page.getByTestId('me-sessions');
    await expect.poll(() => sessions.innerText()).toContain('登录设备');
    await page.getByTestId('locale-switch').first().click();
    await page.locator('.van-action-sheet__item', { hasText: 'English' }).click();
    await expect.poll(() => sessions.innerText()).toContain('Signed-in devices');
    await page.getByTestId('locale-switch').first().click();
    await page.locator('.van-action-sheet__item', { hasText: '中文' }).click();
    await expect.poll(() => sessions.innerText()).toContain('登录设备');
  });

  it('a member reads the devices page in English and signs out everywhere', async () => {
    const page = await (await newContext(browser, 'phone')).newPage();
    await page.goto(`${server.url}/m/login`);
    await smsSignIn(page, server, DEMO_PHONE);
    await page.getByTestId('tab-me').click();
    await page.getByTestId('locale-switch').click();
    await page.locator('.van-action-sheet__item', { hasText: 'English' }).click();
    await page.getByTestId('me-sessions').click();
    await expect.poll(() => page.getByTestId('session-list').innerText()).toContain('This device');
    await expect.poll(() => page.getByTestId('sign-out-all').innerText()).toContain('Sign out everywhere');
    await screenshot(page, 'portal-sessions-en');

    await page.getByTestId('sign-out-all').click();
    await confirm(page);
    await page.getByTestId('sms-phone').waitFor();
  });
});
