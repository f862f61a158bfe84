import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newContext, type RunningServer, screenshot, startServer } from '../harness.ts';

describe('the three ends, served from one port', () => {
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

  it('the union console opens in Chinese', async () => {
    const page = await (await newContext(browser, 'desktop')).newPage();
    await page.goto(`${server.url}/`);
    await expect.poll(() => page.locator('body').innerText()).toContain('智慧工会');
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    await screenshot(page, 'console-home');
  });

  it('the member portal opens in Chinese on a phone', async () => {
    const page = await (await newContext(browser, 'phone')).newPage();
    await page.goto(`${server.url}/m/`);
    await expect.poll(() => page.locator('body').innerText()).toContain('智慧工会');
    await expect.poll(() => page.locator('body').innerText()).toMatch(/验证码|登录/);
    await screenshot(page, 'portal-home');
  });

  it('the merchant end opens in Chinese', async () => {
    const page = await (await newContext(browser, 'phone')).newPage();
    await page.goto(`${server.url}/merchant/`);
    await expect.poll(() => page.locator('body').innerText()).toContain('商家');
    await screenshot(page, 'merchant-home');
  });

  it('serves the API docs', async () => {
    const page = await (await newContext(browser, 'desktop')).newPage();
    const res = await page.goto(`${server.url}/api/docs`);
    expect(res?.status()).toBe(200);
    await expect.poll(() => page.locator('body').innerText()).toContain('auth');
  });
});
