import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchBrowser,
  newContext,
  passwordSignIn,
  type RunningServer,
  screenshot,
  smsSignIn,
  startServer,
} from '../harness.ts';

const MEMBER_PHONE = '13800138000';
/** Lists show the demo member's name masked. */
const MEMBER_MASKED = '张*';
const FROM_UNION = '西安高新智造科技有限公司工会';
const TO_UNION = '雁塔区快递物流联合工会';

async function consoleSignIn(page: Page, url: string, account: string): Promise<void> {
  await passwordSignIn(page, `${url}/`, account);
  await page.getByTestId('nav-memberships').waitFor();
}

/**
 * Issue "my membership"'s "done when": the demo member asks on the portal to transfer to the
 * couriers' joint union in Yanta; the cadre of the union left sees it under "transfers out" (and
 * has no step there); the cadre of the union joined accepts it in the console; the member's
 * portal then shows the new union with the same member number, and the old one in the history.
 */
describe('a member transfers to another union', () => {
  let server: RunningServer;
  let browser: Browser;
  let member: Page;
  let memberNumber = '';

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    member = await (await newContext(browser, 'phone')).newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('the member finds the union by name and asks to transfer', async () => {
    await member.goto(`${server.url}/m/login`);
    await smsSignIn(member, server, MEMBER_PHONE);
    await member.getByTestId('tab-me').click();
    await member.getByTestId('me-membership').click();
    await expect.poll(() => member.getByTestId('membership-union').innerText()).toBe(FROM_UNION);
    memberNumber = (await member.getByTestId('membership-number').innerText()).trim();
    expect(memberNumber).toMatch(/\d/);

    await member.getByRole('tab', { name: '转会' }).click();
    await member.getByTestId('membership-search').fill('快递物流');
    await member.getByTestId('membership-search-submit').click();
    await member.getByTestId('membership-result').filter({ hasText: TO_UNION }).click();
    await member.getByTestId('membership-transfer-comment').fill('已入职快递公司');
    await member.getByTestId('membership-transfer-submit').click();
    await expect
      .poll(() => member.getByTestId('membership-transfer-state').first().getAttribute('data-state'))
      .toBe('review');
    await screenshot(member, 'portal-membership-transfer-requested');
  });

  it('the union left sees it under transfers out, with no step to block it', async () => {
    const cadre = await (await newContext(browser, 'desktop')).newPage();
    await consoleSignIn(cadre, server.url, 'gaoxin_cadre');
    await cadre.getByTestId('nav-memberships').click();
    await cadre.getByRole('tab', { name: '转出' }).click();
    const row = cadre.getByTestId('transfers-out').locator('tr', { hasText: MEMBER_MASKED });
    await row.first().waitFor();
    expect(await row.first().innerText()).toContain(TO_UNION);
    expect(await row.first().getByTestId('transfer-accept').count()).toBe(0);
    expect(await row.first().getByTestId('transfer-decline').count()).toBe(0);
    expect(await row.first().getByTestId('transfer-comment').count()).toBe(1);
    await screenshot(cadre, 'console-transfers-out');
    await cadre.context().close();
  });

  it('the union joined accepts it in the console', async () => {
    const cadre = await (await newContext(browser, 'desktop')).newPage();
    await consoleSignIn(cadre, server.url, 'express_cadre');
    await cadre.getByTestId('nav-memberships').click();
    const row = cadre.getByTestId('transfers-in').locator('tr', { hasText: MEMBER_MASKED });
    await row.first().waitFor();
    // The union left lies outside this cadre's scope: it is not named.
    expect(await row.first().innerText()).not.toContain(FROM_UNION);
    await screenshot(cadre, 'console-transfers-in');
    await row.first().getByTestId('transfer-accept').click();
    await cadre.getByRole('tab', { name: '转入' }).waitFor();
    await cadre.getByText('只看待办').click();
    const done = cadre.getByTestId('transfers-in').locator('tr', { hasText: MEMBER_MASKED });
    await expect.poll(() => done.first().getByTestId('transfer-state').innerText()).toBe('已转入');
    await cadre.context().close();
  });

  it('the member’s portal shows the new union with the same member number, history kept', async () => {
    await member.reload();
    await expect.poll(() => member.getByTestId('membership-union').innerText()).toBe(TO_UNION);
    expect((await member.getByTestId('membership-number').innerText()).trim()).toBe(memberNumber);
    const timeline = await member.getByTestId('membership-timeline').innerText();
    expect(timeline).toContain(TO_UNION);
    expect(timeline).toContain(FROM_UNION);
    expect(timeline).toContain('已转出');
    await expect
      .poll(() => member.getByTestId('membership-transfer-state').first().getAttribute('data-state'))
      .toBe('accepted');
    await screenshot(member, 'portal-membership-transferred');
  });
});
