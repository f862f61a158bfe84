import { z } from 'zod';
import { idSchema, isoTime, localizedText, okOutput, phoneSchema } from './common.ts';
import { defineRoute } from './route.ts';

export const USER_KINDS = ['member', 'cadre', 'merchant'] as const;

const password = z.string().min(1).max(128).describe('Password');
const totpCode = z
  .string()
  .regex(/^\d{6}$/, 'must be 6 digits')
  .describe('6-digit code from the authenticator app');
const smsCode = z
  .string()
  .regex(/^\d{6}$/, 'must be 6 digits')
  .describe('6-digit code received by SMS');

export const grantOutput = z.object({
  id: idSchema,
  userId: z.string().describe('Holder of the grant'),
  roleId: z.string().describe('Granted role id'),
  roleCode: z.string().describe('Granted role code'),
  roleName: localizedText.describe('Role name in both locales'),
  orgId: z.string().describe('Organization node the grant applies to, with its subtree'),
  orgName: z.string().describe('Name of that organization'),
  orgPath: z.string().describe('Materialized path of that organization'),
  validFrom: isoTime,
  validTo: isoTime.nullable().describe('End of validity; null for open-ended'),
  grantedBy: z.string().nullable().describe('User who granted it'),
  revokedAt: isoTime.nullable().describe('When it was revoked, if it was'),
});

export const sessionOutput = z.object({
  user: z
    .object({
      id: idSchema,
      kind: z.enum(USER_KINDS).describe('member, cadre or merchant'),
      displayName: z.string().describe('Name to show'),
      username: z.string().nullable().describe('Sign-in name (cadres and merchants)'),
      phone: z.string().nullable().describe('Phone, masked'),
      totpEnabled: z.boolean().describe('Whether an authenticator is set up'),
      hasPassword: z.boolean().describe('Whether a password is set'),
    })
    .describe('The signed-in user'),
  grants: z.array(grantOutput).describe('Live grants: role at an organization, with its subtree'),
  permissions: z.array(z.string()).describe('Permission codes held at any node; for showing or hiding actions'),
  csrfToken: z.string().describe('Send as the x-csrf-token header on every state-changing request'),
  restriction: z
    .enum(['password_expired', 'totp_enrollment'])
    .nullable()
    .describe('When set, only the routes that lift the restriction are open'),
  expiresAt: isoTime.describe('Absolute end of this session'),
  idleTimeoutSeconds: z.number().int().describe('The session ends after this long without a request'),
});

export const sessionListItem = z.object({
  id: idSchema,
  current: z.boolean().describe('Whether this is the session making the request'),
  createdAt: isoTime,
  lastSeenAt: isoTime,
  expiresAt: isoTime,
  ip: z.string().nullable().describe('Address the session signed in from'),
  userAgent: z.string().nullable().describe('Browser the session signed in from'),
});

export const authRoutes = {
  login: defineRoute({
    id: 'auth.login',
    method: 'POST',
    path: '/api/auth/login',
    tag: 'auth',
    summary: 'Sign in with account (user name or phone) and password, plus TOTP where required',
    permission: 'public',
    body: z.strictObject({
      account: z.string().trim().min(1).max(64).describe('User name, or phone for members'),
      password,
      totp: totpCode.optional(),
      kind: z.enum(USER_KINDS).describe('Which end is signing in: member, cadre or merchant'),
    }),
    output: sessionOutput,
    errors: [
      'AUTH_INVALID_CREDENTIALS',
      'ACCOUNT_LOCKED',
      'ACCOUNT_DISABLED',
      'TOTP_REQUIRED',
      'TOTP_INVALID',
      'RATE_LIMITED',
    ],
  }),
  smsSend: defineRoute({
    id: 'auth.smsSend',
    method: 'POST',
    path: '/api/auth/sms-codes',
    tag: 'auth',
    summary: 'Send a 6-digit sign-in code to a phone (valid 5 minutes, single use)',
    permission: 'public',
    body: z.strictObject({ phone: phoneSchema }),
    output: z.object({
      sent: z.literal(true).describe('The code was sent'),
      expiresInSeconds: z.number().int().describe('How long the code stays valid'),
      resendAfterSeconds: z.number().int().describe('How long before another code may be requested'),
    }),
    status: 202,
    errors: ['SMS_RATE_LIMITED'],
  }),
  smsLogin: defineRoute({
    id: 'auth.smsLogin',
    method: 'POST',
    path: '/api/auth/sms-login',
    tag: 'auth',
    summary: 'Sign in as a member with phone and SMS code; the first sign-in creates the account',
    permission: 'public',
    body: z.strictObject({ phone: phoneSchema, code: smsCode }),
    output: sessionOutput,
    errors: ['SMS_CODE_WRONG', 'SMS_CODE_EXPIRED', 'SMS_CODE_USED', 'ACCOUNT_DISABLED', 'ACCOUNT_LOCKED'],
  }),
  session: defineRoute({
    id: 'auth.session',
    method: 'GET',
    path: '/api/auth/session',
    tag: 'auth',
    summary: 'The signed-in user, live grants, permission codes and CSRF token',
    permission: 'authenticated',
    allowRestricted: true,
    output: sessionOutput,
    errors: ['SESSION_EXPIRED'],
  }),
  logout: defineRoute({
    id: 'auth.logout',
    method: 'POST',
    path: '/api/auth/logout',
    tag: 'auth',
    summary: 'Sign out of this session',
    permission: 'authenticated',
    allowRestricted: true,
    output: okOutput,
    errors: ['CSRF_TOKEN_MISSING', 'CSRF_TOKEN_INVALID'],
  }),
  logoutAll: defineRoute({
    id: 'auth.logoutAll',
    method: 'POST',
    path: '/api/auth/logout-all',
    tag: 'auth',
    summary: 'Sign out everywhere: end every session of this user',
    permission: 'authenticated',
    allowRestricted: true,
    output: z.object({ ended: z.number().int().describe('Sessions ended') }),
    errors: ['CSRF_TOKEN_MISSING', 'CSRF_TOKEN_INVALID'],
  }),
  sessions: defineRoute({
    id: 'auth.sessions',
    method: 'GET',
    path: '/api/auth/sessions',
    tag: 'auth',
    summary: 'My live sessions',
    permission: 'authenticated',
    output: z.object({ items: z.array(sessionListItem).describe('Live sessions, newest first') }),
    errors: [],
  }),
  revokeSession: defineRoute({
    id: 'auth.revokeSession',
    method: 'DELETE',
    path: '/api/auth/sessions/:id',
    tag: 'auth',
    summary: 'End one of my sessions',
    permission: 'authenticated',
    params: z.object({ id: idSchema }),
    output: okOutput,
    errors: ['NOT_FOUND', 'CSRF_TOKEN_MISSING', 'CSRF_TOKEN_INVALID'],
  }),
  changePassword: defineRoute({
    id: 'auth.changePassword',
    method: 'POST',
    path: '/api/auth/password',
    tag: 'auth',
    summary: 'Set or change my password (members without one may set it without the old one)',
    permission: 'authenticated',
    allowRestricted: true,
    body: z.strictObject({
      oldPassword: password.optional().describe('Current password; required once one is set'),
      newPassword: z.string().min(1).max(128).describe('New password; must meet the policy of your account kind'),
    }),
    output: okOutput,
    errors: ['AUTH_INVALID_CREDENTIALS', 'PASSWORD_POLICY', 'CSRF_TOKEN_MISSING', 'CSRF_TOKEN_INVALID'],
  }),
  totpSetup: defineRoute({
    id: 'auth.totpSetup',
    method: 'POST',
    path: '/api/auth/totp/setup',
    tag: 'auth',
    summary: 'Start authenticator enrollment: a new secret and its QR code',
    permission: 'authenticated',
    allowRestricted: true,
    output: z.object({
      secret: z.string().describe('Base32 secret, for typing in by hand'),
      otpauthUrl: z.string().describe('otpauth:// URL the QR code carries'),
      qrSvg: z.string().describe('The QR code as an SVG document'),
    }),
    errors: ['TOTP_ALREADY_ENABLED', 'CSRF_TOKEN_MISSING', 'CSRF_TOKEN_INVALID'],
  }),
  totpEnable: defineRoute({
    id: 'auth.totpEnable',
    method: 'POST',
    path: '/api/auth/totp/enable',
    tag: 'auth',
    summary: 'Finish enrollment by proving one code from the authenticator',
    permission: 'authenticated',
    allowRestricted: true,
    body: z.strictObject({ code: totpCode }),
    output: okOutput,
    errors: ['TOTP_INVALID', 'TOTP_ALREADY_ENABLED', 'CSRF_TOKEN_MISSING', 'CSRF_TOKEN_INVALID'],
  }),
  totpRecoveryRequest: defineRoute({
    id: 'auth.totpRecoveryRequest',
    method: 'POST',
    path: '/api/auth/totp/recovery-requests',
    tag: 'auth',
    summary: 'Lost authenticator: ask a security administrator to reset it (needs the password)',
    permission: 'public',
    body: z.strictObject({
      account: z.string().trim().min(1).max(64).describe('User name'),
      password,
      reason: z.string().trim().min(4).max(500).describe('Why the authenticator is lost'),
    }),
    output: z.object({ requested: z.literal(true).describe('The request waits for a security administrator') }),
    status: 202,
    errors: ['AUTH_INVALID_CREDENTIALS', 'ACCOUNT_LOCKED', 'RATE_LIMITED'],
  }),
};
