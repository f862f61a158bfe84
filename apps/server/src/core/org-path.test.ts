import { describe, expect, it } from 'vitest';
import { idsOnPath, orgIdOfPath, parentPath, pathsUpTo, provinceRootOf, subtreeUpperBound } from './org-path.ts';

describe('materialized paths', () => {
  it('reads ids, the node, its parent, its ancestors and its province off a path', () => {
    expect(idsOnPath('/61/6101/610113/')).toEqual(['61', '6101', '610113']);
    expect(orgIdOfPath('/61/6101/610113/')).toBe('610113');
    expect(orgIdOfPath('/61/')).toBe('61');
    expect(parentPath('/61/6101/610113/')).toBe('/61/6101/');
    expect(parentPath('/61/')).toBeNull();
    expect(pathsUpTo('/61/6101/610113/')).toEqual(['/61/', '/61/6101/', '/61/6101/610113/']);
    expect(subtreeUpperBound('/61/6101/')).toBe('/61/61010');
    expect(provinceRootOf('/61/6101/')).toBe('/61/');
    expect(provinceRootOf(null)).toBeNull();
    expect(provinceRootOf('')).toBeNull();
  });
});
