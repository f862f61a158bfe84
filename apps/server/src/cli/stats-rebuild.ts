import { pathToFileURL } from 'node:url';
import type { Kysely } from 'kysely';
import { type Config, loadConfig } from '../config.ts';
import { openDatabase } from '../db/database.ts';
import { lockChain } from '../db/dialect.ts';
import { ORG_TREE_LOCK } from '../db/org-scoped.ts';
import { rebuildStatCounters, statDay } from '../modules/stats/stats.counters.ts';

/**
 * `npm run stats:rebuild -w apps/server`: recount every subtree counter from the rows, as of
 * today, in one transaction that holds the organization tree still (decision 0009). For after
 * a bulk load that bypassed the services, or to prove the counters right on a live database.
 */
export async function statsRebuildCommand(config: Config, print: (line: string) => void): Promise<number> {
  const database = await openDatabase(config.database);
  try {
    const started = performance.now();
    const today = statDay(new Date());
    const rows = await database.db.transaction().execute(async (trx) => {
      await lockChain(trx as unknown as Kysely<unknown>, database.dialect, ORG_TREE_LOCK);
      await rebuildStatCounters(trx, database.dialect, today);
      const n = await trx
        .selectFrom('org_stat')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(n.n);
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    print(`统计计数已重建 / statistics counters rebuilt as of ${today}: ${rows} counters in ${seconds}s`);
    return 0;
  } finally {
    await database.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  statsRebuildCommand(loadConfig(), (l) => console.log(l)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(2);
    },
  );
}
