import { CompiledQuery } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrateToLatest, openDatabase } from '../../db/database.ts';
import { ancestorKeyOf, ancestorKeyStart, inScopeByAncestor } from './scope.ts';

const id = (n: number) => `019b76da-a802-7792-9494-${String(n).padStart(12, '0')}`;
const path = (...ids: string[]) => `/${ids.join('/')}/`;
const scope = (...paths: string[]) => ({ permission: 'member.read', paths });

describe('ancestor-keyed scope (member search, migration 0020)', () => {
  it('places the ancestor at depth d of a path at 2 + 37 × d', () => {
    const p = path(id(1), id(2), id(3), id(4));
    for (const d of [0, 1, 2, 3]) expect(p.substr(ancestorKeyStart(d) - 1, 36)).toBe(id(d + 1));
  });

  it('keys one subtree rooted at a city or a county, and nothing else', () => {
    expect(ancestorKeyOf(scope(path(id(1), id(2))))).toEqual({ depth: 1, id: id(2) });
    expect(ancestorKeyOf(scope(path(id(1), id(2), id(3))))).toEqual({ depth: 2, id: id(3) });
    // The province reads the term's whole range anyway; deeper roots are small.
    expect(ancestorKeyOf(scope(path(id(1))))).toBeNull();
    expect(ancestorKeyOf(scope(path(id(1), id(2), id(3), id(4))))).toBeNull();
    // Two subtrees, or ids of another length (the fixed place would not hold), are not keyed.
    expect(ancestorKeyOf(scope(path(id(1), id(2)), path(id(1), id(5))))).toBeNull();
    expect(ancestorKeyOf(scope(path('root', id(2))))).toBeNull();
    expect(ancestorKeyOf(scope())).toBeNull();
  });

  it('names the generated key columns, which match the path and lead the city and county indexes', async () => {
    const database = await openDatabase({ kind: 'sqlite', file: ':memory:' });
    try {
      await migrateToLatest(database);
      for (const [depth, column, index] of [
        [1, 'name', 'membership_open_city_name'],
        [2, 'name_initials', 'membership_open_county_initials'],
      ] as const) {
        const query = database.db
          .selectFrom('membership')
          .select('person_id')
          .where((eb) => inScopeByAncestor(eb, 'membership', { depth, id: id(9) }))
          .where('ended_on', 'is', null)
          .where(column, '>=', 'w')
          .where(column, '<', 'x')
          .compile();
        const plan = await database.db.executeQuery<{ detail: string }>(
          CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]),
        );
        expect(plan.rows.map((r) => r.detail).join(' | ')).toContain(index);
      }
    } finally {
      await database.close();
    }
  });
});
