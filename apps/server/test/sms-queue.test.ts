import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../src/core/actor.ts';
import { createSmsQueue, SMS_MAX_ATTEMPTS, type SmsQueue } from '../src/core/notify/sms-queue.ts';
import type { SmsSender } from '../src/core/notify/sms.ts';
import { makeUser } from './factories.ts';
import { createTestApp, createTestClock } from './harness.ts';

/**
 * The SMS queue (migration 0019): queued in the step's transaction, sent after the outermost
 * commit, retried with backoff by the periodic dispatch, never sent twice.
 */
const clock = createTestClock(new Date('2026-03-02T02:00:00Z'));
let t: Awaited<ReturnType<typeof createTestApp>>;

/** A gateway the test controls: records what it was given, fails while `down`. */
function gateway() {
  const sent: { phone: string; text: string }[] = [];
  const g = {
    sent,
    down: false,
    sender: {
      async send(m) {
        if (g.down) throw new Error('gateway timeout');
        sent.push({ phone: m.phone, text: m.text });
      },
    } satisfies SmsSender,
  };
  return g;
}

function queueOver(g: ReturnType<typeof gateway>): SmsQueue {
  return createSmsQueue({ db: t.app.core.db, cipher: t.app.core.cipher, sms: g.sender, now: clock.now });
}

const row = (id: string) =>
  t.app.core.db.selectFrom('sms_queue').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const rowsFor = (text: string) => t.app.core.db.selectFrom('sms_queue').selectAll().where('text', '=', text).execute();

/** One audited write that queues `texts` to `phone` on `queue`. */
async function queueIn(queue: SmsQueue, phone: string, texts: string[], fail = false): Promise<void> {
  await t.app.core.write({ actor: SYSTEM_ACTOR }, async (s) => {
    await queue.enqueue(
      s,
      texts.map((text) => ({ phone, text, purpose: 'test' })),
    );
    await s.audit({ action: 'test.sms', subjectType: 'test', subjectId: null });
    if (fail) throw new Error('rolled back');
  });
}

beforeAll(async () => {
  t = await createTestApp({}, { now: clock.now, runJobs: false });
});
afterAll(async () => {
  await t.close();
});

describe('the SMS queue', () => {
  it('a rolled-back step queues and sends nothing; a committed one sends once, after the commit', async () => {
    const g = gateway();
    const q = queueOver(g);
    await expect(queueIn(q, '13900000001', ['回滚的短信'], true)).rejects.toThrow('rolled back');
    expect(g.sent).toHaveLength(0);
    expect(await rowsFor('回滚的短信')).toHaveLength(0);

    let sentInside = -1;
    await t.app.core.write({ actor: SYSTEM_ACTOR }, async (s) => {
      await q.enqueue(s, [{ phone: '13900000001', text: '提交的短信', purpose: 'test' }]);
      await s.audit({ action: 'test.sms', subjectType: 'test', subjectId: null });
      sentInside = g.sent.length;
    });
    expect(sentInside).toBe(0);
    expect(g.sent).toEqual([{ phone: '13900000001', text: '提交的短信' }]);
    const [r] = await rowsFor('提交的短信');
    expect(r!.sent_at).not.toBeNull();
    expect(r!.attempts).toBe(1);
    // The phone given is kept encrypted, never in the clear.
    expect(r!.phone_cipher).not.toContain('13900000001');
    // Nothing left for the periodic dispatch, so nothing is sent twice.
    expect(await q.dispatchDue()).toEqual({ sent: 0, failed: 0, gaveUp: 0 });
    expect(g.sent).toHaveLength(1);
  });

  it('work nested in a larger unit of work sends only when the outer one commits', async () => {
    const g = gateway();
    const q = queueOver(g);
    let beforeOuterCommit = -1;
    await t.app.core.write({ actor: SYSTEM_ACTOR }, async (outer) => {
      // A module that runs another service's step inside its own transaction passes its scope on.
      const inner = async (work: (s: typeof outer) => Promise<void>) => work(outer);
      await inner(async (s) => {
        await q.enqueue(s, [{ phone: '13900000002', text: '嵌套的短信', purpose: 'test' }]);
        await s.audit({ action: 'test.sms', subjectType: 'test', subjectId: null });
      });
      beforeOuterCommit = g.sent.length;
    });
    expect(beforeOuterCommit).toBe(0);
    expect(g.sent.map((m) => m.text)).toEqual(['嵌套的短信']);
  });

  it('a failing gateway leaves the message due; the periodic dispatch retries with backoff, then gives up', async () => {
    const g = gateway();
    const q = queueOver(g);
    g.down = true;
    // The failure does not undo the committed step.
    await queueIn(q, '13900000003', ['重试的短信']);
    const [first] = await rowsFor('重试的短信');
    expect(first!.sent_at).toBeNull();
    expect(first!.attempts).toBe(1);
    expect(first!.last_error).toBe('gateway timeout');
    // Not due again yet.
    expect(await q.dispatchDue()).toEqual({ sent: 0, failed: 0, gaveUp: 0 });
    clock.advance(61_000);
    expect(await q.dispatchDue()).toEqual({ sent: 0, failed: 1, gaveUp: 0 });
    g.down = false;
    clock.advance(4 * 60_000 + 1_000);
    expect(await q.dispatchDue()).toEqual({ sent: 1, failed: 0, gaveUp: 0 });
    expect(g.sent.map((m) => m.text)).toEqual(['重试的短信']);

    g.down = true;
    await queueIn(q, '13900000003', ['放弃的短信']);
    for (let attempt = 2; attempt <= SMS_MAX_ATTEMPTS; attempt++) {
      clock.advance(60_000 * 4 ** (attempt - 2) + 1_000);
      const r = await q.dispatchDue();
      expect(r).toEqual(
        attempt === SMS_MAX_ATTEMPTS ? { sent: 0, failed: 0, gaveUp: 1 } : { sent: 0, failed: 1, gaveUp: 0 },
      );
    }
    const [given] = await rowsFor('放弃的短信');
    expect(given!.failed_at).not.toBeNull();
    clock.advance(24 * 3_600_000);
    expect(await q.dispatchDue()).toEqual({ sent: 0, failed: 0, gaveUp: 0 });
  });

  it('what a crash left queued is sent by the next dispatch, once, however many dispatchers run', async () => {
    const g = gateway();
    const q = queueOver(g);
    // As if the process died between the commit and the hand-over: rows committed, never dispatched.
    await t.app.core.write({ actor: SYSTEM_ACTOR }, async (s) => {
      await q.enqueue({ trx: s.trx, afterCommit: () => undefined }, [
        { phone: '13900000004', text: '崩溃后的短信一', purpose: 'test' },
        { phone: '13900000004', text: '崩溃后的短信二', purpose: 'test' },
      ]);
      await s.audit({ action: 'test.sms', subjectType: 'test', subjectId: null });
    });
    expect(g.sent).toHaveLength(0);
    const results = await Promise.all([q.dispatchDue(), q.dispatchDue(), queueOver(g).dispatchDue()]);
    expect(results.reduce((n, r) => n + r.sent, 0)).toBe(2);
    expect(g.sent.map((m) => m.text).sort()).toEqual(['崩溃后的短信一', '崩溃后的短信二']);
  });

  it('to an account: its phone as it is when sending; an account without a phone is given up, not retried', async () => {
    const g = gateway();
    const q = queueOver(g);
    const member = await makeUser(t.app, { kind: 'member', org: null });
    const cadre = await makeUser(t.app, { kind: 'cadre', phone: null });
    let ids: string[] = [];
    await t.app.core.write({ actor: SYSTEM_ACTOR }, async (s) => {
      await q.enqueue({ trx: s.trx, afterCommit: () => undefined }, [
        { userId: member.user.id, text: '给会员', purpose: 'test' },
        { userId: cadre.user.id, text: '给无手机的干部', purpose: 'test' },
      ]);
      ids = (
        await s.trx
          .selectFrom('sms_queue')
          .select('id')
          .where('purpose', '=', 'test')
          .where('text', 'in', ['给会员', '给无手机的干部'])
          .execute()
      ).map((r) => r.id);
      await s.audit({ action: 'test.sms', subjectType: 'test', subjectId: null });
    });
    expect(await q.dispatch(ids)).toEqual({ sent: 1, failed: 0, gaveUp: 1 });
    expect(g.sent).toEqual([{ phone: member.phone!, text: '给会员' }]);
    const noPhone = (await rowsFor('给无手机的干部'))[0]!;
    expect((await row(noPhone.id)).last_error).toBe('no phone');
  });
});
