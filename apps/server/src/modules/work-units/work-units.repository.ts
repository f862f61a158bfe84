import type { Kysely } from 'kysely';
import { inScope, type Scope } from '../../core/access/scope.ts';
import type { DB, WorkUnitTable } from '../../db/schema.ts';

type Q = Kysely<DB>;

export interface WorkUnitFilter {
  hasUnion?: boolean | undefined;
  industry?: string | undefined;
  unitType?: string | undefined;
  /** Name starts with. */
  q?: string | undefined;
}

export const workUnitsRepository = {
  async findById(db: Q, id: string): Promise<WorkUnitTable | undefined> {
    return db.selectFrom('work_unit').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async findByCreditCode(db: Q, creditCode: string): Promise<WorkUnitTable | undefined> {
    return db.selectFrom('work_unit').selectAll().where('credit_code', '=', creditCode).executeTakeFirst();
  },

  async insert(db: Q, row: WorkUnitTable): Promise<void> {
    await db.insertInto('work_unit').values(row).execute();
  },

  async update(db: Q, id: string, set: Partial<WorkUnitTable>): Promise<void> {
    await db.updateTable('work_unit').set(set).where('id', '=', id).execute();
  },

  async list(
    db: Q,
    scope: Scope,
    filter: WorkUnitFilter,
    page: { limit: number; offset: number },
  ): Promise<{ rows: WorkUnitTable[]; total: number }> {
    let q = db.selectFrom('work_unit').where((eb) => inScope(eb, 'work_unit.org_path', scope));
    if (filter.hasUnion !== undefined) {
      q = q.where('union_org_id', filter.hasUnion ? 'is not' : 'is', null);
    }
    if (filter.industry) q = q.where('industry', '=', filter.industry);
    if (filter.unitType) q = q.where('unit_type', '=', filter.unitType);
    if (filter.q) q = q.where('name', 'like', `${filter.q.replace(/[%_\\]/g, '')}%`);
    const rows = await q.selectAll().orderBy('name').orderBy('id').limit(page.limit).offset(page.offset).execute();
    const count = await q.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
    return { rows, total: Number(count.n) };
  },
};
