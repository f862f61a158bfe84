import { newId } from '../ids.ts';
import type { WriteScope } from '../unit-of-work.ts';
import type { SmsQueue } from './sms-queue.ts';
import type { NotificationTable } from '../../db/schema.ts';

/**
 * The in-app inbox and the SMS that may go with a message. Any module tells a user something
 * the same way:
 *
 *   const out = createOutbound(deps.smsQueue);
 *   await write(ctx, async (s) => { …; out.tell({ userId, kind, title, body, link, sms }); await out.flush(s, now); });
 *
 * The in-app rows and the queued SMS are written in the caller's unit of work, so they commit
 * or roll back with the step they describe; the SMS queue (`sms-queue.ts`) hands the SMS to
 * the gateway after the commit and retries what a crash or a gateway failure left.
 */

export type Localized = { 'zh-CN': string; en: string };

export interface InAppMessage {
  /** The sign-in account told. */
  userId: string;
  /** What kind of message, e.g. workflow.step; stable, for clients to pick an icon or filter. */
  kind: string;
  title: Localized;
  body: Localized;
  /** What the message is about, for the client to open (e.g. { type: 'workflow', id }). */
  link?: { type: string; id: string } | null;
  /** Text of an SMS to the account's phone after the commit; absent: in-app only. */
  sms?: string | null;
}

// Rows per INSERT: 11 parameters each, well under SQLite's and PostgreSQL's limits.
const INSERT_CHUNK = 500;

/** Write in-app messages inside the caller's transaction, one multi-row INSERT per chunk. */
export async function notifyInApp(
  s: Pick<WriteScope, 'trx'>,
  now: Date,
  messages: readonly Omit<InAppMessage, 'sms'>[],
): Promise<void> {
  const at = now.toISOString();
  const rows: NotificationTable[] = messages.map((m) => ({
    id: newId(),
    user_id: m.userId,
    kind: m.kind,
    title_zh: m.title['zh-CN'],
    title_en: m.title.en,
    body_zh: m.body['zh-CN'],
    body_en: m.body.en,
    link_type: m.link?.type ?? null,
    link_id: m.link?.id ?? null,
    created_at: at,
    read_at: null,
  }));
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    await s.trx
      .insertInto('notification')
      .values(rows.slice(i, i + INSERT_CHUNK))
      .execute();
  }
}

/** Messages gathered during a unit of work, written into it by `flush`. */
export function createOutbound(queue: SmsQueue) {
  const pending: InAppMessage[] = [];
  return {
    tell(m: InAppMessage) {
      pending.push(m);
    },
    /**
     * Inside the unit of work, last: writes what was told since the previous flush, and queues
     * its SMS, which the queue hands to the gateway after the outermost commit.
     */
    async flush(s: Pick<WriteScope, 'trx' | 'afterCommit'>, now: Date) {
      const batch = pending.splice(0);
      await notifyInApp(s, now, batch);
      await queue.enqueue(
        s,
        batch.filter((m) => m.sms).map((m) => ({ userId: m.userId, text: m.sms!, purpose: m.kind })),
      );
    },
  };
}
export type Outbound = ReturnType<typeof createOutbound>;
