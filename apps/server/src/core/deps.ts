import type { Kysely } from 'kysely';
import type { Config } from '../config.ts';
import type { DialectName } from '../db/dialect.ts';
import type { DB } from '../db/schema.ts';
import type { AuditLog } from './audit/audit.ts';
import type { BlindIndexer } from './crypto/blind-index.ts';
import type { FieldCipher } from './crypto/field-cipher.ts';
import type { JobQueue } from './jobs/jobs.ts';
import type { SmsQueue } from './notify/sms-queue.ts';
import type { SmsSender } from './notify/sms.ts';
import type { UnitOfWork } from './unit-of-work.ts';

/** What every service is built from. Created once in app.ts; tests build their own. */
export interface CoreDeps {
  config: Config;
  db: Kysely<DB>;
  dialect: DialectName;
  write: UnitOfWork;
  audit: AuditLog;
  cipher: FieldCipher;
  blind: BlindIndexer;
  jobs: JobQueue;
  /** The gateway adapter: only sign-in codes use it directly. */
  sms: SmsSender;
  /** Every other SMS: queued in the step's transaction, sent after its commit, retried. */
  smsQueue: SmsQueue;
  /** Current time; tests move it to cover timeouts and expiry. */
  now: () => Date;
}
