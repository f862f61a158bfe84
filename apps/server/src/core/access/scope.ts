import { type Expression, type ExpressionBuilder, sql, type SqlBool } from 'kysely';
import { AppError } from '../app-error.ts';
import type { Principal } from './principal.ts';
import { idsOnPath, subtreeUpperBound } from '../org-path.ts';

/**
 * THE scope helper. Every org-scoped query and check goes through here: lists, details,
 * counts, aggregates, exports, search, and ids inside request bodies.
 *
 * A scope is the set of subtrees (materialized paths) where the actor holds a permission
 * through a live grant. Outside it, a record does not exist for the actor: `requireInScope`
 * throws the same NOT_FOUND a missing id gets, so probing ids reveals nothing.
 */
export interface Scope {
  readonly permission: string;
  /** Minimal set of subtree roots: no path lies inside another. */
  readonly paths: readonly string[];
}

export function scopeFor(principal: Principal | undefined, permission: string): Scope {
  const paths = (principal?.grants ?? []).filter((g) => g.permissions.has(permission)).map((g) => g.orgPath);
  return { permission, paths: minimalPaths(paths) };
}

/** Drop paths that lie inside another path of the set. */
export function minimalPaths(paths: readonly string[]): string[] {
  const sorted = [...new Set(paths)].sort();
  const out: string[] = [];
  for (const p of sorted) if (!out.some((q) => p.startsWith(q))) out.push(p);
  return out;
}

export function covers(scope: Scope, orgPath: string | null | undefined): boolean {
  if (!orgPath) return false;
  return scope.paths.some((p) => orgPath.startsWith(p));
}

/** Throw NOT_FOUND (never 403) when a record's organization is outside the scope. */
export function requireInScope(scope: Scope, orgPath: string | null | undefined): void {
  if (!covers(scope, orgPath)) throw AppError.notFound(`outside ${scope.permission} scope`);
}

/**
 * SQL condition "column lies in the scope", as indexable range comparisons. An empty scope
 * matches nothing.
 */
export function inScope<DB, TB extends keyof DB>(
  eb: ExpressionBuilder<DB, TB>,
  column: string,
  scope: Scope,
): Expression<SqlBool> {
  return anyPath(
    eb,
    scope,
    (p) => sql<SqlBool>`(${sql.ref(column)} >= ${p} and ${sql.ref(column)} < ${subtreeUpperBound(p)})`,
  );
}

/**
 * The same condition as `inScope`, written as a prefix test that no index serves. For a
 * query that should walk another index in order (a name search or a list's first page over
 * a large scope, where rows in scope are dense) and check the scope on each entry, rather
 * than read every row of the scope and sort them.
 */
export function inScopeUnindexed<DB, TB extends keyof DB>(
  eb: ExpressionBuilder<DB, TB>,
  column: string,
  scope: Scope,
): Expression<SqlBool> {
  return anyPath(eb, scope, (p) => sql<SqlBool>`substr(${sql.ref(column)}, 1, ${sql.lit(p.length)}) = ${p}`);
}

/**
 * Depths whose subtrees the member search keys by the ancestor's id (decision 0010,
 * migration 0020): cities (1) and counties (2). A path is `/id/id/…/` with UUIDs of 36
 * characters, so the ancestor at depth d of any path below it sits at a fixed place,
 * `substr(path, 2 + 37 × d, 36)`; a table searched this way holds it as the generated
 * column `city_key` or `county_key`, and an index leading with that column holds one city's
 * or county's rows as one contiguous range per search term.
 */
export const ANCESTOR_KEY_COLUMNS = { 1: 'city_key', 2: 'county_key' } as const;
const ID_LENGTH = 36;

/** Where in a path the ancestor at `depth` sits: `substr(path, start, 36)`. */
export function ancestorKeyStart(depth: number): number {
  return 2 + (ID_LENGTH + 1) * depth;
}

export interface AncestorKey {
  depth: keyof typeof ANCESTOR_KEY_COLUMNS;
  id: string;
}

/**
 * A scope that is one subtree rooted at a keyed depth, as that root's depth and id; else
 * null. Every id on the root's path must be a 36-character id, or the fixed place would not
 * hold the root's id for every path below it.
 */
export function ancestorKeyOf(scope: Scope): AncestorKey | null {
  if (scope.paths.length !== 1) return null;
  const ids = idsOnPath(scope.paths[0]!);
  const depth = ids.length - 1;
  if (depth !== 1 && depth !== 2) return null;
  if (ids.some((id) => id.length !== ID_LENGTH)) return null;
  return { depth, id: ids[depth]! };
}

/**
 * The same condition as `inScope` for a scope `ancestorKeyOf` keys: "the row's ancestor at
 * the root's depth is the root", on the table's generated key column. Ids are unique and hold
 * no '/', so only paths through the root have its id at that place.
 */
export function inScopeByAncestor<DB, TB extends keyof DB>(
  _eb: ExpressionBuilder<DB, TB>,
  table: string,
  key: AncestorKey,
): Expression<SqlBool> {
  return sql<SqlBool>`${sql.ref(`${table}.${ANCESTOR_KEY_COLUMNS[key.depth]}`)} = ${key.id}`;
}

function anyPath<DB, TB extends keyof DB>(
  eb: ExpressionBuilder<DB, TB>,
  scope: Scope,
  under: (path: string) => Expression<SqlBool>,
): Expression<SqlBool> {
  if (scope.paths.length === 0) return sql<SqlBool>`1 = 0`;
  return eb.or(scope.paths.map(under));
}

/** Narrow a scope to one subtree the caller asked for (e.g. `?orgId=`), which must lie inside it. */
export function narrowScope(scope: Scope, orgPath: string): Scope {
  requireInScope(scope, orgPath);
  return { permission: scope.permission, paths: [orgPath] };
}
