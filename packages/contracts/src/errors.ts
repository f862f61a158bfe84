export type Locale = 'zh-CN' | 'en';

/** What a code means: the HTTP status it answers with and its message in both locales. */
export interface ErrorDef {
  status: number;
  zh: string;
  en: string;
}
const e = (status: number, zh: string, en: string): ErrorDef => ({ status, zh, en });

/**
 * Stable error codes. Clients switch on `code`, never on message text; a code, once
 * published, keeps its meaning forever. One row a code, so a new code cannot ship without its
 * status and both messages.
 */
export const ERRORS = {
  VALIDATION_FAILED: e(400, '输入有误，请检查标出的字段', 'The input is invalid; check the fields listed'),
  NOT_FOUND: e(404, '未找到该记录', 'No such record'),
  ROUTE_NOT_FOUND: e(404, '没有这个接口', 'No such endpoint'),
  METHOD_NOT_ALLOWED: e(405, '该接口不支持此请求方法', 'This endpoint does not accept that method'),
  UNAUTHENTICATED: e(401, '请先登录', 'Sign in first'),
  FORBIDDEN: e(403, '没有执行此操作的权限', 'You do not have permission to do this'),
  CONFLICT: e(409, '记录已被修改或已存在', 'The record changed or already exists'),
  PAYLOAD_TOO_LARGE: e(413, '提交的内容过大', 'The request is too large'),
  RATE_LIMITED: e(429, '操作过于频繁，请稍后再试', 'Too many requests; try again later'),
  SERVICE_UNAVAILABLE: e(503, '服务暂不可用，请稍后再试', 'The service is unavailable; try again later'),
  INTERNAL: e(500, '系统内部错误，请稍后再试', 'Internal error; try again later'),
  JOB_NOT_CANCELLABLE: e(409, '该任务已结束，不能取消', 'The job has finished and cannot be cancelled'),
  JOB_NOT_RESUMABLE: e(409, '只有已取消或失败的任务可以继续', 'Only a cancelled or failed job can be resumed'),
  AUTH_INVALID_CREDENTIALS: e(401, '账号或密码错误', 'Wrong account or password'),
  ACCOUNT_LOCKED: e(
    423,
    '连续登录失败次数过多，账号已临时锁定，请稍后再试',
    'Too many failed sign-ins; the account is locked for a while',
  ),
  ACCOUNT_DISABLED: e(403, '账号已停用，请联系管理员', 'The account is disabled; contact an administrator'),
  PASSWORD_EXPIRED: e(403, '密码已过期，请先修改密码', 'The password has expired; change it first'),
  PASSWORD_POLICY: e(400, '新密码不符合密码规则', 'The new password does not meet the password rules'),
  TOTP_REQUIRED: e(401, '请输入动态口令', 'Enter the one-time code from your authenticator'),
  TOTP_INVALID: e(401, '动态口令错误或已使用', 'The one-time code is wrong or already used'),
  TOTP_ENROLLMENT_REQUIRED: e(
    403,
    '您的角色要求先绑定动态口令',
    'Your role requires setting up an authenticator first',
  ),
  TOTP_ALREADY_ENABLED: e(409, '已绑定动态口令', 'An authenticator is already set up'),
  CSRF_TOKEN_MISSING: e(403, '缺少安全令牌，请刷新页面后重试', 'The security token is missing; reload and try again'),
  CSRF_TOKEN_INVALID: e(403, '安全令牌无效，请刷新页面后重试', 'The security token is invalid; reload and try again'),
  SESSION_EXPIRED: e(401, '登录已超时，请重新登录', 'The session has expired; sign in again'),
  SMS_CODE_WRONG: e(400, '验证码错误', 'The verification code is wrong'),
  SMS_CODE_EXPIRED: e(400, '验证码已过期，请重新获取', 'The verification code has expired; request a new one'),
  SMS_CODE_USED: e(400, '验证码已使用，请重新获取', 'The verification code was already used; request a new one'),
  SMS_RATE_LIMITED: e(429, '验证码发送过于频繁，请稍后再试', 'Codes were requested too often; try again later'),
  SEPARATION_OF_DUTIES: e(
    409,
    '系统、安全、审计管理员不能由同一人兼任',
    'One person cannot hold two of the system, security and audit administrator roles',
  ),
  SELF_GRANT: e(403, '不能给自己授予角色', 'You cannot grant a role to yourself'),
  ROLE_BUILTIN_READONLY: e(409, '内置角色不能修改', 'Built-in roles cannot be changed'),
  ROLE_NOT_FOR_USER_KIND: e(409, '该角色不能授予此类用户', 'This role cannot be granted to this kind of user'),
  USERNAME_TAKEN: e(409, '用户名已被使用', 'The user name is taken'),
  PHONE_TAKEN: e(409, '手机号已被使用', 'The phone number is already in use'),
  RECOVERY_NOT_PENDING: e(409, '该重置申请已处理', 'This reset request has already been decided'),
  // uploads and roster imports
  FILE_TOO_LARGE: e(413, '上传的文件超过大小上限', 'The uploaded file is larger than the limit'),
  IMPORT_FILE_EMPTY: e(400, '文件是空的，或没有表头行', 'The file is empty or has no header row'),
  IMPORT_FILE_TYPE: e(
    400,
    '只能导入 Excel 工作簿（.xlsx）或 CSV 文本文件',
    'Only Excel workbooks (.xlsx) and CSV text files can be imported',
  ),
  IMPORT_XLS_NOT_SUPPORTED: e(
    400,
    '这是旧版 Excel（.xls）或加了密码的工作簿：请在 Excel 中“另存为” .xlsx（不设密码）后再上传',
    'This is an old Excel file (.xls) or a password-protected workbook: use Save As .xlsx (without a password) and upload again',
  ),
  IMPORT_ZIP_BOMB: e(
    400,
    '文件解压后过大或压缩比异常，已拒绝处理',
    'The file would expand to far more than it holds (a zip bomb); it was refused',
  ),
  IMPORT_FILE_UNREADABLE: e(
    400,
    '文件已损坏或格式不正确，无法读取',
    'The file is damaged or not in the format its content claims; it cannot be read',
  ),
  // exports
  EXPORT_FILE_EXPIRED: e(
    410,
    '导出文件已超过保存期限并被删除，请重新导出',
    'The export file has passed its retention period and was removed; export again',
  ),
  // organizations and work units
  ORG_IS_ROOT: e(409, '顶层组织不能移动、合并或撤销', 'A top-level organization cannot be moved, merged or dissolved'),
  ORG_NOT_ACTIVE: e(409, '该组织已撤销或已合并', 'The organization has been dissolved or merged'),
  ORG_TREE_RULE: e(409, '组织类型与上下级关系不符合组织体系规定', 'The organization types do not fit the tree rules'),
  ORG_MOVE_INTO_SUBTREE: e(
    409,
    '不能把组织移入或并入它自身或其下级组织',
    'An organization cannot be moved or merged into itself or its own subtree',
  ),
  ORG_HAS_CHILDREN: e(
    409,
    '该组织还有下级组织，请先撤销或移走下级组织',
    'The organization still has active child organizations; dissolve or move them first',
  ),
  ORG_HAS_MEMBERS: e(
    409,
    '该组织还有会员，请先办理会籍接转或将该组织合并',
    'The organization still has members; transfer them or merge the organization first',
  ),
  ORG_HAS_OPEN_CASES: e(
    409,
    '该组织还有待审核或公示中的申请，请先办结',
    'The organization still has applications under review or on notice; decide them first',
  ),
  ORG_HAS_FUNDS_IN_FLIGHT: e(
    409,
    '该组织还有待付款项或未对账的付款批次，请先付清或取消',
    'The organization still owes money or has payout batches not reconciled; settle or cancel them first',
  ),
  WORK_UNIT_CREDIT_CODE_TAKEN: e(
    409,
    '该统一社会信用代码已登记给其他单位',
    'This unified social credit code is already registered to another unit',
  ),
  // members
  MEMBER_ID_NUMBER_TAKEN: e(
    409,
    '此人已是会员（一人只能有一个有效会籍）。如其工作已变动，请由现所在工会办理会籍转出（会籍接转）后再登记，不要重复登记',
    'This person is already a member (one open membership per person). If they changed jobs, have their current union transfer the membership out first, then register them here',
  ),
  MEMBER_NUMBER_TAKEN: e(409, '该会员号已被其他会员使用', 'This member number is already in use by another member'),
  MEMBER_TOO_YOUNG: e(400, '未满 16 周岁，不能加入工会', 'Members must be at least 16 years old'),
  MEMBER_ORG_NOT_ELIGIBLE: e(
    409,
    '会员只能登记在基层工会等工会组织，不能直接登记在总工会',
    'Members join a union such as a grassroots union, not a federation directly',
  ),
  // workflow engine
  WORKFLOW_ACTION_UNAVAILABLE: e(
    409,
    '该申请当前所处环节不能执行此操作（可能已被他人处理）',
    'This action is not available at the step the application is in (someone may have handled it already)',
  ),
  WORKFLOW_ACTION_FORBIDDEN: e(
    403,
    '您在该工会没有办理这一环节的权限（此环节可能须由上级工会办理）',
    'You may not take this step at this union (it may be for the higher union)',
  ),
  WORKFLOW_INSTANCE_CHANGED: e(
    409,
    '该申请刚被他人处理，请刷新后查看最新状态',
    'Someone else handled this application just now; reload to see where it stands',
  ),
  WORKFLOW_DOCUMENT_MISSING: e(
    400,
    '办理这一环节前须上传所列材料',
    'Upload the documents listed before taking this step',
  ),
  WORKFLOW_NOTICE_PERIOD_OPEN: e(409, '公示期尚未结束，不能通过公示', 'The public notice period has not ended yet'),
  WORKFLOW_OBJECTION_PENDING: e(
    409,
    '公示期间收到的异议尚未全部处理，处理完毕后才能通过公示',
    'Objections raised during the public notice must all be reviewed first',
  ),
  WORKFLOW_NOTICE_CLOSED: e(
    409,
    '公示已结束，不再受理异议',
    'The public notice has ended; objections are no longer accepted',
  ),
  WORKFLOW_OBJECTION_DECIDED: e(409, '该异议已处理', 'This objection has already been reviewed'),
  WORKFLOW_NO_HIGHER_UNION: e(409, '该工会没有上级工会，无法向上级申诉', 'This union has no higher union to appeal to'),
  WORKFLOW_DOCUMENT_KIND: e(400, '该业务不接受此类材料', 'This kind of document is not part of this application'),
  // ledger and payouts
  LEDGER_INSUFFICIENT_FUNDS: e(
    409,
    '余额不足：该账户的余额不能低于零',
    'Insufficient balance: this account may not go below zero',
  ),
  LEDGER_IDEMPOTENCY_CONFLICT: e(
    409,
    '该幂等键已用于另一笔内容不同的转账，请勿重复使用',
    'This idempotency key was already used for a different transfer',
  ),
  LEDGER_ALREADY_REVERSED: e(409, '该笔转账已冲正，不能再次冲正', 'This transfer has already been reversed'),
  LEDGER_NOT_REVERSIBLE: e(
    409,
    '该笔转账不能直接冲正（冲正记录本身或付款批次的转账由批次流程更正）',
    'This transfer cannot be reversed directly (a reversal itself, or a payout transfer, which its batch corrects)',
  ),
  PAYOUT_BATCH_STATE: e(409, '付款批次当前的状态不允许此操作', 'The payout batch is not in a state that allows this'),
  PAYOUT_NO_BANK_CARD: e(409, '收款人没有登记银行卡号，无法发放', 'The payee has no bank card on record'),
  PAYOUT_NOTHING_TO_PAY: e(409, '没有可以放入付款批次的应付款', 'There is nothing payable to put in a payout batch'),
  PAYOUT_RESULT_FILE_INVALID: e(
    400,
    '银行回盘文件有误，请按标出的行和列修改后重新上传；本次未做任何处理',
    'The bank result file is malformed; fix the line and column named and upload it again (nothing was applied)',
  ),
  // model-worker registry
  MODEL_WORKER_AWARD_TAKEN: e(
    409,
    '此人的同一类别、同一级别、同一年度的荣誉已登记，请勿重复登记',
    'This honour (same person, category, level and year) is already in the registry',
  ),
  MODEL_WORKER_CERTIFICATE_TAKEN: e(409, '该证书编号已被使用', 'This certificate number is already in use'),
  MODEL_WORKER_HONOR_STATE: e(
    409,
    '荣誉状态不允许此操作：只能撤销保留中的荣誉，只能恢复已撤销的荣誉',
    'Not possible in the honour’s state: only a kept honour can be revoked, only a revoked one restored',
  ),
  // model-worker subsidies
  SUBSIDY_PERSON_NOT_BOUND: e(
    409,
    '请先绑定您的实名信息（姓名和身份证号），再申请劳模补助',
    'Bind your real-name record (name and ID number) first, then apply',
  ),
  SUBSIDY_NOT_ELIGIBLE: e(
    409,
    '不符合该项补助的条件（见所列原因）',
    'Not eligible for this subsidy (see the reasons listed)',
  ),
  SUBSIDY_ONCE_PER_YEAR: e(
    409,
    '该劳模本年度已申请或已领取过这项补助（每人每年一次）',
    'This model worker has already applied for or received this subsidy this year (once a year)',
  ),
  SUBSIDY_POLICY_OVERLAP: e(
    409,
    '新政策的有效期与已有政策重叠（或已有按原政策在该日期之后的发放）',
    'The new rule overlaps a rule in force (or a payment after that date used the old rule)',
  ),
  SUBSIDY_NO_POLICY: e(409, '该日期没有有效的补助政策', 'No subsidy rule is in force on that date'),
  SUBSIDY_NOTHING_TO_PLAN: e(
    409,
    '没有可以列入支付计划的补助（可能已列入其他计划）',
    'Nothing is waiting to be put on a payment plan (it may be on another plan already)',
  ),
  SUBSIDY_PAYER_NOT_FEDERATION: e(
    409,
    '补助政策和支付计划由总工会制定，请选择总工会',
    'Subsidy rules and payment plans belong to a federation; choose a federation',
  ),
  // the member's own account
  REAL_NAME_NOT_MATCHED: e(
    400,
    '未能核对到您的实名信息：请检查姓名和身份证号；如手机号已变更，请联系所在工会更新后再绑定',
    'Your real-name record could not be matched: check the name and ID number; if your phone changed, ask your union to update it first',
  ),
  REAL_NAME_TAKEN: e(
    409,
    '该实名信息已绑定其他账号，请联系所在工会处理',
    'This real-name record is already linked to another account; ask your union for help',
  ),
  CARD_PERSON_NOT_BOUND: e(
    409,
    '请先绑定您的实名信息，再领取电子会员卡',
    'Link your real-name record first, then issue your e-member card',
  ),
  CARD_NO_MEMBERSHIP: e(
    409,
    '您目前没有有效会籍（在会或保留会籍），不能领取电子会员卡',
    'You have no open membership (active or retained), so no member card can be issued',
  ),
  // union founding
  FOUNDING_UNIT_HAS_UNION: e(
    409,
    '该单位（统一社会信用代码）已建立工会，无需再次申请建会',
    'This workplace (credit code) already has a union; it need not found another',
  ),
  FOUNDING_ALREADY_OPEN: e(
    409,
    '该单位已有一份正在办理的建会申请，请继续办理或撤回后再申请',
    'This workplace already has a founding application in progress: continue it, or withdraw it first',
  ),
  FOUNDING_NO_HANDLING_UNION: e(
    409,
    '所在地区没有可受理建会的上级工会，请联系当地总工会',
    'No union in the region can handle the founding; contact the local federation',
  ),
  // membership changes: transfer, retention, withdrawal (decision 0017)
  MEMBERSHIP_PERSON_NOT_BOUND: e(
    409,
    '您的账号尚未关联实名会员信息，请先在“我的”中完成实名关联',
    'Your account is not linked to a real-name member record yet; link it under “Me” first',
  ),
  MEMBERSHIP_NOT_OPEN: e(
    409,
    '该会员目前没有有效会籍，或会籍已发生变化',
    'The member has no open membership, or it has changed meanwhile',
  ),
  MEMBERSHIP_STATUS_NOT_ALLOWED: e(409, '当前会籍状态不能办理此事项', 'The membership’s status does not allow this'),
  MEMBERSHIP_CHANGE_PENDING: e(
    409,
    '已有一项会籍申请（转会、保留会籍或退会）正在办理，请等待办结或撤回后再申请',
    'Another membership request (transfer, retention or withdrawal) is open; wait for it or cancel it first',
  ),
  MEMBERSHIP_TRANSFER_SAME_UNION: e(
    409,
    '转入工会与当前所在工会相同',
    'The union to transfer to is the member’s present union',
  ),
  // joining
  JOIN_ALREADY_MEMBER: e(
    409,
    '此身份证号已是工会会员（一人只能有一个会籍）。工作变动的，请办理会籍接转（转会），无需重新入会',
    'This ID number already holds a membership (one per person). After a change of job the membership is transferred; no new application is needed',
  ),
  JOIN_APPLICATION_PENDING: e(
    409,
    '此身份证号已有一份待审核的入会申请，请等待审核结果，或修改后重新提交那一份',
    'An application for this ID number is already waiting for review; wait for the decision or correct and resubmit that one',
  ),
  JOIN_NO_UNION: e(
    409,
    '没有找到可以受理的工会：请核对工作单位和工作地区，或联系当地总工会',
    'No union to take the application was found: check the employer and the work region, or contact the local federation',
  ),
  JOIN_UNION_CHANGED: e(
    409,
    '修改后的工作单位或地区由另一个工会受理，请撤回本申请后重新申请',
    'The corrected employer or region belongs to another union: withdraw this application and apply again',
  ),
  // group enrollment
  ENROLLMENT_EVENT_NOT_OPEN: e(
    409,
    '集中入会活动尚未开始，请在活动时间内扫码申请',
    'The enrollment event has not started yet; apply during the event',
  ),
  ENROLLMENT_EVENT_CLOSED: e(
    409,
    '集中入会活动已结束，请向工会咨询其他入会方式',
    'The enrollment event has ended; ask the union how else to join',
  ),
  ENROLLMENT_EVENT_FULL: e(
    409,
    '本次集中入会活动名额已满，请向工会咨询其他入会方式',
    'The enrollment event is full; ask the union how else to join',
  ),
} as const satisfies Record<string, ErrorDef>;

export type ErrorCode = keyof typeof ERRORS;

export const ERROR_CODES = Object.keys(ERRORS) as readonly ErrorCode[];

/** HTTP status of a code. */
export function statusOf(code: ErrorCode): number {
  return ERRORS[code].status;
}

/** Human message of a code in a locale. */
export function messageOf(code: ErrorCode, locale: Locale): string {
  return locale === 'zh-CN' ? ERRORS[code].zh : ERRORS[code].en;
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
