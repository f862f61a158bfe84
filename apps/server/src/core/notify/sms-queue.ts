import type { Kysely } from 'kysely';
import type { DB, SmsQueueTable } from '../../db/schema.ts';
import type { FieldCipher } from '../crypto/field-cipher.ts';
import { newId } from '../ids.ts';
import type { WriteScope } from '../unit-of-work.ts';
import type { SmsSender } from './sms.ts';

/**
 * Every SMS a step sends goes through this queue (migration 0019): the row is written in the
 * step's own transaction and handed to the gateway after the commit. So a step that rolls
 * back sends nothing, a step nested in a larger unit of work sends only when that one commits,
 * and a crash or a gateway failure after the commit leaves the row due for the periodic
 * dispatch instead of losing the message. Sign-in codes are the exception: they go out
 * directly, since a code that arrives a minute late is worthless.
 */

/** To an account (its phone as it is when sending) or to a phone given now. */
export type QueuedSms = { text: string; purpose: string } & ({ userId: string } | { phone: string });

export interface SmsQueueDeps {
  /** The database itself, never a transaction: dispatch runs after commits. */
  db: Kysely<DB>;
  cipher: FieldCipher;
  sms: SmsSender;
  now: () => Date;
}

const USER_PHONE_CTX = 'user.phone';
const QUEUE_PHONE_CTX = 'sms_queue.phone';
// Rows per INSERT or per claim: 9 parameters a row, well under both engines' limits.
const CHUNK = 500;
/** A dispatcher owns its claimed rows this long; one that died mid-send leaves them due again. */
const CLAIM_MS = 5 * 60 * 1000;
/** After the fifth failed attempt a message is given up (failed_at, last_error kept). */
export const SMS_MAX_ATTEMPTS = 5;
/** Wait before attempt n+1: 1, 4, 16, 64 minutes. */
const backoffMs = (attempts: number) => 60_000 * 4 ** (attempts - 1);

export interface DispatchResult {
  sent: number;
  /** Failed this time; due again later unless given up. */
  failed: number;
  /** Given up now: no phone to send to, or the last attempt failed. */
  gaveUp: number;
}

export function createSmsQueue(deps: SmsQueueDeps) {
  const { db, cipher, sms } = deps;

  /** Claim due rows (these ids, or any due): one conditional UPDATE, so two dispatchers never share a row. */
  async function claim(ids: readonly string[] | null, limit: number): Promise<SmsQueueTable[]> {
    const now = deps.now();
    const at = now.toISOString();
    let due = db
      .selectFrom('sms_queue')
      .select('id')
      .where('sent_at', 'is', null)
      .where('failed_at', 'is', null)
      .where('next_attempt_at', '<=', at)
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', at)]));
    due = ids ? due.where('id', 'in', ids) : due.orderBy('next_attempt_at').limit(limit);
    return db
      .updateTable('sms_queue')
      .set((eb) => ({
        claimed_until: new Date(now.getTime() + CLAIM_MS).toISOString(),
        attempts: eb('attempts', '+', 1),
      }))
      .where('id', 'in', due)
      .where('sent_at', 'is', null)
      .where('failed_at', 'is', null)
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', at)]))
      .returningAll()
      .execute();
  }

  async function phonesOf(rows: readonly SmsQueueTable[]): Promise<Map<string, string>> {
    const ids = [...new Set(rows.flatMap((r) => (r.user_id ? [r.user_id] : [])))];
    if (ids.length === 0) return new Map();
    const accounts = await db
      .selectFrom('user_account')
      .select(['id', 'phone_cipher'])
      .where('id', 'in', ids)
      .where('status', '=', 'active')
      .execute();
    // Decrypted once per account: a batch often tells one applicant of several applications.
    return new Map(
      accounts.filter((a) => a.phone_cipher).map((a) => [a.id, cipher.decrypt(a.phone_cipher!, USER_PHONE_CTX)]),
    );
  }

  async function send(rows: readonly SmsQueueTable[]): Promise<DispatchResult> {
    const result: DispatchResult = { sent: 0, failed: 0, gaveUp: 0 };
    const phones = await phonesOf(rows);
    for (const row of rows) {
      const phone = row.user_id ? phones.get(row.user_id) : cipher.decrypt(row.phone_cipher!, QUEUE_PHONE_CTX);
      const at = deps.now().toISOString();
      if (!phone) {
        // An account without a phone (or closed) has nobody to send to: nothing to retry.
        await db
          .updateTable('sms_queue')
          .set({ failed_at: at, claimed_until: null, last_error: 'no phone' })
          .where('id', '=', row.id)
          .execute();
        result.gaveUp++;
        continue;
      }
      try {
        await sms.send({ phone, text: row.text, purpose: row.purpose });
      } catch (err) {
        const last = row.attempts >= SMS_MAX_ATTEMPTS;
        await db
          .updateTable('sms_queue')
          .set({
            claimed_until: null,
            last_error: (err instanceof Error ? err.message : String(err)).slice(0, 500),
            ...(last
              ? { failed_at: at }
              : { next_attempt_at: new Date(deps.now().getTime() + backoffMs(row.attempts)).toISOString() }),
          })
          .where('id', '=', row.id)
          .execute();
        if (last) result.gaveUp++;
        else result.failed++;
        continue;
      }
      await db
        .updateTable('sms_queue')
        .set({ sent_at: at, claimed_until: null, last_error: null })
        .where('id', '=', row.id)
        .execute();
      result.sent++;
    }
    return result;
  }

  const queue = {
    /**
     * Inside the caller's unit of work: queue the messages with the step, and hand them to
     * the gateway once the outermost transaction has committed.
     */
    async enqueue(s: Pick<WriteScope, 'trx' | 'afterCommit'>, messages: readonly QueuedSms[]): Promise<void> {
      if (messages.length === 0) return;
      const at = deps.now().toISOString();
      const rows: SmsQueueTable[] = messages.map((m) => ({
        id: newId(),
        user_id: 'userId' in m ? m.userId : null,
        phone_cipher: 'phone' in m ? cipher.encrypt(m.phone, QUEUE_PHONE_CTX) : null,
        text: m.text,
        purpose: m.purpose,
        created_at: at,
        next_attempt_at: at,
        attempts: 0,
        claimed_until: null,
        sent_at: null,
        failed_at: null,
        last_error: null,
      }));
      for (let i = 0; i < rows.length; i += CHUNK) {
        await s.trx
          .insertInto('sms_queue')
          .values(rows.slice(i, i + CHUNK))
          .execute();
      }
      const ids = rows.map((r) => r.id);
      s.afterCommit(() => queue.dispatch(ids));
    },

    /** Send these queued rows now (after their commit); rows another dispatcher holds are left to it. */
    async dispatch(ids: readonly string[]): Promise<DispatchResult> {
      const total: DispatchResult = { sent: 0, failed: 0, gaveUp: 0 };
      for (let i = 0; i < ids.length; i += CHUNK) {
        const r = await send(await claim(ids.slice(i, i + CHUNK), CHUNK));
        total.sent += r.sent;
        total.failed += r.failed;
        total.gaveUp += r.gaveUp;
      }
      return total;
    },

    /** Periodic upkeep: everything due, a chunk at a time, until nothing due is left unclaimed. */
    async dispatchDue(): Promise<DispatchResult> {
      const total: DispatchResult = { sent: 0, failed: 0, gaveUp: 0 };
      for (;;) {
        const rows = await claim(null, CHUNK);
        if (rows.length === 0) return total;
        const r = await send(rows);
        total.sent += r.sent;
        total.failed += r.failed;
        total.gaveUp += r.gaveUp;
      }
    },
  };
  return queue;
}
export type SmsQueue = ReturnType<typeof createSmsQueue>;
