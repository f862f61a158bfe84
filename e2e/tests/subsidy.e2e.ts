import fs from 'node:fs';
import { generateSync } from 'otplib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
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

const WORKER_PHONE = '13909180004';
const WORKER_NAME = '陈晓燕';
/** Lists and the notice board show the name masked. */
const WORKER_MASKED = '陈*燕';
const MEMBER_PHONE = '13800138000';
const STEP_MS = 30_000;
/** The public notice lasts 5 days; the second server runs the platform's clock this far ahead. */
const OFFSET_DAYS = 6;
const OFFSET_MS = OFFSET_DAYS * 86_400_000;

/** A tiny but real PDF: the application's documents. */
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

/** A TOTP code from a later 30-second step than `after`, on the server's (possibly advanced) clock. */
async function codeAfter(secret: string, after: number, offsetMs: number): Promise<{ code: string; step: number }> {
  for (;;) {
    const now = Date.now() + offsetMs;
    const step = Math.floor(now / STEP_MS);
    if (step > after) return { code: generateSync({ secret, epoch: Math.floor(now / 1000) }), step };
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function portalSignIn(page: Page, server: RunningServer, phone: string): Promise<void> {
  await page.goto(`${server.url}/m/login`);
  await smsSignIn(page, server, phone);
  await page.getByTestId('tab-me').waitFor();
}

/** An Element Plus input by test id: the id lands on the native field or on its wrapper. */
function field(page: Page, id: string) {
  const t = `[data-testid="${id}"]`;
  return page.locator(`input${t}, textarea${t}, ${t} input, ${t} textarea`).first();
}

/** The application's drawer in the console queue, opened from its row. */
async function openApplication(page: Page): Promise<void> {
  await page.getByTestId('nav-subsidies').click();
  const row = page.getByTestId('subsidy-applications').locator('tr', { hasText: WORKER_MASKED });
  await row.first().click();
  await page.getByTestId('subsidy-actions').waitFor();
}

/** The worker's own awards on the portal: 我的补助 tab of the subsidies page. */
async function awardText(page: Page): Promise<string> {
  await page.getByRole('tab', { name: '我的补助' }).click();
  await page.getByTestId('subsidy-award').first().waitFor();
  return page.getByTestId('subsidy-award').first().innerText();
}

/**
 * Issue #6's "done when": a city model worker applies for the special hardship subsidy on the
 * portal, the union verifies it after the household survey, it goes on public notice, another
 * member objects and the objection is dismissed with its reason, the notice period passes (the
 * server restarts on the same data with its clock six days ahead), the Xi'an finance officer
 * makes the payment plan, sends the bank file, uploads the bank's result, and the worker sees
 * the subsidy paid.
 */
describe('a model worker is paid the special hardship subsidy', () => {
  let server: RunningServer;
  let browser: Browser;
  let workerContext: BrowserContext;
  let worker: Page;
  let cadre: Page;

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    workerContext = await newContext(browser, 'phone');
    worker = await workerContext.newPage();
    cadre = await (await newContext(browser, 'desktop')).newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('the model worker binds her real name and applies with her documents', async () => {
    await portalSignIn(worker, server, WORKER_PHONE);
    // Her phone is on the registry entry: opening 实名信息 links the account to her record.
    await worker.getByTestId('tab-me').click();
    await worker.getByTestId('me-real-name').click();
    await expect.poll(() => worker.getByTestId('real-name-name').innerText()).toContain(WORKER_MASKED);
    await worker.goBack();
    await worker.getByTestId('tab-services').click();
    await worker.locator('.van-cell', { hasText: '劳模补助' }).click();
    await worker.getByTestId('subsidy-kind-hardship').click();
    await worker.getByTestId('subsidy-cause').click();
    await worker.getByRole('button', { name: '本人重大疾病' }).click();
    await worker.getByTestId('subsidy-amount').fill('3000');
    await worker.getByTestId('subsidy-description').fill('本人今年住院两次，自付医疗费用四万余元');
    await worker.getByTestId('subsidy-submit').click();
    for (const doc of ['diagnosis', 'bills']) {
      await worker.getByTestId(`subsidy-upload-${doc}`).setInputFiles({
        name: `${doc}.pdf`,
        mimeType: 'application/pdf',
        buffer: PDF,
      });
    }
    await expect.poll(() => worker.locator('.van-tag--success').count()).toBe(2);
    await screenshot(worker, 'subsidy-applied');
  });

  it('the union verifies it after the household survey and it goes on public notice', async () => {
    await passwordSignIn(cadre, `${server.url}/`, 'xian_cadre');
    await cadre.getByTestId('user-menu').waitFor();
    await openApplication(cadre);
    await field(cadre, 'subsidy-findings').fill('入户核实：住院病历与费用清单属实，家庭负担较重');
    await field(cadre, 'subsidy-approved').fill('3000');
    await cadre.getByTestId('subsidy-step-verify').click();
    await expect.poll(() => cadre.locator('.el-drawer').innerText()).toContain('公示');
    await screenshot(cadre, 'subsidy-verified');
  });

  it('another member objects on the notice board and the objection is dismissed with its reason', async () => {
    const member = await (await newContext(browser, 'phone')).newPage();
    await portalSignIn(member, server, MEMBER_PHONE);
    await member.getByTestId('tab-me').click();
    await member.getByTestId('me-notices').click();
    const notice = member.getByTestId('notice-list').locator('li', { hasText: /陈.燕/ });
    await expect.poll(() => notice.innerText()).toContain('3000.00');
    await notice.locator('[data-testid^="notice-object-"]').click();
    await member.getByTestId('objection-reason').fill('听说她家经济条件不错，不应享受困难补助');
    await screenshot(member, 'subsidy-objection');
    await member.getByTestId('objection-submit').click();
    await expect.poll(() => member.locator('body').innerText()).toContain('异议已提交');
    await member.context().close();

    // The cadre finds it on the console's notice board and opens the application behind it.
    await cadre.reload();
    await cadre.getByTestId('nav-subsidies').click();
    await cadre.getByRole('tab', { name: '公示' }).click();
    const onBoard = cadre.getByTestId('subsidy-notices').locator('tr', { hasText: WORKER_MASKED });
    await onBoard.locator('[data-testid^="notice-open-"]').first().click();
    await cadre.getByTestId('subsidy-actions').waitFor();
    await field(cadre, 'objection-decision-reason').fill('经复核，其医疗费用票据属实，异议不成立');
    await cadre.locator('[data-testid^="objection-dismiss-"]').click();
    await expect.poll(() => cadre.locator('.el-drawer').innerText()).toContain('异议不成立：经复核');
    await screenshot(cadre, 'subsidy-objection-dismissed');
  });

  it('after the notice period the cadre passes it on and the finance officer makes the payment plan', async () => {
    // Six days later: the same data on a server whose clock runs ahead; everyone signs in again.
    await server.stop({ keepData: true });
    server = await startServer({ dataDir: server.dataDir, env: { DEV_CLOCK_OFFSET_DAYS: String(OFFSET_DAYS) } });

    await passwordSignIn(cadre, `${server.url}/`, 'xian_cadre');
    await cadre.getByTestId('user-menu').waitFor();
    await openApplication(cadre);
    await cadre.getByTestId('subsidy-step-pass').click();
    await expect.poll(() => cadre.locator('.el-drawer').innerText()).toContain('支付计划');
    await screenshot(cadre, 'subsidy-notice-passed');
    await cadre.keyboard.press('Escape');
    await cadre.locator('.el-drawer').waitFor({ state: 'hidden' });
    await cadre.getByTestId('user-menu').click();
    await cadre.getByTestId('sign-out').click();
    await cadre.getByTestId('login-account').waitFor();

    // The finance officer's first sign-in enrolls an authenticator (the platform's clock is ahead).
    await passwordSignIn(cadre, `${server.url}/`, 'xian_finance');
    const secret = (await cadre.getByTestId('totp-secret').innerText()).replace(/\s+/g, '');
    const first = await codeAfter(secret, 0, OFFSET_MS);
    await cadre.getByTestId('totp-code').fill(first.code);
    await cadre.getByTestId('totp-enable').click();
    await cadre.getByTestId('user-menu').waitFor();

    await cadre.getByTestId('nav-subsidies').click();
    await cadre.getByTestId('plan-org').locator('.el-select__wrapper').click();
    await cadre.locator('.el-select-dropdown .el-tree-node__content', { hasText: '西安市总工会' }).first().click();
    await cadre.getByTestId('plan-create').click();
    await expect.poll(() => cadre.getByTestId('subsidy-plans').innerText()).toContain('3000.00');
    await screenshot(cadre, 'subsidy-plan');
  });

  it('the bank file is sent, the result is reconciled and the worker sees it paid', async () => {
    await cadre.getByTestId('plan-open-batch').first().click();
    await cadre.getByTestId('payout-send').click();
    await cadre.locator('.el-message-box__btns .el-button--danger, .el-message-box__btns .el-button--primary').click();
    await cadre.getByTestId('payout-bank-file').waitFor();

    const [download] = await Promise.all([
      cadre.waitForEvent('download'),
      cadre.getByTestId('payout-bank-file').click(),
    ]);
    const bankFile = fs.readFileSync((await download.path())!, 'utf8').replace(/^\uFEFF/, '');
    const [header, ...lines] = bankFile.split(/\r?\n/).filter(Boolean);
    const columns = header!.split(',');
    const rows = lines.map((l) => l.split(','));
    expect(rows).toHaveLength(1);
    expect(rows[0]![columns.indexOf('收款人姓名')]).toBe(WORKER_NAME);
    expect(rows[0]![columns.indexOf('金额(元)')]).toBe('3000.00');

    // The bank's answer: every line paid, echoing the reference it was given.
    const result = [
      '批次号,行号,参考号,结果',
      ...rows.map((r) =>
        [r[columns.indexOf('批次号')], r[columns.indexOf('行号')], r[columns.indexOf('参考号')], '成功'].join(','),
      ),
    ].join('\r\n');
    await cadre
      .getByTestId('payout-detail')
      .locator('input[type=file]')
      .setInputFiles({ name: 'result.csv', mimeType: 'text/csv', buffer: Buffer.from(`${result}\r\n`, 'utf8') });
    await expect.poll(() => cadre.getByTestId('payout-summary').innerText()).toContain('成功 1 笔');
    await expect.poll(() => cadre.getByTestId('payout-lines').innerText()).toContain('已到账');
    await screenshot(cadre, 'subsidy-reconciled');

    await portalSignIn(worker, server, WORKER_PHONE);
    await worker.goto(`${server.url}/m/subsidies`);
    await expect.poll(() => awardText(worker)).toContain('已发放');
    await screenshot(worker, 'subsidy-paid');
  });
});
