/**
 * The permission registry: every `resource.action` code the platform checks, with labels in
 * both locales and what it depends on. Routes name one of these (or `public` /
 * `authenticated`); roles are sets of them.
 */
export interface PermissionDef {
  code: string;
  zh: string;
  en: string;
  /** Holding this permission is useless without these; roles must include them too. */
  dependsOn: readonly string[];
  /**
   * Administrative or finance power: any role holding one requires TOTP at sign-in
   * (等保 level 3 multi-factor for privileged users).
   */
  privileged?: true;
}

const def = (
  code: string,
  zh: string,
  en: string,
  dependsOn: readonly string[] = [],
  privileged?: true,
): PermissionDef => ({ code, zh, en, dependsOn, ...(privileged ? { privileged } : {}) });

export const PERMISSIONS = [
  def('org.read', '查看组织', 'View organizations'),
  def('org.create', '新建组织', 'Create organizations', ['org.read']),
  def('org.update', '编辑组织', 'Edit organizations', ['org.read']),
  def('org.restructure', '调整组织（移动、合并、撤销）', 'Restructure organizations (move, merge, dissolve)', [
    'org.update',
  ]),
  def('member.read', '查看会员', 'View members', ['org.read']),
  def('member.write', '登记和编辑会员', 'Register and edit members', ['member.read']),
  def('member.reveal', '查看完整敏感信息', 'Reveal full sensitive fields', ['member.read'], true),
  def('member.export', '导出会员', 'Export members', ['member.read']),
  def('member.exportSensitive', '导出未脱敏数据', 'Export unmasked data', ['member.export'], true),
  def('member.import', '导入会员名册', 'Import member rosters', ['member.write']),
  def('job.read', '查看任务进度', 'View job progress'),
  def('job.manage', '取消和继续任务', 'Cancel and resume jobs', ['job.read']),
  def('user.read', '查看用户账号', 'View user accounts', ['org.read'], true),
  def('user.manage', '管理用户账号', 'Manage user accounts', ['user.read'], true),
  def('role.read', '查看角色', 'View roles', [], true),
  def('role.manage', '管理角色', 'Manage roles', ['role.read'], true),
  def('grant.read', '查看授权', 'View grants', ['org.read', 'role.read'], true),
  def('grant.manage', '授予和撤销角色', 'Grant and revoke roles', ['grant.read'], true),
  def('totpReset.approve', '审批动态口令重置', 'Approve TOTP resets', ['user.read'], true),
  def('audit.read', '查看审计日志', 'View the audit log', ['org.read'], true),
  def('finance.read', '查看财务', 'View finance', ['org.read'], true),
  def('finance.pay', '发起支付', 'Make payments', ['finance.read'], true),
  def('settings.read', '查看系统设置', 'View system settings', [], true),
  def('settings.manage', '修改系统设置', 'Change system settings', ['settings.read'], true),
  def('workflow.read', '查看业务办理（申请、审批记录、待办）', 'View applications, their history and work queues', [
    'org.read',
  ]),
  def('modelWorker.read', '查看劳模工匠名册', 'View the model-worker and craftsman registry', ['org.read']),
  def('modelWorker.write', '登记和编辑劳模工匠', 'Register and edit model workers and craftsmen', ['modelWorker.read']),
  def('modelWorker.export', '导出劳模工匠名册', 'Export the model-worker registry', ['modelWorker.read']),
  def(
    'subsidy.review',
    '审核专项补助（入户调查、核实、公示）',
    'Review special subsidies (household survey, verification, notice)',
    ['workflow.read', 'modelWorker.read'],
  ),
  def('subsidy.policy', '设置补助政策', 'Set subsidy policies', ['modelWorker.read']),
  def('card.verify', '核验会员卡', 'Verify member cards'),
  def(
    'membership.review',
    '审核会籍事项（入会、转会、保留、退会）',
    'Review membership matters (joining, transfer, retention, withdrawal)',
    ['workflow.read', 'member.read'],
  ),
  def(
    'membership.enroll',
    '组织集中入会（名单导入、活动二维码）',
    'Run group enrollment (list import, event QR code)',
    ['membership.review'],
  ),
  def('founding.review', '审批建会（网上建会各步骤）', 'Review union founding (each step of founding online)', [
    'workflow.read',
    'org.read',
  ]),
] as const satisfies readonly PermissionDef[];

export type PermissionCode = (typeof PERMISSIONS)[number]['code'];

export const PERMISSION_CODES: readonly PermissionCode[] = PERMISSIONS.map((p) => p.code);

export function isPermissionCode(code: string): code is PermissionCode {
  return (PERMISSION_CODES as readonly string[]).includes(code);
}

export function permissionDef(code: PermissionCode): PermissionDef {
  return PERMISSIONS.find((p) => p.code === code)!;
}

/** The permission plus everything it depends on, transitively. */
export function withDependencies(codes: Iterable<string>): Set<PermissionCode> {
  const out = new Set<PermissionCode>();
  const visit = (c: string) => {
    if (!isPermissionCode(c) || out.has(c)) return;
    out.add(c);
    permissionDef(c).dependsOn.forEach(visit);
  };
  for (const c of codes) visit(c);
  return out;
}

/** The three separated administrators of 等保 (三员分立): nobody holds two of them. */
export type SeparatedDuty = 'system' | 'security' | 'audit';

export interface BuiltinRole {
  code: string;
  zh: string;
  en: string;
  permissions: readonly PermissionCode[];
  separatedDuty?: SeparatedDuty;
  /** Which user kinds may hold it. */
  for: readonly ('member' | 'cadre' | 'merchant')[];
}

const CADRE_BASE: PermissionCode[] = ['org.read', 'member.read', 'job.read', 'workflow.read'];

export const BUILTIN_ROLES: readonly BuiltinRole[] = [
  { code: 'member', zh: '会员', en: 'Member', permissions: [], for: ['member'] },
  {
    code: 'grassroots_cadre',
    zh: '基层工会干部',
    en: 'Grassroots cadre',
    permissions: [
      ...CADRE_BASE,
      'member.write',
      'member.import',
      'member.export',
      'job.manage',
      'modelWorker.read',
      'subsidy.review',
      'membership.review',
      'membership.enroll',
    ],
    for: ['cadre'],
  },
  {
    code: 'grassroots_chair',
    zh: '基层工会主席',
    en: 'Grassroots chair',
    permissions: [
      ...CADRE_BASE,
      'org.update',
      'member.write',
      'member.import',
      'member.export',
      'member.reveal',
      'job.manage',
      'modelWorker.read',
      'subsidy.review',
      'membership.review',
      'membership.enroll',
    ],
    for: ['cadre'],
  },
  {
    code: 'federation_cadre',
    zh: '总工会干部（县、市、省）',
    en: 'Federation cadre (county, city, province)',
    permissions: [
      ...CADRE_BASE,
      'org.create',
      'org.update',
      'org.restructure',
      'member.write',
      'member.import',
      'member.export',
      'job.manage',
      'modelWorker.read',
      'modelWorker.write',
      'modelWorker.export',
      'subsidy.review',
      'subsidy.policy',
      'membership.review',
      'membership.enroll',
      'founding.review',
    ],
    for: ['cadre'],
  },
  {
    code: 'finance_officer',
    zh: '财务人员',
    en: 'Finance officer',
    // workflow.read: the payment plan is a step of the subsidy applications they pay.
    permissions: [
      'org.read',
      'member.read',
      'finance.read',
      'finance.pay',
      'job.read',
      'workflow.read',
      'modelWorker.read',
    ],
    for: ['cadre'],
  },
  {
    code: 'auditor',
    zh: '经审人员',
    en: 'Auditor',
    permissions: [
      'org.read',
      'member.read',
      'finance.read',
      'audit.read',
      'job.read',
      'workflow.read',
      'modelWorker.read',
    ],
    for: ['cadre'],
  },
  {
    code: 'system_admin',
    zh: '系统管理员',
    en: 'System administrator',
    permissions: ['org.read', 'user.read', 'user.manage', 'settings.read', 'settings.manage', 'job.read'],
    separatedDuty: 'system',
    for: ['cadre'],
  },
  {
    code: 'security_admin',
    zh: '安全管理员',
    en: 'Security administrator',
    permissions: [
      'org.read',
      'user.read',
      'role.read',
      'role.manage',
      'grant.read',
      'grant.manage',
      'totpReset.approve',
    ],
    separatedDuty: 'security',
    for: ['cadre'],
  },
  {
    code: 'audit_admin',
    zh: '审计管理员',
    en: 'Audit administrator',
    permissions: ['org.read', 'audit.read'],
    separatedDuty: 'audit',
    for: ['cadre'],
  },
  {
    // Verification is not about an organization: a merchant checks members of any union, so
    // where the grant sits does not matter (the seed puts it at the merchant's city federation).
    code: 'merchant',
    zh: '普惠商家',
    en: 'Benefit merchant',
    permissions: ['card.verify'],
    for: ['merchant'],
  },
];

/** True when holding these permissions requires TOTP at sign-in. */
export function requiresTotp(codes: Iterable<string>): boolean {
  for (const c of codes) if (isPermissionCode(c) && permissionDef(c).privileged) return true;
  return false;
}

/** The one `can()` the three ends and the server share. */
export function can(abilities: Iterable<string> | ReadonlySet<string>, code: string): boolean {
  const set = abilities instanceof Set ? abilities : new Set(abilities);
  return set.has(code);
}
