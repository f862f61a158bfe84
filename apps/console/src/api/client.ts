import { createSession } from '@zhgh/web';
import { locale } from '../i18n/index.ts';

/**
 * The console's one session and client: same origin, errors in the UI's language, the CSRF
 * token on every call. Cadre accounts only: a member signing in here gets "wrong password",
 * exactly as an unknown account would.
 */
export const session = createSession({ kind: 'cadre', locale });
export const api = session.api;
