import { z } from 'zod';
import { grantOutput, USER_KINDS } from './auth.ts';
import { idSchema, isoTime, localizedText, pageOf, pageQuery, phoneSchema } from './common.ts';
import { PERMISSION_CODES } from './permissions.ts';
import { defineRoute } from './route.ts';

const label = localizedText;

export const permissionOutput = z.object({
  code: z.string().describe('resource.action code'),
  label: label.describe('Label in both locales'),
  dependsOn: z.array(z.string()).describe('Permissions this one needs'),
  privileged: z.boolean().describe('Holding it requires TOTP at sign-in'),
});

export const roleOutput = z.object({
  id: idSchema,
  code: z.string().describe('Stable role code'),
  name: label.describe('Role name in both locales'),
  builtin: z.boolean().describe('Built-in roles cannot be edited'),
  separatedDuty: z
    .enum(['system', 'security', 'audit'])
    .nullable()
    .describe('Which of the three separated administrators, if any'),
  permissions: z.array(z.string()).describe('Permission codes, dependencies included'),
  requiresTotp: z.boolean().describe('Holders must sign in with TOTP'),
});

export const userOutput = z.object({
  id: idSchema,
  kind: z.enum(USER_KINDS).describe('member, cadre or merchant'),
  username: z.string().nullable().describe('Sign-in name'),
  displayName: z.string().describe('Name to show'),
  phone: z.string().nullable().describe('Phone, masked'),
  orgId: z.string().nullable().describe('Home organization of the account'),
  status: z.enum(['active', 'disabled']).describe('Disabled accounts cannot sign in'),
  lockedUntil: isoTime.nullable().describe('Locked after repeated failures until this time'),
  totpEnabled: z.boolean().describe('Whether an authenticator is set up'),
  createdAt: isoTime,
  lastLoginAt: isoTime.nullable().describe('Last successful sign-in'),
});

const permissionCode = z
  .enum(PERMISSION_CODES as [string, ...string[]])
  .describe('A permission code from the registry');

export const totpRecoveryOutput = z.object({
  id: idSchema,
  userId: z.string().describe('Who lost their authenticator'),
  username: z.string().nullable().describe('Their user name'),
  reason: z.string().describe('Reason they gave'),
  status: z.enum(['pending', 'approved', 'rejected']).describe('Decision so far'),
  requestedAt: isoTime,
  decidedAt: isoTime.nullable().describe('When it was decided'),
});

export const accessRoutes = {
  permissions: defineRoute({
    id: 'access.permissions',
    method: 'GET',
    path: '/api/permissions',
    tag: 'access',
    summary: 'The permission registry',
    permission: 'role.read',
    output: z.object({ items: z.array(permissionOutput).describe('Every permission') }),
    errors: [],
  }),
  roles: defineRoute({
    id: 'access.roles',
    method: 'GET',
    path: '/api/roles',
    tag: 'access',
    summary: 'Built-in and custom roles',
    permission: 'role.read',
    output: z.object({ items: z.array(roleOutput).describe('Every role') }),
    errors: [],
  }),
  createRole: defineRoute({
    id: 'access.createRole',
    method: 'POST',
    path: '/api/roles',
    tag: 'access',
    summary: 'Compose a custom role from permissions (dependencies are added)',
    permission: 'role.manage',
    body: z.strictObject({
      code: z
        .string()
        .regex(/^[a-z][a-z0-9_]{2,40}$/, 'lowercase letters, digits and _')
        .describe('Stable role code'),
      name: z
        .strictObject({ 'zh-CN': z.string().trim().min(1).max(50), en: z.string().trim().min(1).max(50) })
        .describe('Name in both locales'),
      permissions: z.array(permissionCode).min(1).max(100).describe('Permissions of the role'),
    }),
    output: roleOutput,
    status: 201,
    errors: ['CONFLICT'],
  }),
  updateRole: defineRoute({
    id: 'access.updateRole',
    method: 'PUT',
    path: '/api/roles/:id',
    tag: 'access',
    summary: "Change a custom role's name or permissions; holders' sessions end",
    permission: 'role.manage',
    params: z.object({ id: idSchema }),
    body: z.strictObject({
      name: z
        .strictObject({ 'zh-CN': z.string().trim().min(1).max(50), en: z.string().trim().min(1).max(50) })
        .describe('Name in both locales'),
      permissions: z.array(permissionCode).min(1).max(100).describe('Permissions of the role'),
    }),
    output: roleOutput,
    errors: ['NOT_FOUND', 'ROLE_BUILTIN_READONLY'],
  }),
  users: defineRoute({
    id: 'access.users',
    method: 'GET',
    path: '/api/users',
    tag: 'access',
    summary: 'Accounts whose home organization is in your scope',
    permission: 'user.read',
    query: pageQuery.extend({
      q: z.string().trim().max(64).optional().describe('User name or display name starts with'),
      kind: z.enum(USER_KINDS).optional().describe('Only this kind'),
    }),
    output: pageOf(userOutput),
    errors: [],
  }),
  getUser: defineRoute({
    id: 'access.getUser',
    method: 'GET',
    path: '/api/users/:id',
    tag: 'access',
    summary: 'One account in your scope',
    permission: 'user.read',
    params: z.object({ id: idSchema }),
    output: userOutput,
    errors: ['NOT_FOUND'],
  }),
  createUser: defineRoute({
    id: 'access.createUser',
    method: 'POST',
    path: '/api/users',
    tag: 'access',
    summary: 'Create a cadre or merchant account at an organization in your scope',
    permission: 'user.manage',
    body: z.strictObject({
      kind: z.enum(['cadre', 'merchant']).describe('cadre or merchant'),
      username: z
        .string()
        .trim()
        .regex(/^[A-Za-z][A-Za-z0-9_.-]{2,31}$/, '3–32 letters, digits, _ . -, starting with a letter')
        .describe('Sign-in name'),
      displayName: z.string().trim().min(1).max(50).describe('Name to show'),
      phone: phoneSchema.optional(),
      orgId: idSchema.describe('Home organization; must be in your scope'),
      initialPassword: z
        .string()
        .min(1)
        .max(128)
        .describe('First password; must meet the cadre policy; expires at once'),
    }),
    output: userOutput,
    status: 201,
    errors: ['NOT_FOUND', 'USERNAME_TAKEN', 'PHONE_TAKEN', 'PASSWORD_POLICY'],
  }),
  updateUser: defineRoute({
    id: 'access.updateUser',
    method: 'PATCH',
    path: '/api/users/:id',
    tag: 'access',
    summary: 'Rename, disable or enable an account; disabling ends its sessions at once',
    permission: 'user.manage',
    params: z.object({ id: idSchema }),
    body: z.strictObject({
      displayName: z.string().trim().min(1).max(50).optional().describe('Name to show'),
      status: z.enum(['active', 'disabled']).optional().describe('Disable or enable'),
    }),
    output: userOutput,
    errors: ['NOT_FOUND'],
  }),
  unlockUser: defineRoute({
    id: 'access.unlockUser',
    method: 'POST',
    path: '/api/users/:id/unlock',
    tag: 'access',
    summary: 'Lift a lockout after repeated failed sign-ins',
    permission: 'user.manage',
    params: z.object({ id: idSchema }),
    output: userOutput,
    errors: ['NOT_FOUND'],
  }),
  grants: defineRoute({
    id: 'access.grants',
    method: 'GET',
    path: '/api/grants',
    tag: 'access',
    summary: 'Grants at organizations in your scope',
    permission: 'grant.read',
    query: pageQuery.extend({
      userId: z.string().max(64).optional().describe('Only this user'),
      includeRevoked: z
        .enum(['true', 'false'])
        .default('false')
        .transform((v) => v === 'true')
        .describe('Include revoked and expired grants'),
    }),
    output: pageOf(grantOutput),
    errors: [],
  }),
  createGrant: defineRoute({
    id: 'access.createGrant',
    method: 'POST',
    path: '/api/grants',
    tag: 'access',
    summary: 'Grant a role at an organization in your scope, for a period',
    permission: 'grant.manage',
    body: z.strictObject({
      userId: idSchema.describe('Who receives the role'),
      roleId: idSchema.describe('Which role'),
      orgId: idSchema.describe('At which organization (with its subtree); must be in your scope'),
      validFrom: z.iso.datetime().optional().describe('Start; default now'),
      validTo: z.iso.datetime().nullable().optional().describe('End; default open-ended'),
    }),
    output: grantOutput,
    status: 201,
    errors: ['NOT_FOUND', 'SEPARATION_OF_DUTIES', 'SELF_GRANT', 'ROLE_NOT_FOR_USER_KIND'],
  }),
  revokeGrant: defineRoute({
    id: 'access.revokeGrant',
    method: 'DELETE',
    path: '/api/grants/:id',
    tag: 'access',
    summary: "Revoke a grant; the holder's sessions end at once",
    permission: 'grant.manage',
    params: z.object({ id: idSchema }),
    output: grantOutput,
    errors: ['NOT_FOUND', 'SELF_GRANT'],
  }),
  totpRecoveries: defineRoute({
    id: 'access.totpRecoveries',
    method: 'GET',
    path: '/api/totp-recovery-requests',
    tag: 'access',
    summary: 'Authenticator reset requests from accounts in your scope',
    permission: 'totpReset.approve',
    query: z.object({
      status: z.enum(['pending', 'approved', 'rejected']).default('pending').describe('Which requests'),
    }),
    output: z.object({ items: z.array(totpRecoveryOutput).describe('Requests, oldest first') }),
    errors: [],
  }),
  decideTotpRecovery: defineRoute({
    id: 'access.decideTotpRecovery',
    method: 'POST',
    path: '/api/totp-recovery-requests/:id/decision',
    tag: 'access',
    summary: 'Approve (the authenticator is removed; the user enrolls again) or reject a reset',
    permission: 'totpReset.approve',
    params: z.object({ id: idSchema }),
    body: z.strictObject({ approve: z.boolean().describe('true to approve, false to reject') }),
    output: totpRecoveryOutput,
    errors: ['NOT_FOUND', 'RECOVERY_NOT_PENDING', 'SELF_GRANT'],
  }),
};
