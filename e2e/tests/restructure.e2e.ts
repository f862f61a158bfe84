import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newContext, passwordSignIn, type RunningServer, screenshot, startServer } from '../harness.ts';

/** Three join applications wait on it in the demo: its merger must wait for them. */
const BUSY_UNION = '西安高新智造科技有限公司工会';
const SOURCE = '雁塔安泰食品餐饮有限公司工会';
const TARGET = '雁塔区妇幼保健院工会';
/** Where the two demo unions sit, from the city down. */
const PATH_TO_TARGET = ['西安市总工会', '雁塔区总工会', '小寨路街道总工会'];

/** Open the tree nodes named, in order, below `within` (the page's tree or the picker's). */
async function expand(within: Locator, names: readonly string[]): Promise<void> {
  for (const name of names) {
    const row = within.locator('.el-tree-node__content', { hasText: name }).first();
    await row.waitFor();
    const icon = row.locator('.el-tree-node__expand-icon');
    if (!(await icon.getAttribute('class'))?.includes('expanded')) await icon.click();
  }
}

async function openMerge(page: Page, union: string): Promise<Locator> {
  const tree = page.getByTestId('org-tree');
  await tree.locator('.el-tree-node__content', { hasText: union }).first().click();
  await expect.poll(() => page.getByTestId('org-detail').innerText()).toContain(union);
  await page.getByTestId('org-actions').click();
  await page.getByTestId('org-action-merge').click();
  const dialog = page.getByTestId('org-merge-dialog');
  await dialog.waitFor();
  return dialog;
}

async function pickTarget(page: Page, dialog: Locator): Promise<Locator> {
  await dialog.locator('.org-tree-select').click();
  const picker = page.locator('.el-select__popper:visible').last();
  await expand(picker, PATH_TO_TARGET);
  await picker.locator('.el-tree-node__content', { hasText: TARGET }).first().click();
  const preview = dialog.getByTestId('org-merge-preview');
  await preview.waitFor();
  return preview;
}

/**
 * A city cadre merges one grassroots union into another through the org tree. The dialog
 * says, once the target is picked, what the merger will move and what must be settled first;
 * while something stops it, it cannot be sent.
 */
describe('a cadre merges two unions in the console', () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    page = await (await newContext(browser, 'desktop')).newPage();
    await passwordSignIn(page, `${server.url}/`, 'xian_cadre');
    await page.getByTestId('user-menu').waitFor();
    await page.getByTestId('nav-orgs').click();
    await expand(page.getByTestId('org-tree'), PATH_TO_TARGET);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('a union with applications under review cannot be merged yet, and the dialog says why', async () => {
    const dialog = await openMerge(page, BUSY_UNION);
    const preview = await pickTarget(page, dialog);
    expect(await preview.innerText()).toContain('还有 3 件申请待审核或在公示中，须先办结');
    expect(await dialog.getByRole('button', { name: '合并到其他组织' }).isDisabled()).toBe(true);
    await screenshot(page, 'console-merge-blocked');
    await dialog.getByRole('button', { name: '取消' }).click();
    await dialog.waitFor({ state: 'hidden' });
  });

  it('another is merged: the preview matches what the merger then reports', async () => {
    const dialog = await openMerge(page, SOURCE);
    const preview = await pickTarget(page, dialog);
    const said = await preview.innerText();
    const members = /转入会员 (\d+) 人/.exec(said)?.[1];
    expect(members).toMatch(/^[1-9]\d*$/);
    await screenshot(page, 'console-merge-preview');
    await dialog.locator('textarea').fill('两家单位合并办公');
    await dialog.getByRole('button', { name: '合并到其他组织' }).click();
    await page
      .getByRole('button', { name: /确定|确认/ })
      .last()
      .click();
    await expect
      .poll(() => page.locator('.el-message').allInnerTexts())
      .toContainEqual(expect.stringContaining(`已合并：转入会员 ${members} 人`));
    // The merged union leaves the tree (it stays on record, listed on request).
    await expect
      .poll(() => page.getByTestId('org-tree').locator('.el-tree-node__content', { hasText: SOURCE }).count())
      .toBe(0);
  });
});
