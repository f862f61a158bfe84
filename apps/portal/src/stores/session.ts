// The store lives with the client it shares the CSRF token with (api/client.ts).
export { useSessionStore } from '../api/client.ts';
export type { MobileSessionStatus as SessionStatus, MobileSessionView as SessionView } from '@zhgh/web';
