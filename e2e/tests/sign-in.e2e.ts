import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_PHONE,
  launchBrowser,
  newContext,
  passwordSignIn,
  type RunningServer,
  screenshot,
  smsCodeFor,
  startServer,
} from '../harness.ts';

describe('signing in on the member portal and the merchant end', () => {
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

  it('a member signs in with the SMS code read from the outbox', async () => {
    const page = await (await newContext(browser, 'phone')).newPage();
    await page.goto(`${server.url}/m/`);
    // The demo server writes codes to its outbox, and the page says where to find them.
    await expect.poll(() => page.getByTestId('dev-sms-hint').innerText()).toContain('outbox');
    await page.getByTestId('sms-phone').fill(DEMO_PHONE);
    await page.getByTestId('sms-send').click();
    const code = await smsCodeFor(server, DEMO_PHONE);
    await page.getByTestId('sms-code').fill(code);
    await page.getByTestId('sms-submit').click();
    await page.getByTestId('tab-me').click();
    await expect.poll(() => page.getByTestId('me-phone').innerText()).toBe('138****8000');
    await screenshot(page, 'portal-me');
    // Signing out brings the sign-in page back, and the session is gone on the server too.
    await page.getByTestId('sign-out').click();
    await page.getByTestId('sms-phone').waitFor();
    const session = await page.request.get(`${server.url}/api/auth/session`);
    expect(session.status()).toBe(401);
  });

  it('a wrong SMS code is refused with a message in Chinese', async () => {
    const page = await (await newContext(browser, 'phone')).newPage();
    await page.goto(`${server.url}/m/login`);
    await page.getByTestId('sms-phone').fill('13900001111');
    await page.getByTestId('sms-send').click();
    await smsCodeFor(server, '13900001111');
    await page.getByTestId('sms-code').fill('000000');
    await page.getByTestId('sms-submit').click();
    await expect.poll(() => page.locator('body').innerText()).toContain('验证码');
    expect(page.url()).toContain('/m/login');
  });

  it('a merchant signs in with a password', async () => {
    const page = await (await newContext(browser, 'phone')).newPage();
    await passwordSignIn(page, `${server.url}/merchant/`, 'merchant_demo');
    await expect.poll(() => page.getByTestId('merchant-name').innerText()).toContain('秦味餐饮');
    await screenshot(page, 'merchant-signed-in');
  });
});
