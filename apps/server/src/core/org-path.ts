/**
 * Materialized paths (decision 0008): an organization's path is the ids of its ancestors and
 * its own, root first, each closed by a slash (`/root/…/id/`). What is read off a path is read
 * here, so the shape is known in one place.
 */

/** The ids on a path, root first: `/a/b/c/` → a, b, c. */
export function idsOnPath(path: string): string[] {
  return path.split('/').filter(Boolean);
}

/** The id of the organization at `path`: its last segment. */
export function orgIdOfPath(path: string): string {
  return idsOnPath(path).at(-1)!;
}

/** The paths of a node and its ancestors, root first. */
export function pathsUpTo(path: string): string[] {
  return idsOnPath(path).map((_, i, ids) => `/${ids.slice(0, i + 1).join('/')}/`);
}

/** The parent's path of `/a/b/c/` is `/a/b/`; a root has none. */
export function parentPath(path: string): string | null {
  const ids = idsOnPath(path);
  return ids.length < 2 ? null : `/${ids.slice(0, -1).join('/')}/`;
}

/** `/a/b/` covers itself and everything below: the range ['/a/b/', '/a/b0'). */
export function subtreeUpperBound(path: string): string {
  // '0' is the character after '/', and ids never contain '/'.
  return path.slice(0, -1) + '0';
}

/** `/1/5/23/` → `/1/`: the province root, future sharding key. */
export function provinceRootOf(orgPath: string | null | undefined): string | null {
  if (!orgPath) return null;
  const first = idsOnPath(orgPath)[0];
  return first ? `/${first}/` : null;
}
