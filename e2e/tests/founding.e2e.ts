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

/** A phone the demo has never seen: the first SMS sign-in makes the account. */
const CONTACT_PHONE = '13609180517';
const UNIT = '西安秦创智联科技有限公司';
const UNION = `${UNIT}工会委员会`;
const CHAIR = '孙立新';
/** A unified social credit code registered in Yanta district, with its GB 32100 check character. */
const CREDIT_CODE = '91610113MA6TX0E273';

/** A tiny but real PDF: the application's documents. */
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

/** YYYY-MM-DD in Beijing, `days` from today. */
function beijingDate(days = 0): string {
  return new Date(Date.now() + 8 * 3_600_000 + days * 86_400_000).toISOString().slice(0, 10);
}

async function upload(page: Page, kind: string): Promise<void> {
  await page.getByTestId(`founding-upload-${kind}`).setInputFiles({
    name: `${kind}.pdf`,
    mimeType: 'application/pdf',
    buffer: PDF,
  });
  await page.getByTestId(`founding-uploaded-${kind}`).waitFor();
}

/** The portal's founding page, freshly loaded (the union acted meanwhile). */
async function portalFounding(page: Page, server: RunningServer): Promise<void> {
  await page.goto(`${server.url}/m/founding`);
  await page.getByTestId('founding-state').waitFor();
}

/** The cadre's console: the founding list, the application's drawer, one step. */
async function consoleStep(page: Page, action: string, comment?: string): Promise<void> {
  await page.getByTestId('nav-founding').click();
  const row = page.getByTestId('founding-applications').locator('tr', { hasText: UNIT });
  await row.first().click();
  await page
    .getByTestId(`founding-step-${action}`)
    .waitFor()
    .catch(async (err: unknown) => {
      await screenshot(page, `founding-failed-${action}`);
      throw err;
    });
  if (comment) {
    await page
      .locator('[data-testid="founding-comment"] textarea, textarea[data-testid="founding-comment"]')
      .fill(comment);
  }
  await page.getByTestId(`founding-step-${action}`).click();
  await page.getByTestId(`founding-step-${action}`).waitFor({ state: 'detached' });
  await closeDrawer(page);
}

async function closeDrawer(page: Page): Promise<void> {
  await page.locator('.el-drawer.open .el-drawer__close-btn').click();
  await page.locator('.el-drawer').waitFor({ state: 'hidden' });
}

/**
 * The founding journey of the issue: a workplace's contact signs in on the portal with a new
 * phone, applies for its union and attaches the business licence; the Yanta district
 * federation approves; the contact files the member-assembly request with its plan; it is
 * approved; the contact files the election results with the minutes and the vote count; they
 * are approved, and the new union stands in the console's tree under the district with its chair.
 */
describe('a workplace founds its union online', () => {
  let server: RunningServer;
  let browser: Browser;
  let contact: Page;
  let cadre: Page;

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    contact = await (await newContext(browser, 'phone')).newPage();
    cadre = await (await newContext(browser, 'desktop')).newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('the contact signs in with a new phone and applies, with the business licence', async () => {
    await contact.goto(`${server.url}/m/login`);
    await smsSignIn(contact, server, CONTACT_PHONE);
    await contact.getByTestId('tab-me').waitFor();

    await contact.getByTestId('tab-services').click();
    await contact.locator('.van-cell', { hasText: '申请建会' }).click();
    await contact.getByTestId('founding-unit-name').fill(UNIT);
    await contact.getByTestId('founding-credit-code').fill(CREDIT_CODE);
    await contact.getByTestId('founding-unit-type').click();
    await contact.getByRole('button', { name: '170 私营企业' }).click();
    await contact.getByTestId('founding-industry').click();
    await contact.getByRole('button', { name: /^I / }).click();
    await contact.getByTestId('founding-address').fill('西安市雁塔区丈八街道科技二路 66 号');
    await contact.getByTestId('founding-employees').fill('86');
    await contact.getByTestId('founding-contact-name').fill('刘晓红');
    await contact.getByTestId('founding-contact-phone').fill(CONTACT_PHONE);
    await contact.getByTestId('founding-region').fill('610113');
    await contact.getByTestId('founding-find-handler').click();
    await expect.poll(() => contact.locator('body').innerText()).toContain('雁塔区总工会（默认）');
    await screenshot(contact, 'founding-apply-form');
    await contact.getByTestId('founding-submit').click();

    await expect.poll(() => contact.getByTestId('founding-state').innerText()).toContain('审核建会申请');
    await upload(contact, 'businessLicence');
    await screenshot(contact, 'founding-applied');
  });

  it('the district federation approves the application', async () => {
    await passwordSignIn(cadre, `${server.url}/`, 'yanta_cadre');
    await cadre.getByTestId('user-menu').waitFor();
    await cadre.getByTestId('nav-founding').click();
    const row = cadre.getByTestId('founding-applications').locator('tr', { hasText: UNIT });
    await expect.poll(() => row.first().innerText()).toContain('审核建会申请');
    await row.first().click();
    await expect.poll(() => cadre.getByTestId('founding-documents').innerText()).toContain('营业执照');
    await screenshot(cadre, 'founding-review');
    await closeDrawer(cadre);
    await consoleStep(cadre, 'approve', '材料齐全，同意筹备建会');
  });

  it('the contact files the member-assembly request and it is approved', async () => {
    await portalFounding(contact, server);
    await expect.poll(() => contact.getByTestId('founding-state').innerText()).toContain('筹备会员大会');
    await upload(contact, 'assemblyPlan');
    await contact.getByTestId('founding-assembly-date').fill(beijingDate(7));
    await contact.getByTestId('founding-expected-members').fill('80');
    await contact.getByTestId('founding-candidates').fill(`${CHAIR}、周晓梅、钱国强、吴丽、郑海`);
    await contact.getByTestId('founding-step-requestAssembly').click();
    await expect.poll(() => contact.getByTestId('founding-state').innerText()).toContain('审核会员大会申请');

    await consoleStep(cadre, 'approveAssembly');
  });

  it('the contact files the election results with the minutes and the vote count; they are approved', async () => {
    await portalFounding(contact, server);
    await expect.poll(() => contact.getByTestId('founding-state').innerText()).toContain('选举');
    await upload(contact, 'minutes');
    await upload(contact, 'voteTally');
    await contact.getByTestId('founding-elected-on').fill(beijingDate());
    await contact.getByTestId('founding-chair-name').fill(CHAIR);
    await contact.getByTestId('founding-vice-chairs').fill('周晓梅');
    await contact.getByTestId('founding-committee').fill(`${CHAIR}、周晓梅、钱国强`);
    await contact.getByTestId('founding-member-count').fill('78');
    await contact.getByTestId('founding-step-submitResults').click();
    await expect.poll(() => contact.getByTestId('founding-state').innerText()).toContain('审批选举结果');

    await cadre.getByTestId('nav-founding').click();
    await cadre.getByTestId('founding-applications').locator('tr', { hasText: UNIT }).first().click();
    await expect.poll(() => cadre.getByTestId('founding-election').innerText()).toContain(CHAIR);
    await screenshot(cadre, 'founding-results');
    await closeDrawer(cadre);
    await consoleStep(cadre, 'approveResults', '选举程序合法，同意成立');

    await portalFounding(contact, server);
    await expect.poll(() => contact.getByTestId('founding-state').innerText()).toContain('工会已成立');
    expect(await contact.getByTestId('founding-chair').innerText()).toContain(CHAIR);
    await screenshot(contact, 'founding-founded');
  });

  it('the new union stands in the console’s tree under the district, with its chair', async () => {
    await cadre.getByTestId('nav-orgs').click();
    const tree = cadre.getByTestId('org-tree');
    await expect.poll(() => tree.innerText()).toContain('雁塔区总工会');
    await tree
      .locator('.el-tree-node__content', { hasText: '雁塔区总工会' })
      .first()
      .locator('.el-tree-node__expand-icon')
      .click();
    const node = tree.locator('.el-tree-node__content', { hasText: UNION });
    await node.first().waitFor();
    await node.first().click();
    await expect.poll(() => cadre.getByTestId('org-detail').innerText()).toContain(UNION);
    await expect.poll(() => cadre.getByTestId('org-covered-units').innerText()).toContain(CHAIR);
    expect(await cadre.getByTestId('org-covered-units').innerText()).toContain(UNIT);
    await screenshot(cadre, 'founding-union-in-tree');
  });
});
