import { describe, expect, it } from 'vitest';
import en from '../i18n/en.ts';
import zhCN from '../i18n/zh-CN.ts';
import { MODULES, navFor } from './registry.ts';

describe('module registry', () => {
  it('has a label in both languages for every module and group', () => {
    for (const m of MODULES) {
      expect(zhCN.modules[m.key]).toBeTruthy();
      expect(en.modules[m.key]).toBeTruthy();
      expect(zhCN.nav.groups[m.group]).toBeTruthy();
    }
  });

  it('has one path per module', () => {
    expect(new Set(MODULES.map((m) => m.path)).size).toBe(MODULES.length);
  });

  it('shows an account without grants only its dashboard', () => {
    const nav = navFor(() => false);
    expect(nav.flatMap((g) => g.items.map((i) => i.key))).toEqual(['dashboard']);
  });

  it('shows the security administrator the security pages but not the audit log', () => {
    const held = new Set([
      'org.read',
      'user.read',
      'role.read',
      'role.manage',
      'grant.read',
      'grant.manage',
      'totpReset.approve',
    ]);
    const keys = navFor((c) => held.has(c)).flatMap((g) => g.items.map((i) => i.key));
    expect(keys).toEqual(expect.arrayContaining(['orgs', 'users', 'roles', 'grants', 'totpRecoveries']));
    expect(keys).not.toContain('audit');
    expect(keys).not.toContain('members');
  });

  it('shows a federation cadre the member register, work units, import and export', () => {
    const held = new Set(['org.read', 'member.read', 'member.write', 'member.import', 'member.export', 'job.read']);
    const keys = navFor((c) => held.has(c)).flatMap((g) => g.items.map((i) => i.key));
    expect(keys).toEqual(expect.arrayContaining(['orgs', 'members', 'workUnits', 'imports', 'exports']));
  });

  it('hides import and export from a finance officer, who only reads', () => {
    const held = new Set(['org.read', 'member.read', 'job.read']);
    const keys = navFor((c) => held.has(c)).flatMap((g) => g.items.map((i) => i.key));
    expect(keys).toEqual(expect.arrayContaining(['members', 'workUnits']));
    expect(keys).not.toContain('imports');
    expect(keys).not.toContain('exports');
  });

  it('opens the subsidies to a reviewer and to the finance officer who pays them, not to a reader', () => {
    const keysFor = (held: string[]) => navFor((c) => held.includes(c)).flatMap((g) => g.items.map((i) => i.key));
    expect(keysFor(['org.read', 'subsidy.review'])).toContain('subsidies');
    expect(keysFor(['org.read', 'finance.read', 'finance.pay'])).toContain('subsidies');
    expect(keysFor(['org.read', 'finance.read'])).not.toContain('subsidies');
  });

  it('has a page for the member register rather than the coming-soon placeholder', () => {
    expect(MODULES.find((m) => m.key === 'members')?.comingSoon).toBeUndefined();
  });

  it('opens the join review queue to whoever reviews memberships', () => {
    const keysFor = (held: string[]) => navFor((c) => held.includes(c)).flatMap((g) => g.items.map((i) => i.key));
    expect(keysFor(['org.read', 'member.read', 'membership.review'])).toContain('joinApplications');
    expect(keysFor(['org.read', 'member.read'])).not.toContain('joinApplications');
  });
});
