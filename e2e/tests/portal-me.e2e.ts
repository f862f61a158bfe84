import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_PHONE,
  launchBrowser,
  newContext,
  type RunningServer,
  screenshot,
  smsSignIn,
  startServer,
} from '../harness.ts';

/**
 * The member's own pages on the portal: inbox, my applications, the public-notice board and
 * binding the real-name record. The demo has no application types registered yet, so the
 * lists are empty here; the server tests cover their contents.
 */
describe('the member portal: my pages', () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    page = await (await newContext(browser, 'phone')).newPage();
    await page.goto(`${server.url}/m/login`);
    await smsSignIn(page, server, DEMO_PHONE);
    await page.getByTestId('tab-me').click();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('opens the inbox, my applications and the notice board from 我的', async () => {
    await page.getByTestId('me-inbox').click();
    await page.getByTestId('inbox-empty').waitFor();
    await screenshot(page, 'portal-inbox');
    await page.goBack();
    await page.getByTestId('me-applications').click();
    await page.getByTestId('applications-empty').waitFor();
    await page.goBack();
    await page.getByTestId('me-notices').click();
    await page.getByTestId('notices-empty').waitFor();
    await page.goBack();
  });

  // The demo member's record carries their phone, so the page links it on the first visit
  // (me.test.ts covers binding by name and ID number, and its refusals).
  it('links my real-name record by my phone and shows it masked with my union', async () => {
    await page.getByTestId('me-real-name').click();
    await expect.poll(() => page.getByTestId('real-name-name').innerText()).toContain('张*');
    expect(await page.locator('body').innerText()).toContain('西安高新智造科技有限公司工会');
    await screenshot(page, 'portal-real-name');
  });
});
