import path from 'node:path';
import { IMPORT_DEFAULT_MAX_BYTES } from '@zhgh/contracts';
import { z } from 'zod';

/**
 * Configuration comes only from the environment and is validated once at boot. A bad value
 * stops the process with the variable named, so a misconfigured server never half-starts.
 */
const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/.+/, 'must be a postgres:// URL; leave it unset for the embedded SQLite file')
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Field cipher for ID numbers, phones and bank cards. */
  FIELD_CIPHER: z.enum(['aes-256-gcm', 'sm4-cbc-hmac-sm3']).default('aes-256-gcm'),
  /**
   * Key ring as `kid:base64key,kid:base64key`; the first is used to encrypt, all decrypt.
   * Unset in the embedded default: keys are generated into DATA_DIR on first start.
   */
  FIELD_KEYS: z
    .string()
    .regex(
      /^[A-Za-z0-9_-]+:[A-Za-z0-9+/=]+(,[A-Za-z0-9_-]+:[A-Za-z0-9+/=]+)*$/,
      'must be kid:base64key[,kid:base64key…]',
    )
    .optional(),
  /** Key for blind indexes (base64, 32 bytes). Never rotated without a re-index job. */
  BLIND_INDEX_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/=]{43,}$/, 'must be 32 bytes in base64')
    .optional(),
  /** Key for the audit chain's keyed hash (base64, 32 bytes). */
  AUDIT_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/=]{43,}$/, 'must be 32 bytes in base64')
    .optional(),
  /**
   * Load the demo federation, accounts and member into an empty database at start. On by
   * default outside production, so `npm start` on a fresh machine shows a working platform.
   */
  DEMO_DATA: z.enum(['auto', 'true', 'false']).default('auto'),
  /** Serve the built console and portal from this process (production). */
  SERVE_WEB: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /** Consecutive failed sign-ins before the account locks (等保: limit failures). */
  LOCKOUT_THRESHOLD: z.coerce.number().int().min(1).max(100).default(5),
  LOCKOUT_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(15),
  /** Idle timeout of sessions, per user kind. */
  SESSION_IDLE_MEMBER_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(30),
  SESSION_IDLE_CADRE_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(15),
  SESSION_IDLE_MERCHANT_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(30),
  /** Absolute session lifetime, whatever the activity. */
  SESSION_ABSOLUTE_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(12),
  /** Cadre passwords expire after this many days (等保); 0 turns expiry off. */
  PASSWORD_MAX_AGE_DAYS: z.coerce.number().int().min(0).max(3650).default(90),
  /** SMS sign-in codes requested from one address per hour. */
  SMS_IP_LIMIT_PER_HOUR: z.coerce.number().int().min(1).default(30),
  /** Sign-in attempts from one address per minute (all accounts). */
  LOGIN_IP_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(60),
  /** Member-card checks from one address per minute (all merchants behind it). */
  CARD_VERIFY_IP_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(120),
  /** Member-card checks by one merchant account per minute, counted from the check log. */
  CARD_VERIFY_ACCOUNT_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  /** Cookie Secure flag: `auto` sets it when the request arrived over HTTPS. */
  COOKIE_SECURE: z.enum(['auto', 'true', 'false']).default('auto'),
  /** Where SMS goes: the local outbox file (development, tests, demo). */
  SMS_ADAPTER: z.enum(['outbox']).default('outbox'),
  /**
   * Largest roster file accepted for import, in bytes (256 MB): a million-row CSV of the
   * template's columns is about 175 MB, the same roster as xlsx about 100 MB.
   */
  IMPORT_MAX_BYTES: z.coerce.number().int().min(1024).default(IMPORT_DEFAULT_MAX_BYTES),
  /**
   * Largest total an xlsx may unpack to, judged from its ZIP directory before unpacking and
   * again while inflating (2 GB): a million-row sheet's XML alone approaches 1 GB.
   */
  IMPORT_MAX_UNZIPPED_BYTES: z.coerce
    .number()
    .int()
    .min(1024 * 1024)
    .default(2 * 1024 * 1024 * 1024),
  /**
   * Roster rows an import job writes per transaction (and per checkpoint): large enough that
   * commits and audit events are cheap per row, small enough that a cancel is quick.
   */
  IMPORT_CHUNK_ROWS: z.coerce.number().int().min(1).max(50_000).default(5_000),
  /**
   * Runs the platform's clock this many days ahead (demos and browser journeys that must see
   * a public notice period end or a deadline pass). Refused in production.
   */
  DEV_CLOCK_OFFSET_DAYS: z.coerce.number().int().min(0).max(3650).default(0),
});

export type Config = Omit<z.infer<typeof schema>, 'DATA_DIR'> & {
  DATA_DIR: string;
  database: { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };
};

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; reason: string }[]) {
    super('Invalid configuration: ' + problems.map((p) => `${p.variable}: ${p.reason}`).join('; '));
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset, as shells and .env files produce them for "no value".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? '?'), reason: i.message })));
  }
  const c = parsed.data;
  if (c.NODE_ENV === 'production' && c.DEV_CLOCK_OFFSET_DAYS !== 0) {
    throw new ConfigError([{ variable: 'DEV_CLOCK_OFFSET_DAYS', reason: 'must be 0 in production' }]);
  }
  const dataDir = path.resolve(c.DATA_DIR);
  return {
    ...c,
    DATA_DIR: dataDir,
    database: c.DATABASE_URL
      ? { kind: 'postgres', url: c.DATABASE_URL }
      : { kind: 'sqlite', file: path.join(dataDir, 'zhgh.sqlite') },
  };
}
