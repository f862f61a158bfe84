import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.ts';
import * as m0001 from './0001-core.ts';
import * as m0002 from './0002-identity.ts';
import * as m0003 from './0003-one-database.ts';
import * as m0004 from './0004-members.ts';
import * as m0005 from './0005-imports.ts';
import * as m0006 from './0006-stat-counters.ts';
import * as m0007 from './0007-search-indexes.ts';
import * as m0008 from './0008-membership-search.ts';
import * as m0009 from './0009-ledger.ts';
import * as m0010 from './0010-workflow.ts';
import * as m0011 from './0011-model-workers.ts';
import * as m0012 from './0012-subsidies.ts';
import * as m0013 from './0013-notifications.ts';
import * as m0014 from './0014-member-cards.ts';
import * as m0015 from './0015-joining.ts';
import * as m0016 from './0016-membership-changes.ts';
import * as m0017 from './0017-union-founding.ts';
import * as m0018 from './0018-enrollment.ts';
import * as m0019 from './0019-sms-queue.ts';
import * as m0020 from './0020-membership-search-by-ancestor.ts';
import * as m0021 from './0021-person-name-indexes-dropped.ts';
import * as m0022 from './0022-search-never-skip-scans.ts';
import * as m0023 from './0023-joining-rate-members.ts';

/** Migrations in order; names are permanent once released. */
export const migrations: {
  name: string;
  up: (db: Kysely<unknown>, dialect: DialectName) => Promise<void>;
}[] = [
  { name: '0001-core', up: m0001.up },
  { name: '0002-identity', up: m0002.up },
  { name: '0003-one-database', up: m0003.up },
  { name: '0004-members', up: m0004.up },
  { name: '0005-imports', up: m0005.up },
  { name: '0006-stat-counters', up: m0006.up },
  { name: '0007-search-indexes', up: m0007.up },
  { name: '0008-membership-search', up: m0008.up },
  { name: '0009-ledger', up: m0009.up },
  { name: '0010-workflow', up: m0010.up },
  { name: '0011-model-workers', up: m0011.up },
  { name: '0012-subsidies', up: m0012.up },
  { name: '0013-notifications', up: m0013.up },
  { name: '0014-member-cards', up: m0014.up },
  { name: '0015-joining', up: m0015.up },
  { name: '0016-membership-changes', up: m0016.up },
  { name: '0017-union-founding', up: m0017.up },
  { name: '0018-enrollment', up: m0018.up },
  { name: '0019-sms-queue', up: m0019.up },
  { name: '0020-membership-search-by-ancestor', up: m0020.up },
  { name: '0021-person-name-indexes-dropped', up: m0021.up },
  { name: '0022-search-never-skip-scans', up: m0022.up },
  { name: '0023-joining-rate-members', up: m0023.up },
];
