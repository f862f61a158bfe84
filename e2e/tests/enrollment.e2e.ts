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

const UNION_NAME = '西安高新智造科技有限公司工会';
/** A phone nobody in the demo has: a worker who has never used the platform. */
const WORKER_PHONE = '13700001234';
const WORKER_NAME = '马师傅';
/** A valid ID number (GB 11643 check character) of a man born 1990-05-12 in Yanta district. */
const WORKER_ID = '610113199005121234';

type Org = { id: string; name: string };

/** The union's id, found by walking the cadre's tree from its roots (the console's own calls). */
async function findUnion(page: Page, url: string): Promise<string> {
  let level: Org[] = (await (await page.request.get(`${url}/api/orgs`)).json()).items;
  for (let depth = 0; depth < 5 && level.length > 0; depth++) {
    const hit = level.find((o) => o.name === UNION_NAME);
    if (hit) return hit.id;
    const next: Org[] = [];
    for (const o of level) {
      const res = await page.request.get(`${url}/api/orgs/${o.id}/children?pageSize=200`);
      if (res.ok()) next.push(...((await res.json()) as { items: Org[] }).items);
    }
    level = next;
  }
  throw new Error(`${UNION_NAME} not found`);
}

/**
 * Group enrollment end to end: a Xi'an cadre publishes an enrollment event for a union and
 * shows its QR code in the console; a worker who has never used the platform opens the code's
 * link on a phone, signs in by SMS, and applies with the event's presets; the cadre approves
 * the event's batch in one step in the console, and the worker's application is approved.
 */
describe('group enrollment by an event QR code', () => {
  let server: RunningServer;
  let browser: Browser;
  let cadre: Page;
  let worker: Page;
  let link = '';

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    cadre = await (await newContext(browser, 'desktop')).newPage();
    worker = await (await newContext(browser, 'phone')).newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('the cadre publishes an event and shows its QR code', async () => {
    await passwordSignIn(cadre, `${server.url}/`, 'xian_cadre');
    await cadre.getByTestId('user-menu').waitFor();
    // The event is published with the console's session (its CSRF token), for the demo union.
    const session = await (await cadre.request.get(`${server.url}/api/auth/session`)).json();
    const orgId = await findUnion(cadre, server.url);
    const now = Date.now();
    const created = await cadre.request.post(`${server.url}/api/enrollment/events`, {
      headers: { 'x-csrf-token': session.csrfToken },
      data: {
        orgId,
        title: '高新区网约车司机集中入会',
        place: '高新区司机之家',
        opensAt: new Date(now - 3_600_000).toISOString(),
        closesAt: new Date(now + 7 * 86_400_000).toISOString(),
        workUnitName: '某网约车平台',
        employmentType: 'new_form',
        newFormGroup: 'ride_hailing',
      },
    });
    expect(created.status()).toBe(201);

    await cadre.getByTestId('nav-enrollment').click();
    const row = cadre.getByTestId('enrollment-batches').locator('tr', { hasText: '高新区网约车司机集中入会' });
    await row.getByTestId('batch-qr').click();
    await cadre.getByTestId('event-qr').locator('img').waitFor();
    link = (await cadre.getByTestId('event-link').innerText()).trim();
    expect(link).toMatch(/\/m\/join\/e\/[a-z2-7]{12}$/);
    await screenshot(cadre, 'enrollment-event-qr');
    await cadre.keyboard.press('Escape');
  });

  it('a worker opens the link, signs in by SMS and applies with the event’s presets', async () => {
    await worker.goto(link);
    await smsSignIn(worker, server, WORKER_PHONE);
    await worker.getByTestId('event-join-event').waitFor();
    expect(await worker.getByTestId('event-join-event').innerText()).toContain(UNION_NAME);
    await worker.getByTestId('event-join-name').fill(WORKER_NAME);
    await worker.getByTestId('event-join-id-number').fill(WORKER_ID);
    await worker.getByTestId('event-join-submit').click();
    await worker.getByTestId('event-join-done').waitFor();
    expect(await worker.getByTestId('event-join-done').innerText()).toContain('审核');
    await screenshot(worker, 'enrollment-worker-applied');
  });

  it('the cadre approves the batch in one step, and the worker is a member', async () => {
    await cadre.reload();
    const row = cadre.getByTestId('enrollment-batches').locator('tr', { hasText: '高新区网约车司机集中入会' });
    await expect.poll(() => row.getByTestId('batch-pending').innerText()).toBe('1');
    await row.getByTestId('batch-approve').click();
    await cadre.locator('.el-message-box').getByRole('button', { name: '确定' }).click();
    await expect.poll(() => row.getByTestId('batch-approved').innerText()).toBe('1');
    await screenshot(cadre, 'enrollment-batch-approved');

    const mine = await worker.request.get(`${server.url}/api/me/applications`);
    expect(JSON.stringify(await mine.json())).toContain('approved');
  });
});
