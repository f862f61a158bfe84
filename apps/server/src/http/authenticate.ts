import '@fastify/cookie';
import type { RouteContract } from '@zhgh/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../core/access/principal.ts';
import type { RequestContext } from '../core/actor.ts';
import { AppError } from '../core/app-error.ts';
import type { Config } from '../config.ts';
import { type AuthService, SESSION_COOKIE } from '../modules/auth/auth.service.ts';

export interface RequestAuth {
  ctx: RequestContext;
  /** Present on authenticated routes. */
  principal?: Principal;
  sessionToken?: string;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function baseContext(request: FastifyRequest): RequestContext {
  return {
    actor: { kind: 'anonymous', id: null },
    requestId: request.id,
    ip: request.ip,
    userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : null,
  };
}

/**
 * Every route passes through here before its input is even parsed: a caller without a
 * session learns nothing about validation rules. Order: session (401) → CSRF (403) →
 * restriction (403) → permission held anywhere (403). Whether the permission covers the
 * organization a request is about is the scope helper's job in the service (404).
 */
export function createAuthenticator(auth: AuthService) {
  return async function authenticate(request: FastifyRequest, route: RouteContract): Promise<RequestAuth> {
    const ctx = baseContext(request);
    if (route.permission === 'public') return { ctx };
    const token = request.cookies[SESSION_COOKIE];
    if (!token) throw new AppError('UNAUTHENTICATED');
    const resolved = await auth.resolve(token);
    if (!resolved.ok) throw new AppError(resolved.code);
    const { session, user, principal } = resolved;
    if (!SAFE_METHODS.has(request.method)) {
      const sent = request.headers['x-csrf-token'];
      if (!sent) throw new AppError('CSRF_TOKEN_MISSING');
      if (sent !== session.csrf_token) throw new AppError('CSRF_TOKEN_INVALID');
    }
    if (session.restriction && !route.allowRestricted) {
      throw new AppError(session.restriction === 'password_expired' ? 'PASSWORD_EXPIRED' : 'TOTP_ENROLLMENT_REQUIRED');
    }
    if (route.permission !== 'authenticated' && !principal.permissions.has(route.permission)) {
      throw new AppError('FORBIDDEN', undefined, `missing ${route.permission}`);
    }
    return {
      ctx: { ...ctx, actor: { kind: 'user', id: user.id, userKind: user.kind }, principal },
      principal,
      sessionToken: token,
    };
  };
}
export type Authenticator = ReturnType<typeof createAuthenticator>;

export function setSessionCookie(
  reply: FastifyReply,
  request: FastifyRequest,
  config: Config,
  token: string,
  maxAgeSeconds: number,
): void {
  const secure = config.COOKIE_SECURE === 'true' || (config.COOKIE_SECURE === 'auto' && request.protocol === 'https');
  void reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure,
    path: '/',
    maxAge: maxAgeSeconds,
  });
}

export function clearSessionCookie(reply: FastifyReply): void {
  void reply.clearCookie(SESSION_COOKIE, { path: '/' });
}
