import type { Kysely } from 'kysely';
import { inScope, type Scope } from '../../core/access/scope.ts';
import type { DB, JobTable } from '../../db/schema.ts';

type Q = Kysely<DB>;

export interface JobListFilter {
  kind?: string | undefined;
  status?: JobTable['status'] | undefined;
}

export const jobsRepository = {
  async findById(db: Q, id: string): Promise<JobTable | undefined> {
    return db.selectFrom('job').selectAll().where('id', '=', id).executeTakeFirst();
  },

  /** Jobs in `scope`, newest first (id breaks ties: ids are time-ordered). */
  async list(
    db: Q,
    scope: Scope,
    filter: JobListFilter,
    page: { limit: number; offset: number },
  ): Promise<{ rows: JobTable[]; total: number }> {
    let q = db.selectFrom('job').where((eb) => inScope(eb, 'job.org_path', scope));
    if (filter.kind) q = q.where('kind', '=', filter.kind);
    if (filter.status) q = q.where('status', '=', filter.status);
    const rows = await q
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    const count = await q.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
    return { rows, total: Number(count.n) };
  },
};
