import { describe, expect, it } from 'vitest';
import { can, useAbilities } from './abilities.ts';

describe('can', () => {
  it('checks membership in a set or an array', () => {
    expect(can(new Set(['org.read']), 'org.read')).toBe(true);
    expect(can(new Set(['org.read']), 'org.create')).toBe(false);
    expect(can(['member.read'], 'member.read')).toBe(true);
    expect(can([], 'member.read')).toBe(false);
  });

  it('useAbilities shares one set and can be replaced and cleared', () => {
    const a = useAbilities();
    a.set(['audit.read']);
    expect(useAbilities().can('audit.read')).toBe(true);
    a.clear();
    expect(useAbilities().can('audit.read')).toBe(false);
  });
});
