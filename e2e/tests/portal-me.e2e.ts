import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newContext, type RunningServer, screenshot, smsCodeFor, startServer } from '../harness.ts';

const DEMO_PHONE = '13800138000';

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
    await page.getByTestId('sms-phone').fill(DEMO_PHONE);
    await page.getByTestId('sms-send').click();
    await page.getByTestId('sms-code').fill(await smsCodeFor(server, DEMO_PHONE));
    await page.getByTestId('sms-submit').click();
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

  it('binding a record that is not mine names the field that did not match', async () => {
    await page.getByTestId('me-real-name').click();
    await page.getByTestId('real-name-input').fill('张三');
    await page.getByTestId('real-name-id-number').fill('11010519491231002X');
    await page.getByTestId('real-name-submit').click();
    await expect.poll(() => page.locator('body').innerText()).toContain('没有找到该身份证号的实名信息');
    await screenshot(page, 'portal-real-name');
  });
});
