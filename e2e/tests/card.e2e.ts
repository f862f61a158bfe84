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
 * The e-member card end to end: the demo member (whose real-name record has their phone, so
 * the portal links it) issues the card on this phone and shows a token computed in the
 * browser; the demo merchant types it on the merchant end and sees a valid member; a forged
 * code is invalid and shows nobody.
 */
describe('the e-member card, from the member’s phone to the merchant’s counter', () => {
  let server: RunningServer;
  let browser: Browser;
  let member: Page;
  let merchant: Page;
  let token = '';

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    member = await (await newContext(browser, 'phone')).newPage();
    merchant = await (await newContext(browser, 'phone')).newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('the member issues the card on this phone and reads its rotating code', async () => {
    await member.goto(`${server.url}/m/login`);
    await smsSignIn(member, server, DEMO_PHONE);
    await member.getByTestId('tab-card').click();
    await member.getByTestId('card-issue').click();
    await member.getByTestId('card-qr').waitFor();
    expect(await member.getByTestId('card-name').innerText()).toBe('张*');
    expect(await member.getByTestId('card-union').innerText()).toBe('西安高新智造科技有限公司工会');
    expect(await member.getByTestId('card-member-number').innerText()).toMatch(/\d/);
    token = (await member.getByTestId('card-token').innerText()).trim();
    expect(token).toMatch(/^ZG1\.[0-9a-f-]{36}\.\d+\.[A-Z2-7]{16}$/);
    await screenshot(member, 'portal-member-card');

    const pdf = await member.request.get(`${server.url}/api/me/card/pdf`);
    expect(pdf.status()).toBe(200);
    expect(pdf.headers()['content-type']).toBe('application/pdf');
  });

  it('the merchant types the code and sees a valid member with the masked name only', async () => {
    await passwordSignIn(merchant, `${server.url}/merchant/`, 'merchant_demo');
    await merchant.getByTestId('entry-verify').click();
    await merchant.getByTestId('verify-code').fill(token);
    await merchant.getByTestId('verify-submit').click();
    await expect.poll(() => merchant.getByTestId('verify-result').getAttribute('data-result')).toBe('valid');
    expect(await merchant.getByTestId('verify-verdict').innerText()).toContain('有效会员');
    expect(await merchant.getByTestId('verify-name').innerText()).toContain('张*');
    expect(await merchant.locator('body').innerText()).not.toContain('张三');
    await screenshot(merchant, 'merchant-verify-valid');
  });

  it('a forged code is invalid and names nobody', async () => {
    const forged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    await merchant.getByTestId('verify-code').fill(forged);
    await merchant.getByTestId('verify-submit').click();
    await expect.poll(() => merchant.getByTestId('verify-result').getAttribute('data-result')).toBe('invalid');
    expect(await merchant.getByTestId('verify-name').count()).toBe(0);
    await screenshot(merchant, 'merchant-verify-invalid');
  });

  it('keeps showing the card with a fresh code when the phone is offline', async () => {
    await member.context().setOffline(true);
    await member.reload().catch(() => undefined);
    // The service worker serves the shell; the card and its code come from this phone.
    await member.getByTestId('card-offline').waitFor({ timeout: 15_000 });
    expect((await member.getByTestId('card-token').innerText()).trim()).toMatch(/^ZG1\./);
    await screenshot(member, 'portal-member-card-offline');
    await member.context().setOffline(false);
  });
});
