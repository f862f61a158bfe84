import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('configuration', () => {
  it('defaults to an SQLite file under ./data', () => {
    const c = loadConfig({});
    expect(c.database).toEqual({ kind: 'sqlite', file: path.resolve('./data/zhgh.sqlite') });
    expect(c.PORT).toBe(3000);
  });

  it('takes PostgreSQL from a postgres:// URL', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h:5432/db' }).database).toEqual({
      kind: 'postgres',
      url: 'postgres://u@h:5432/db',
    });
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ DATABASE_URL: '' }).database.kind).toBe('sqlite');
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['LOG_LEVEL', 'loud'],
    ['FIELD_CIPHER', 'des'],
    ['FIELD_KEYS', 'no-colon'],
    ['AUDIT_KEY', 'short'],
    ['DEV_CLOCK_OFFSET_DAYS', '-1'],
  ])('names the variable when %s=%s', (variable, value) => {
    try {
      loadConfig({ [variable]: value });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems[0]!.variable).toBe(variable);
      expect((err as ConfigError).message).toContain(variable);
    }
  });

  it('refuses a clock offset in production, and takes it elsewhere', () => {
    expect(loadConfig({ DEV_CLOCK_OFFSET_DAYS: '6' }).DEV_CLOCK_OFFSET_DAYS).toBe(6);
    expect(() => loadConfig({ NODE_ENV: 'production', DEV_CLOCK_OFFSET_DAYS: '6' })).toThrow(/DEV_CLOCK_OFFSET_DAYS/);
  });
});
