import type { Kysely } from 'kysely';
import { inScope, type Scope } from '../../core/access/scope.ts';
import type { DB, ModelWorkerTable, PersonTable } from '../../db/schema.ts';

type Q = Kysely<DB>;

/** A registry entry with its person's identity columns and its keeping union's name. */
export type ModelWorkerRow = ModelWorkerTable & {
  name: string;
  gender: PersonTable['gender'];
  birth_date: string;
  id_number_cipher: string;
  phone_cipher: string | null;
  bank_card_cipher: string | null;
  org_name: string;
};

export interface ModelWorkerFilter {
  level?: string | undefined;
  category?: string | undefined;
  honorStatus?: string | undefined;
  farmer?: boolean | undefined;
  year?: number | undefined;
  /** Exact person through the ID number's blind index. */
  idNumberIndex?: string | undefined;
  namePrefix?: string | undefined;
}

function selectRows(db: Q) {
  return db
    .selectFrom('model_worker')
    .innerJoin('person', 'person.id', 'model_worker.person_id')
    .innerJoin('organization', 'organization.id', 'model_worker.org_id')
    .selectAll('model_worker')
    .select([
      'person.name',
      'person.gender',
      'person.birth_date',
      'person.id_number_cipher',
      'person.phone_cipher',
      'person.bank_card_cipher',
      'organization.name as org_name',
    ]);
}

function filtered(db: Q, scope: Scope, f: ModelWorkerFilter) {
  let q = selectRows(db).where((eb) => inScope(eb, 'model_worker.org_path', scope));
  if (f.level) q = q.where('model_worker.level', '=', f.level as ModelWorkerTable['level']);
  if (f.category) q = q.where('model_worker.category', '=', f.category as ModelWorkerTable['category']);
  if (f.honorStatus) q = q.where('model_worker.honor_status', '=', f.honorStatus as ModelWorkerTable['honor_status']);
  if (f.farmer !== undefined) q = q.where('model_worker.farmer', '=', f.farmer ? 1 : 0);
  if (f.year !== undefined) q = q.where('model_worker.year_awarded', '=', f.year);
  if (f.idNumberIndex) q = q.where('person.id_number_index', '=', f.idNumberIndex);
  if (f.namePrefix) {
    // A range on the name, not LIKE: no wildcard in a typed name can widen the match.
    q = q.where('person.name', '>=', f.namePrefix).where('person.name', '<', `${f.namePrefix}\u{10FFFF}`);
  }
  return q;
}

export const modelWorkersRepository = {
  async findById(db: Q, id: string): Promise<ModelWorkerRow | undefined> {
    return selectRows(db).where('model_worker.id', '=', id).executeTakeFirst();
  },

  async list(db: Q, scope: Scope, f: ModelWorkerFilter, page: { limit: number; offset: number }) {
    const rows = await filtered(db, scope, f)
      .orderBy('model_worker.year_awarded', 'desc')
      .orderBy('model_worker.id')
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    const { n } = await filtered(db, scope, f)
      .clearSelect()
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .executeTakeFirstOrThrow();
    return { rows, total: Number(n) };
  },

  /** Every row of the filter, for an export (a registry is thousands of rows, not millions). */
  async listAll(db: Q, scope: Scope, f: ModelWorkerFilter): Promise<ModelWorkerRow[]> {
    return filtered(db, scope, f).orderBy('model_worker.year_awarded', 'desc').orderBy('model_worker.id').execute();
  },

  async findAward(
    db: Q,
    key: Pick<ModelWorkerTable, 'person_id' | 'category' | 'level' | 'year_awarded'>,
  ): Promise<ModelWorkerTable | undefined> {
    return db
      .selectFrom('model_worker')
      .selectAll()
      .where('person_id', '=', key.person_id)
      .where('category', '=', key.category)
      .where('level', '=', key.level)
      .where('year_awarded', '=', key.year_awarded)
      .executeTakeFirst();
  },

  async certificateInUse(db: Q, certificateNo: string): Promise<boolean> {
    const row = await db
      .selectFrom('model_worker')
      .select('id')
      .where('certificate_no', '=', certificateNo)
      .executeTakeFirst();
    return row !== undefined;
  },

  /** Highest sequence among generated numbers with this prefix (e.g. `N2024-`). */
  async lastCertificateWithPrefix(db: Q, prefix: string): Promise<string | undefined> {
    const row = await db
      .selectFrom('model_worker')
      .select('certificate_no')
      .where('certificate_no', '>=', prefix)
      .where('certificate_no', '<', `${prefix}\u{10FFFF}`)
      .orderBy('certificate_no', 'desc')
      .executeTakeFirst();
    return row?.certificate_no;
  },

  /** Whether the person is reachable in the scope: a membership there, or a registry entry there. */
  async personVisible(db: Q, personId: string, memberScope: Scope, registryScope: Scope): Promise<boolean> {
    const m = await db
      .selectFrom('membership')
      .select('id')
      .where('person_id', '=', personId)
      .where((eb) => inScope(eb, 'org_path', memberScope))
      .executeTakeFirst();
    if (m) return true;
    const r = await db
      .selectFrom('model_worker')
      .select('id')
      .where('person_id', '=', personId)
      .where((eb) => inScope(eb, 'org_path', registryScope))
      .executeTakeFirst();
    return r !== undefined;
  },

  async insert(db: Q, row: ModelWorkerTable): Promise<void> {
    await db.insertInto('model_worker').values(row).execute();
  },

  async update(db: Q, id: string, set: Partial<ModelWorkerTable>): Promise<void> {
    await db.updateTable('model_worker').set(set).where('id', '=', id).execute();
  },
};
