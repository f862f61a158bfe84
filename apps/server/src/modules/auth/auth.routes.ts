import { authRoutes } from '@zhgh/contracts';
import type { Config } from '../../config.ts';
import { clearSessionCookie, setSessionCookie } from '../../http/authenticate.ts';
import type { RouteBinder } from '../../http/router.ts';
import type { AuthService } from './auth.service.ts';

export function bindAuthRoutes(bind: RouteBinder, auth: AuthService, config: Config): void {
  const loginLimit = { rateLimit: { max: config.LOGIN_IP_LIMIT_PER_MINUTE, timeWindow: 60_000 } };
  const cookieAge = config.SESSION_ABSOLUTE_HOURS * 3600;

  bind(
    authRoutes.login,
    async ({ ctx, input, request, reply }) => {
      const { token, view } = await auth.login(ctx, input.body);
      setSessionCookie(reply, request, config, token, cookieAge);
      return view;
    },
    loginLimit,
  );
  bind(authRoutes.smsSend, ({ ctx, input }) => auth.sendSmsCode(ctx, input.body.phone), loginLimit);
  bind(
    authRoutes.smsLogin,
    async ({ ctx, input, request, reply }) => {
      const { token, view } = await auth.smsLogin(ctx, input.body);
      setSessionCookie(reply, request, config, token, cookieAge);
      return view;
    },
    loginLimit,
  );
  bind(authRoutes.session, ({ principal, sessionToken }) => auth.sessionView(principal!.userId, sessionToken!));
  bind(authRoutes.logout, async ({ ctx, sessionToken, reply }) => {
    await auth.logout(ctx, sessionToken!);
    clearSessionCookie(reply);
    return { ok: true as const };
  });
  bind(authRoutes.logoutAll, async ({ ctx, principal, reply }) => {
    const ended = await auth.logoutAll(ctx, principal!.userId);
    clearSessionCookie(reply);
    return { ended };
  });
  bind(authRoutes.sessions, async ({ principal }) => ({
    items: await auth.listSessions(principal!.userId, principal!.sessionId),
  }));
  bind(authRoutes.revokeSession, async ({ ctx, principal, input }) => {
    await auth.revokeSession(ctx, principal!.userId, input.params.id);
    return { ok: true as const };
  });
  bind(authRoutes.changePassword, async ({ ctx, principal, sessionToken, input }) => {
    await auth.changePassword(ctx, principal!.userId, sessionToken!, input.body);
    return { ok: true as const };
  });
  bind(authRoutes.totpSetup, ({ ctx, principal }) => auth.totpSetup(ctx, principal!.userId));
  bind(authRoutes.totpEnable, async ({ ctx, principal, sessionToken, input }) => {
    await auth.totpEnable(ctx, principal!.userId, sessionToken!, input.body.code);
    return { ok: true as const };
  });
  bind(authRoutes.totpRecoveryRequest, ({ ctx, input }) => auth.requestTotpRecovery(ctx, input.body), loginLimit);
}
