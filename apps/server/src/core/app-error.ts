import { type ErrorCode, type FieldError, type FieldRule, fieldRuleMessage, statusOf } from '@zhgh/contracts';

/**
 * The one error type of the platform. Services throw it with a stable code; the HTTP edge
 * turns it into the one JSON shape. Domain code never imports the web framework.
 */
export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    readonly fields?: FieldError[],
    /** Detail for logs only; never sent to clients. */
    readonly detail?: string,
  ) {
    super(detail ?? code);
    this.name = 'AppError';
    this.status = statusOf(code);
  }

  static notFound(detail?: string): AppError {
    return new AppError('NOT_FOUND', undefined, detail);
  }

  static invalid(field: string, rule: FieldRule, detail?: { 'zh-CN': string; en: string }): AppError {
    return new AppError('VALIDATION_FAILED', [fieldError(field, rule, detail)]);
  }
}

export function fieldError(field: string, rule: FieldRule, detail?: { 'zh-CN': string; en: string }): FieldError {
  return {
    field,
    rule,
    message: detail ?? {
      'zh-CN': `${field}：${fieldRuleMessage(rule, 'zh-CN')}`,
      en: `${field} ${fieldRuleMessage(rule, 'en')}`,
    },
  };
}
