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

/** A phone the demo has never seen: the worker's account is made by the SMS sign-in. */
const WORKER_PHONE = '13912340516';
const WORKER_NAME = '刘新民';
const WORKER_MASKED = '刘*民';
const UNION = '西安高新智造科技有限公司工会';

/** A valid GB 11643 ID number: Yanta district, born 16 May 1995, a man. */
function idNumber(): string {
  const first17 = '61011319950516003';
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, d, i) => s + Number(d) * weights[i]!, 0);
  return first17 + '10X98765432'[sum % 11]!;
}

/**
 * Issue #7's "done when", across three browsers: a worker signs in by SMS with a new phone and
 * applies to join on the portal (employer found by name, so its union takes the application);
 * a cadre of the district federation above that union approves it in the console's review
 * queue; the worker sees the approval with a member number and takes the e-member card onto
 * the phone; the demo merchant verifies the card's rotating code on the merchant end.
 */
describe('a worker joins the union and shows the e-member card at a merchant', () => {
  let server: RunningServer;
  let browser: Browser;
  let worker: Page;
  let cadre: Page;
  let merchant: Page;
  let memberNumber = '';
  let token = '';

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    worker = await (await newContext(browser, 'phone')).newPage();
    cadre = await (await newContext(browser, 'desktop')).newPage();
    merchant = await (await newContext(browser, 'phone')).newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('the worker signs in by SMS and applies, routed to the employer’s union', async () => {
    await worker.goto(`${server.url}/m/login`);
    await smsSignIn(worker, server, WORKER_PHONE);
    await worker.getByTestId('tab-me').waitFor();
    await worker.goto(`${server.url}/m/join`);
    await worker.getByTestId('join-form').waitFor();
    await worker.getByTestId('join-name').fill(WORKER_NAME);
    await worker.getByTestId('join-id-number').fill(idNumber());
    await worker.getByTestId('join-employer-search').fill('高新智造');
    await worker.getByTestId('join-employer-option').first().click();
    expect(await worker.getByTestId('join-employer-picked').innerText()).toContain('高新智造');
    await screenshot(worker, 'portal-join-form');
    await worker.getByTestId('join-submit').click();
    await expect.poll(() => worker.getByTestId('join-status').innerText()).toBe('工会审核中');
    expect(await worker.getByTestId('join-union').innerText()).toContain(UNION);
    expect(await worker.getByTestId('join-timeline').innerText()).toContain('提交申请');
    await screenshot(worker, 'portal-join-submitted');
  });

  it('a cadre of the district federation approves it in the review queue', async () => {
    await passwordSignIn(cadre, `${server.url}/`, 'yanta_cadre');
    await cadre.getByTestId('nav-joinApplications').click();
    const row = cadre.getByTestId('join-applications').locator('tr', { hasText: WORKER_MASKED });
    await row.first().waitFor();
    // The demo's spring enrollment list waits in the same queue, each row with its due date.
    expect(await cadre.getByTestId('join-applications').locator('tbody tr').count()).toBeGreaterThanOrEqual(4);
    await screenshot(cadre, 'console-join-queue');
    await row.first().click();
    await cadre.getByTestId('join-actions').waitFor();
    expect(await cadre.getByTestId('join-timeline').innerText()).toContain('提交申请');
    await cadre.getByTestId('join-approve').click();
    await cadre.getByTestId('join-member-number').waitFor();
    memberNumber = (await cadre.getByTestId('join-member-number').innerText()).trim();
    expect(memberNumber).toMatch(/^\d{12}$/);
    expect(await cadre.getByTestId('join-state').innerText()).toBe('已入会');
    await screenshot(cadre, 'console-join-approved');
  });

  it('the worker sees the approval and takes the e-member card onto the phone', async () => {
    await worker.goto(`${server.url}/m/join`);
    await expect.poll(() => worker.getByTestId('join-status').innerText()).toBe('已入会');
    expect(await worker.getByTestId('join-member-number').innerText()).toContain(memberNumber);
    await worker.getByTestId('join-card').click();
    expect(await worker.getByTestId('card-member-number').innerText()).toBe(memberNumber);
    expect(await worker.getByTestId('card-union').innerText()).toBe(UNION);
    await worker.getByTestId('card-issue').click();
    await worker.getByTestId('card-qr').waitFor();
    expect(await worker.getByTestId('card-name').innerText()).toBe(WORKER_MASKED);
    token = (await worker.getByTestId('card-token').innerText()).trim();
    expect(token).toMatch(/^ZG1\.[0-9a-f-]{36}\.\d+\.[A-Z2-7]{16}$/);
    await screenshot(worker, 'portal-join-card');
  });

  it('the merchant verifies the card: a valid member, name masked', async () => {
    await passwordSignIn(merchant, `${server.url}/merchant/`, 'merchant_demo');
    await merchant.getByTestId('entry-verify').click();
    await merchant.getByTestId('verify-code').fill(token);
    await merchant.getByTestId('verify-submit').click();
    await expect.poll(() => merchant.getByTestId('verify-result').getAttribute('data-result')).toBe('valid');
    expect(await merchant.getByTestId('verify-name').innerText()).toContain(WORKER_MASKED);
    expect(await merchant.locator('body').innerText()).not.toContain(WORKER_NAME);
    await screenshot(merchant, 'merchant-verify-new-member');
  });
});
