import {
  Avatar,
  Briefcase,
  ChatDotSquare,
  Connection,
  DataAnalysis,
  Flag,
  Download,
  FirstAidKit,
  House,
  Key,
  Medal,
  Money,
  Notebook,
  Odometer,
  Postcard,
  OfficeBuilding,
  Present,
  School,
  Service,
  Stamp,
  Switch,
  Tickets,
  Trophy,
  Umbrella,
  Unlock,
  Upload,
  User,
  Wallet,
} from '@element-plus/icons-vue';
import type { PermissionCode } from '@zhgh/contracts';
import type { Component } from 'vue';
import type { ConsoleMessages } from '../i18n/zh-CN.ts';

export type ModuleKey = keyof ConsoleMessages['modules'];
export type NavGroupKey = keyof ConsoleMessages['nav']['groups'];
/** One permission, or a list of which any one will do. */
export type ModulePermission = PermissionCode | readonly PermissionCode[];

/** Whether someone holding what `can` answers for may open a module asking for `permission`. */
export function allows(permission: ModulePermission | undefined, can: (code: string) => boolean): boolean {
  if (!permission) return true;
  return typeof permission === 'string' ? can(permission) : permission.some((p) => can(p));
}

export interface ModuleEntry {
  key: ModuleKey;
  path: string;
  group: NavGroupKey;
  icon: Component;
  /**
   * Hidden from the menu, and the page refused, without it. Modules whose permissions do not
   * exist yet ask for `org.read`, which every cadre role holds: an account without any grant
   * sees only its dashboard and its own settings. A list opens the module with any one of them.
   */
  permission?: ModulePermission;
  /** Not built yet: the route shows the "coming soon" page. */
  comingSoon?: true;
}

/**
 * Every module of the console in menu order: the menu, the routes and the dashboard shortcuts
 * all read this one list, so a module cannot be reachable but missing from the menu, or guarded
 * by a different permission in each place.
 */
export const MODULES: readonly ModuleEntry[] = [
  { key: 'dashboard', path: '/', group: 'overview', icon: Odometer },
  { key: 'stats', path: '/stats', group: 'overview', icon: DataAnalysis, permission: 'member.read' },
  { key: 'orgs', path: '/orgs', group: 'orgsMembers', icon: OfficeBuilding, permission: 'org.read' },
  { key: 'members', path: '/members', group: 'orgsMembers', icon: User, permission: 'member.read' },
  { key: 'workUnits', path: '/work-units', group: 'orgsMembers', icon: School, permission: 'org.read' },
  { key: 'imports', path: '/imports', group: 'orgsMembers', icon: Upload, permission: 'member.import' },
  { key: 'exports', path: '/exports', group: 'orgsMembers', icon: Download, permission: 'member.export' },
  {
    key: 'joinApplications',
    path: '/join-applications',
    group: 'orgsMembers',
    icon: Stamp,
    permission: 'membership.review',
  },
  { key: 'benefits', path: '/benefits', group: 'services', icon: Present, permission: 'org.read', comingSoon: true },
  {
    key: 'assistance',
    path: '/assistance',
    group: 'services',
    icon: Umbrella,
    permission: 'org.read',
    comingSoon: true,
  },
  {
    key: 'medicalAid',
    path: '/medical-aid',
    group: 'services',
    icon: FirstAidKit,
    permission: 'org.read',
    comingSoon: true,
  },
  { key: 'rights', path: '/rights', group: 'services', icon: Service, permission: 'org.read', comingSoon: true },
  {
    key: 'jobsTraining',
    path: '/jobs-training',
    group: 'services',
    icon: Briefcase,
    permission: 'org.read',
    comingSoon: true,
  },
  { key: 'modelWorkers', path: '/model-workers', group: 'unionWork', icon: Medal, permission: 'modelWorker.read' },
  {
    key: 'competitions',
    path: '/competitions',
    group: 'unionWork',
    icon: Trophy,
    permission: 'org.read',
    comingSoon: true,
  },
  {
    key: 'democracy',
    path: '/democracy',
    group: 'unionWork',
    icon: ChatDotSquare,
    permission: 'org.read',
    comingSoon: true,
  },
  { key: 'places', path: '/places', group: 'unionWork', icon: House, permission: 'org.read', comingSoon: true },
  { key: 'office', path: '/office', group: 'unionWork', icon: Notebook, permission: 'org.read', comingSoon: true },
  { key: 'users', path: '/system/users', group: 'system', icon: Avatar, permission: 'user.read' },
  { key: 'roles', path: '/system/roles', group: 'system', icon: Key, permission: 'role.read' },
  { key: 'grants', path: '/system/grants', group: 'system', icon: Connection, permission: 'grant.read' },
  {
    key: 'totpRecoveries',
    path: '/system/totp-recoveries',
    group: 'system',
    icon: Unlock,
    permission: 'totpReset.approve',
  },
  { key: 'audit', path: '/audit', group: 'system', icon: Tickets, permission: 'audit.read' },
  { key: 'financeAccounts', path: '/finance/accounts', group: 'unionWork', icon: Wallet, permission: 'finance.read' },
  {
    key: 'payoutBatches',
    path: '/finance/payout-batches',
    group: 'unionWork',
    icon: Money,
    permission: 'finance.read',
  },
  // Reviewers handle the applications; finance officers make the payment plans there.
  {
    key: 'subsidies',
    path: '/subsidies',
    group: 'unionWork',
    icon: Present,
    permission: ['subsidy.review', 'finance.pay'],
  },
  // Group enrollment (集中入会): list imports and event QR codes, approved as batches.
  { key: 'enrollment', path: '/enrollment', group: 'orgsMembers', icon: Postcard, permission: 'membership.enroll' },
  // Union founding (网上建会): the higher unions review each step of a workplace's founding.
  { key: 'founding', path: '/founding', group: 'orgsMembers', icon: Flag, permission: 'founding.review' },
  // Transfers, retention and withdrawal, and the inactivity list: the membership reviewers' work.
  { key: 'memberships', path: '/memberships', group: 'orgsMembers', icon: Switch, permission: 'membership.review' },
];

export function moduleEntry(key: ModuleKey): ModuleEntry {
  const entry = MODULES.find((m) => m.key === key);
  if (!entry) throw new Error(`unknown module ${key}`);
  return entry;
}

export interface NavGroup {
  key: NavGroupKey;
  items: ModuleEntry[];
}

const GROUP_ORDER: readonly NavGroupKey[] = ['overview', 'orgsMembers', 'services', 'unionWork', 'system'];

/** The menu for someone holding the permissions `can` answers for; empty groups are dropped. */
export function navFor(can: (code: string) => boolean): NavGroup[] {
  return GROUP_ORDER.map((key) => ({
    key,
    items: MODULES.filter((m) => m.group === key && allows(m.permission, can)),
  })).filter((g) => g.items.length > 0);
}
