import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.ts';
import * as m0001 from './0001-core.ts';
import * as m0002 from './0002-identity.ts';
import * as m0003 from './0003-one-database.ts';
import * as m0004 from './0004-members.ts';

/** Migrations in order; names are permanent once released. */
export const migrations: {
  name: string;
  up: (db: Kysely<unknown>, dialect: DialectName) => Promise<void>;
}[] = [
  { name: '0001-core', up: m0001.up },
  { name: '0002-identity', up: m0002.up },
  { name: '0003-one-database', up: m0003.up },
  { name: '0004-members', up: m0004.up },
];
