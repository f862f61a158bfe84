import {
  type permissionOutput,
  PERMISSIONS,
  requiresTotp,
  type roleOutput,
  type totpRecoveryOutput,
  type userOutput,
} from '@zhgh/contracts';
import type { z } from 'zod';
import { maskPhone } from '../../core/crypto/mask.ts';
import type { RoleTable, TotpRecoveryTable, UserAccountTable } from '../../db/schema.ts';

export function presentPermissions(): z.infer<typeof permissionOutput>[] {
  return PERMISSIONS.map((p) => ({
    code: p.code,
    label: { 'zh-CN': p.zh, en: p.en },
    dependsOn: [...p.dependsOn],
    privileged: 'privileged' in p && p.privileged === true,
  }));
}

export function presentRole(role: RoleTable, permissions: Iterable<string>): z.infer<typeof roleOutput> {
  const list = [...permissions].sort();
  return {
    id: role.id,
    code: role.code,
    name: { 'zh-CN': role.name_zh, en: role.name_en },
    builtin: role.builtin === 1,
    separatedDuty: role.separated_duty,
    permissions: list,
    requiresTotp: requiresTotp(list),
  };
}

export function presentUser(u: UserAccountTable, phone: string | null): z.infer<typeof userOutput> {
  return {
    id: u.id,
    kind: u.kind,
    username: u.username,
    displayName: u.display_name,
    phone: phone ? maskPhone(phone) : null,
    orgId: u.org_id,
    status: u.status,
    lockedUntil: u.locked_until,
    totpEnabled: u.totp_enabled_at !== null,
    createdAt: u.created_at,
    lastLoginAt: u.last_login_at,
  };
}

export function presentRecovery(r: TotpRecoveryTable, username: string | null): z.infer<typeof totpRecoveryOutput> {
  return {
    id: r.id,
    userId: r.user_id,
    username,
    reason: r.reason,
    status: r.status,
    requestedAt: r.requested_at,
    decidedAt: r.decided_at,
  };
}
