import fs from 'node:fs';
import ExcelJS from 'exceljs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newContext, passwordSignIn, type RunningServer, screenshot, startServer } from '../harness.ts';

const ROWS = 1000;
/** Every hundredth row, offset so neither the first nor the last row is bad. */
const isBad = (i: number) => i % 100 === 37;
const BAD = Array.from({ length: ROWS }, (_, i) => i).filter(isBad).length;

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';
/** GB 11643 check character of the first 17 digits. */
function checkChar(first17: string): string {
  const sum = [...first17].reduce((s, d, i) => s + Number(d) * WEIGHTS[i]!, 0);
  return CHECK[sum % 11]!;
}

/**
 * A Beijing (110101) birth-registered ID number per row: the demo data is Shaanxi's, so these
 * people are new to the database. Birth dates five days apart keep every number distinct.
 */
function idNumberOf(i: number): string {
  const birth = new Date(Date.UTC(1980, 0, 1) + i * 5 * 86_400_000);
  const ymd = birth.toISOString().slice(0, 10).replaceAll('-', '');
  const first17 = `110101${ymd}${String(100 + (i % 800)).padStart(3, '0')}`;
  const good = checkChar(first17);
  // A bad row carries a wrong check character: the preview and the import both refuse it.
  return first17 + (isBad(i) ? CHECK[(CHECK.indexOf(good) + 1) % 11]! : good);
}

const SURNAMES = '王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗';
const GIVEN = '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂';
function nameOf(i: number): string {
  return `${SURNAMES[i % SURNAMES.length]}${GIVEN[Math.floor(i / SURNAMES.length) % GIVEN.length]}${GIVEN[i % GIVEN.length]}`;
}

/** The roster as a cadre's spreadsheet would export it: UTF-8 CSV with a BOM, Chinese headers and labels. */
function rosterCsv(): Buffer {
  const header = [
    '姓名',
    '身份证号',
    '民族',
    '政治面貌',
    '学历',
    '户籍类型',
    '户籍地(区划代码)',
    '用工形式',
    '入会日期',
  ];
  const lines = [header.join(',')];
  for (let i = 0; i < ROWS; i++) {
    lines.push(
      [nameOf(i), idNumberOf(i), '汉族', '群众', '本科', '城镇户口', '610113', '固定职工', '2024-03-01'].join(','),
    );
  }
  return Buffer.from(`\uFEFF${lines.join('\r\n')}\r\n`, 'utf8');
}

/** Read the error report, put the right check character on each ID number, and save it as a new xlsx. */
async function fixErrorReport(file: string): Promise<{ buffer: Buffer; rows: number }> {
  const book = new ExcelJS.Workbook();
  await book.xlsx.readFile(file);
  const sheet = book.worksheets[0]!;
  let idColumn = 0;
  let headerRow = 0;
  sheet.eachRow((row, n) => {
    if (headerRow) return;
    row.eachCell((cell, col) => {
      if (String(cell.text).replace('*', '').trim() === '身份证号') {
        idColumn = col;
        headerRow = n;
      }
    });
  });
  expect(idColumn).toBeGreaterThan(0);
  let rows = 0;
  sheet.eachRow((row, n) => {
    if (n <= headerRow) return;
    const cell = row.getCell(idColumn);
    const id = String(cell.text).trim();
    if (!/^\d{17}[\dX]$/.test(id)) return;
    cell.value = id.slice(0, 17) + checkChar(id.slice(0, 17));
    rows++;
  });
  return { buffer: Buffer.from(await book.xlsx.writeBuffer()), rows };
}

async function signIn(page: Page, url: string, account: string): Promise<void> {
  await passwordSignIn(page, `${url}/`, account);
  await page.getByTestId('user-menu').waitFor();
}

interface OrgRow {
  id: string;
  name: string;
  type: string;
  status: string;
}

/** The first active grassroots union below the top of the cadre's scope, breadth first. */
async function findGrassroots(page: Page, url: string): Promise<{ top: OrgRow; union: OrgRow }> {
  const roots = (await (await page.request.get(`${url}/api/orgs`)).json()) as { items: OrgRow[] };
  const top = roots.items[0]!;
  let level: OrgRow[] = [top];
  for (let depth = 0; depth < 4 && level.length > 0; depth++) {
    const next: OrgRow[] = [];
    for (const org of level) {
      const { items } = (await (await page.request.get(`${url}/api/orgs/${org.id}/children`)).json()) as {
        items: OrgRow[];
      };
      const hit = items.find((o) => o.type === 'grassroots' && o.status === 'active');
      if (hit) return { top, union: hit };
      next.push(...items.filter((o) => o.status === 'active'));
    }
    level = next.slice(0, 20);
  }
  throw new Error('no grassroots union in the demo scope');
}

/** Members of the scope's top organization, as the org tree's statistics panel shows them. */
async function membersInTree(page: Page, url: string): Promise<number> {
  await page.goto(`${url}/orgs`);
  const figure = page.getByTestId('org-stats-members');
  await figure.waitFor();
  return Number((await figure.innerText()).replace(/[^\d]/g, ''));
}

async function uploadAndCheck(page: Page, name: string, mimeType: string, buffer: Buffer): Promise<void> {
  await page.locator('[data-testid="import-step-upload"] input[type=file]').setInputFiles({ name, mimeType, buffer });
  await page.getByTestId('import-step-preview').waitFor({ timeout: 60_000 });
}

async function startAndFinish(page: Page): Promise<{ created: number; bad: number }> {
  await page.getByTestId('import-start').click();
  await page.getByTestId('import-step-result').waitFor({ timeout: 120_000 });
  const read = async (id: string) => Number((await page.getByTestId(id).innerText()).replace(/[^\d]/g, ''));
  return { created: await read('import-created'), bad: await read('import-bad') };
}

describe('a county cadre imports a roster through the wizard', () => {
  let server: RunningServer;
  let browser: Browser;
  /** The union the roster went into, for the journey after the import. */
  let imported: OrgRow | undefined;
  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('imports 1,000 rows, fixes the 10 bad ones from the error report and sees the statistics grow by 1,000', async () => {
    const context = await newContext(browser, 'desktop');
    const page = await context.newPage();
    await signIn(page, server.url, 'yanta_cadre');
    const { top, union } = await findGrassroots(page, server.url);
    imported = union;
    const before = await membersInTree(page, server.url);
    await expect.poll(() => page.getByTestId('org-detail').innerText()).toContain(top.name);

    // The wizard, opened for the union as the org page's link does; the template comes first.
    await page.goto(`${server.url}/imports?orgId=${encodeURIComponent(union.id)}`);
    const [template] = await Promise.all([page.waitForEvent('download'), page.getByTestId('import-template').click()]);
    expect(template.suggestedFilename()).toMatch(/\.xlsx$/);
    await page.getByTestId('import-next').click();

    // Upload: the preview reads the headers and finds the ten bad check characters.
    await uploadAndCheck(page, '会员名册.csv', 'text/csv', rosterCsv());
    await expect.poll(() => page.getByTestId('import-summary').innerText()).toContain(`${BAD}`);
    expect(await page.getByTestId('import-problems').innerText()).toContain('校验位');
    await screenshot(page, 'import-preview');

    // Import: everything but the ten bad rows goes in.
    const first = await startAndFinish(page);
    expect(first).toEqual({ created: ROWS - BAD, bad: BAD });
    await screenshot(page, 'import-result');

    // The error report holds the ten rows as uploaded, with the reasons; fix them in the file.
    const [report] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('import-error-report').click(),
    ]);
    const reportPath = await report.path();
    expect(reportPath && fs.existsSync(reportPath)).toBeTruthy();
    const fixed = await fixErrorReport(reportPath);
    expect(fixed.rows).toBe(BAD);

    // Upload the corrected report: the reasons column is ignored, nothing is wrong any more.
    await page.getByTestId('import-again').click();
    await uploadAndCheck(
      page,
      '错误报告-已修改.xlsx',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      fixed.buffer,
    );
    expect(await page.getByTestId('import-problems').count()).toBe(0);
    const second = await startAndFinish(page);
    expect(second).toEqual({ created: BAD, bad: 0 });

    // The organization tree's statistics count all thousand new members.
    await expect.poll(() => membersInTree(page, server.url), { timeout: 30_000 }).toBe(before + ROWS);
    await screenshot(page, 'import-org-stats');
  });

  it('finds the imported members masked, opens one with its history, and exports the union as CSV', async () => {
    expect(imported).toBeDefined();
    const union = imported!;
    const page = await (await newContext(browser, 'desktop')).newPage();
    await signIn(page, server.url, 'yanta_cadre');

    // The list, narrowed to the union as its org page links it, searched by a full ID number.
    await page.goto(`${server.url}/members?orgId=${encodeURIComponent(union.id)}`);
    await page.getByTestId('members-q').fill(idNumberOf(0));
    await page.getByTestId('members-search').click();
    const table = page.getByTestId('members-table');
    await expect.poll(() => table.innerText()).toContain(`${idNumberOf(0).slice(0, 4)}**********`);
    expect(await table.innerText()).not.toContain(idNumberOf(0));

    // The detail: masked fields and the membership on the timeline; no reveal without member.reveal.
    await table.locator('a').first().click();
    await expect.poll(() => page.getByTestId('member-history').innerText()).toContain(union.name);
    expect(await page.getByTestId('member-reveal').count()).toBe(0);
    await screenshot(page, 'member-detail');

    // Export the union's members as CSV from the list: masked, since the cadre may not unmask.
    await page.goto(`${server.url}/members?orgId=${encodeURIComponent(union.id)}`);
    await page.getByTestId('members-export').click();
    expect(await page.getByTestId('export-sensitive').count()).toBe(0);
    await page.getByTestId('export-format').getByText('CSV').click();
    const [file] = await Promise.all([
      page.waitForEvent('download', { timeout: 60_000 }),
      page.getByTestId('export-start').click(),
    ]);
    const text = fs.readFileSync((await file.path())!, 'utf8');
    expect(text).toContain('姓名');
    expect(text.split(/\r?\n/).filter(Boolean).length).toBeGreaterThan(ROWS);
    expect(text).not.toContain(idNumberOf(1));
  });
});
