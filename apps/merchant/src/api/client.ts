import { createMobileEnd } from '@zhgh/web';
import { locale } from '../i18n/index.ts';

/**
 * The merchant end's one session and client (@zhgh/web's createMobileEnd): same origin, CSRF header,
 * errors in the UI's language, merchant accounts only.
 */
const end = createMobileEnd('merchant', locale);
export const api = end.api;
export const onSessionLost = end.onSessionLost;
export const useSessionStore = end.useSessionStore;
