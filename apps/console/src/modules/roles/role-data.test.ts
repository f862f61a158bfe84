import { PERMISSIONS } from '@zhgh/contracts';
import { describe, expect, it } from 'vitest';
import { groupPermissions, type Permission, toggle } from './role-data.ts';

const all: Permission[] = PERMISSIONS.map((p) => ({
  code: p.code,
  label: { 'zh-CN': p.zh, en: p.en },
  dependsOn: [...p.dependsOn],
  privileged: !!('privileged' in p && p.privileged),
}));

describe('role composition', () => {
  it('groups permissions by resource, in registry order', () => {
    const groups = groupPermissions(all);
    expect(groups.map((g) => g.resource).slice(0, 3)).toEqual(['org', 'member', 'job']);
    expect(groups.find((g) => g.resource === 'grant')?.permissions.map((p) => p.code)).toEqual([
      'grant.read',
      'grant.manage',
    ]);
  });

  it('ticking a permission brings everything it needs', () => {
    expect([...toggle(new Set(), 'member.exportSensitive', true, all)].sort()).toEqual([
      'member.export',
      'member.exportSensitive',
      'member.read',
      'org.read',
    ]);
  });

  it('unticking a permission drops whatever needs it, transitively', () => {
    const full = toggle(new Set(), 'member.exportSensitive', true, all);
    const withJobs = toggle(full, 'job.read', true, all);
    expect([...toggle(withJobs, 'member.read', false, all)].sort()).toEqual(['job.read', 'org.read']);
    expect([...toggle(withJobs, 'org.read', false, all)]).toEqual(['job.read']);
  });
});
