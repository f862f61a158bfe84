import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.ts';
import * as m0001 from './0001-core.ts';

/** Migrations in order; names are permanent once released. */
export const migrations: {
  name: string;
  up: (db: Kysely<unknown>, dialect: DialectName) => Promise<void>;
}[] = [{ name: '0001-core', up: m0001.up }];
