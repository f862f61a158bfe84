/**
 * Stable error codes. Clients switch on `code`, never on message text; a code, once
 * published, keeps its meaning forever.
 */
export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'NOT_FOUND',
  'ROUTE_NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'CONFLICT',
  'PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
  'INTERNAL',
  'JOB_NOT_CANCELLABLE',
  'JOB_NOT_RESUMABLE',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export type Locale = 'zh-CN' | 'en';

/** HTTP status for each code; exhaustive so a new code cannot ship without one. */
export function statusOf(code: ErrorCode): number {
  switch (code) {
    case 'VALIDATION_FAILED':
      return 400;
    case 'UNAUTHENTICATED':
      return 401;
    case 'FORBIDDEN':
      return 403;
    case 'NOT_FOUND':
    case 'ROUTE_NOT_FOUND':
      return 404;
    case 'METHOD_NOT_ALLOWED':
      return 405;
    case 'CONFLICT':
    case 'JOB_NOT_CANCELLABLE':
    case 'JOB_NOT_RESUMABLE':
      return 409;
    case 'PAYLOAD_TOO_LARGE':
      return 413;
    case 'RATE_LIMITED':
      return 429;
    case 'SERVICE_UNAVAILABLE':
      return 503;
    case 'INTERNAL':
      return 500;
  }
}

/** Human message per code and locale; exhaustive so no code is left untranslated. */
export function messageOf(code: ErrorCode, locale: Locale): string {
  const zh = locale === 'zh-CN';
  switch (code) {
    case 'VALIDATION_FAILED':
      return zh ? '输入有误，请检查标出的字段' : 'The input is invalid; check the fields listed';
    case 'NOT_FOUND':
      return zh ? '未找到该记录' : 'No such record';
    case 'ROUTE_NOT_FOUND':
      return zh ? '没有这个接口' : 'No such endpoint';
    case 'METHOD_NOT_ALLOWED':
      return zh ? '该接口不支持此请求方法' : 'This endpoint does not accept that method';
    case 'UNAUTHENTICATED':
      return zh ? '请先登录' : 'Sign in first';
    case 'FORBIDDEN':
      return zh ? '没有执行此操作的权限' : 'You do not have permission to do this';
    case 'CONFLICT':
      return zh ? '记录已被修改或已存在' : 'The record changed or already exists';
    case 'PAYLOAD_TOO_LARGE':
      return zh ? '提交的内容过大' : 'The request is too large';
    case 'RATE_LIMITED':
      return zh ? '操作过于频繁，请稍后再试' : 'Too many requests; try again later';
    case 'SERVICE_UNAVAILABLE':
      return zh ? '服务暂不可用，请稍后再试' : 'The service is unavailable; try again later';
    case 'INTERNAL':
      return zh ? '系统内部错误，请稍后再试' : 'Internal error; try again later';
    case 'JOB_NOT_CANCELLABLE':
      return zh ? '该任务已结束，不能取消' : 'The job has finished and cannot be cancelled';
    case 'JOB_NOT_RESUMABLE':
      return zh ? '只有已取消或失败的任务可以继续' : 'Only a cancelled or failed job can be resumed';
  }
}

/** Validation rules a field can break; each has a message in both locales. */
export const FIELD_RULES = [
  'required',
  'type',
  'format',
  'too_small',
  'too_big',
  'enum',
  'unknown_field',
  'invalid',
] as const;
export type FieldRule = (typeof FIELD_RULES)[number];

export function fieldRuleMessage(rule: FieldRule, locale: Locale): string {
  const zh = locale === 'zh-CN';
  switch (rule) {
    case 'required':
      return zh ? '必填' : 'is required';
    case 'type':
      return zh ? '类型不正确' : 'has the wrong type';
    case 'format':
      return zh ? '格式不正确' : 'has the wrong format';
    case 'too_small':
      return zh ? '过短或过小' : 'is too short or too small';
    case 'too_big':
      return zh ? '过长或过大' : 'is too long or too big';
    case 'enum':
      return zh ? '不是允许的取值' : 'is not one of the allowed values';
    case 'unknown_field':
      return zh ? '不是可接受的字段' : 'is not an accepted field';
    case 'invalid':
      return zh ? '取值无效' : 'is not valid';
  }
}

/** One problem with one field of the input. */
export interface FieldError {
  /** Dotted path of the field, e.g. `body.members.3.idNumber`. */
  field: string;
  rule: FieldRule;
  message: { 'zh-CN': string; en: string };
}

/** The one JSON shape every error response has. */
export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    messages: { 'zh-CN': string; en: string };
    fields?: FieldError[];
    requestId?: string;
  };
}
