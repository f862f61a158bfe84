import type { z } from 'zod';
import type { grantOutput, sessionListItem, sessionOutput } from '@zhgh/contracts';
import { maskPhone } from '../../core/crypto/mask.ts';
import type { RoleGrantTable, SessionTable, UserAccountTable } from '../../db/schema.ts';

export interface GrantRow extends RoleGrantTable {
  role_code: string;
  role_name_zh: string;
  role_name_en: string;
  org_name: string;
}

export function presentGrant(g: GrantRow): z.infer<typeof grantOutput> {
  return {
    id: g.id,
    userId: g.user_id,
    roleId: g.role_id,
    roleCode: g.role_code,
    roleName: { 'zh-CN': g.role_name_zh, en: g.role_name_en },
    orgId: g.org_id,
    orgName: g.org_name,
    orgPath: g.org_path,
    validFrom: g.valid_from,
    validTo: g.valid_to,
    grantedBy: g.granted_by,
    revokedAt: g.revoked_at,
  };
}

export function presentSession(
  user: UserAccountTable,
  phone: string | null,
  session: SessionTable,
  grants: GrantRow[],
  permissions: Iterable<string>,
): z.infer<typeof sessionOutput> {
  return {
    user: {
      id: user.id,
      kind: user.kind,
      displayName: user.display_name,
      username: user.username,
      phone: phone ? maskPhone(phone) : null,
      totpEnabled: user.totp_enabled_at !== null,
      hasPassword: user.password_hash !== null,
    },
    grants: grants.map(presentGrant),
    permissions: [...permissions].sort(),
    csrfToken: session.csrf_token,
    restriction: session.restriction,
    expiresAt: session.expires_at,
    idleTimeoutSeconds: session.idle_timeout_s,
  };
}

export function presentSessionListItem(s: SessionTable, currentId: string): z.infer<typeof sessionListItem> {
  return {
    id: s.public_id,
    current: s.public_id === currentId,
    createdAt: s.created_at,
    lastSeenAt: s.last_seen_at,
    expiresAt: s.expires_at,
    ip: s.ip,
    userAgent: s.user_agent,
  };
}
