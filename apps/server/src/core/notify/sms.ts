import fs from 'node:fs';
import path from 'node:path';

/**
 * SMS goes through an adapter. Development and tests use the outbox: one JSON line per
 * message in DATA_DIR/outbox/sms.jsonl, which tests and the README's demo read. A production
 * adapter (a carrier's SMS gateway) implements the same one method.
 */
export interface SmsSender {
  send(message: { phone: string; text: string; purpose: string }): Promise<void>;
}

export interface OutboxMessage {
  at: string;
  phone: string;
  text: string;
  purpose: string;
}

export function outboxFile(dataDir: string): string {
  return path.join(dataDir, 'outbox', 'sms.jsonl');
}

export function createOutboxSms(file: string): SmsSender {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  return {
    async send(message) {
      const line: OutboxMessage = { at: new Date().toISOString(), ...message };
      await fs.promises.appendFile(file, JSON.stringify(line) + '\n', { mode: 0o600 });
    },
  };
}

/** Read the outbox (tests, the demo). */
export function readOutbox(file: string): OutboxMessage[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as OutboxMessage);
}
