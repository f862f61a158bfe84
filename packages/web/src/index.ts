export { can, type PermissionCodes, useAbilities } from './abilities.ts';
export {
  type ApiClient,
  type ApiClientOptions,
  ApiError,
  type CallArgs,
  type CallInput,
  clientErrorBody,
  createApiClient,
  isApiError,
} from './api.ts';
export { setDocumentTitle } from './browser.ts';
export {
  createMobileEnd,
  type SessionStatus as MobileSessionStatus,
  type SessionView as MobileSessionView,
} from './mobile-session.ts';
export {
  type AppI18n,
  createI18nFor,
  DEFAULT_LOCALE,
  initialLocale,
  isLocale,
  LOCALE_STORAGE_KEY,
  LOCALES,
  type MessageTree,
} from './i18n.ts';
export { type Request, useRequest } from './request.ts';
export {
  createSession,
  CSRF_HEADER,
  type LoginInput,
  type Session,
  type SessionGrant,
  type SessionOptions,
  type SessionRestriction,
  type SessionStatus,
  type SessionUser,
  type SessionView,
  type UserKind,
} from './session.ts';
export { createFormErrorKit, type Localized } from './form-errors.ts';
export { deviceLabel, formatDateTime, safeRedirect } from './format.ts';
