import type { CoreDeps } from '../deps.ts';
import { newId } from '../ids.ts';
import type { WriteScope } from '../unit-of-work.ts';
import type { NotificationTable } from '../../db/schema.ts';

/**
 * The in-app inbox and the SMS that may go with a message. Any module tells a user something
 * the same way:
 *
 *   const out = createOutbound();
 *   await write(ctx, async (s) => { …; out.tell({ userId, kind, title, body, link, sms }); await out.flush(s, now); });
 *   await out.sendSms(deps);
 *
 * The in-app rows are written in the caller's unit of work, so they commit or roll back with
 * the step they describe. The SMS leaves only after the commit: the adapter is not
 * transactional, and a crash between the two loses an SMS but never sends one for a step
 * that rolled back.
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

export interface SmsToAccount {
  userId: string;
  text: string;
  purpose: string;
}

const USER_PHONE_CTX = 'user.phone';
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

/**
 * Send SMS to accounts after the commit: phones read in one query per chunk and decrypted;
 * an account without a phone gets none. A failing gateway must not turn a committed step into
 * an error answer, so failures are counted and returned, not thrown.
 */
export async function smsToAccounts(
  deps: Pick<CoreDeps, 'db' | 'cipher' | 'sms'>,
  messages: readonly SmsToAccount[],
): Promise<{ sent: number; failed: number }> {
  let sent = 0;
  let failed = 0;
  for (let i = 0; i < messages.length; i += INSERT_CHUNK) {
    const chunk = messages.slice(i, i + INSERT_CHUNK);
    const ids = [...new Set(chunk.map((m) => m.userId))];
    const rows = await deps.db
      .selectFrom('user_account')
      .select(['id', 'phone_cipher'])
      .where('id', 'in', ids)
      .where('status', '=', 'active')
      .execute();
    // Decrypted once per account: a batch often tells one applicant of several applications.
    const phones = new Map(
      rows.filter((r) => r.phone_cipher).map((r) => [r.id, deps.cipher.decrypt(r.phone_cipher!, USER_PHONE_CTX)]),
    );
    for (const m of chunk) {
      const phone = phones.get(m.userId);
      if (!phone) continue;
      try {
        await deps.sms.send({ phone, text: m.text, purpose: m.purpose });
        sent++;
      } catch {
        failed++;
      }
    }
  }
  return { sent, failed };
}

/** Messages gathered during a unit of work: flushed inside it, their SMS sent after it. */
export function createOutbound() {
  const pending: InAppMessage[] = [];
  let committed: SmsToAccount[] = [];
  return {
    tell(m: InAppMessage) {
      pending.push(m);
    },
    /** Inside the unit of work, last: writes what was told since the previous flush. */
    async flush(s: Pick<WriteScope, 'trx'>, now: Date) {
      const batch = pending.splice(0);
      await notifyInApp(s, now, batch);
      committed = committed.concat(
        batch.filter((m) => m.sms).map((m) => ({ userId: m.userId, text: m.sms!, purpose: m.kind })),
      );
    },
    /** After the commit. */
    async sendSms(deps: Pick<CoreDeps, 'db' | 'cipher' | 'sms'>) {
      const batch = committed;
      committed = [];
      return smsToAccounts(deps, batch);
    },
  };
}
export type Outbound = ReturnType<typeof createOutbound>;
