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
  'AUTH_INVALID_CREDENTIALS',
  'ACCOUNT_LOCKED',
  'ACCOUNT_DISABLED',
  'PASSWORD_EXPIRED',
  'PASSWORD_POLICY',
  'TOTP_REQUIRED',
  'TOTP_INVALID',
  'TOTP_ENROLLMENT_REQUIRED',
  'TOTP_ALREADY_ENABLED',
  'CSRF_TOKEN_MISSING',
  'CSRF_TOKEN_INVALID',
  'SESSION_EXPIRED',
  'SMS_CODE_WRONG',
  'SMS_CODE_EXPIRED',
  'SMS_CODE_USED',
  'SMS_RATE_LIMITED',
  'SEPARATION_OF_DUTIES',
  'SELF_GRANT',
  'ROLE_BUILTIN_READONLY',
  'ROLE_NOT_FOR_USER_KIND',
  'USERNAME_TAKEN',
  'PHONE_TAKEN',
  'RECOVERY_NOT_PENDING',
  // uploads and roster imports
  'FILE_TOO_LARGE',
  'IMPORT_FILE_EMPTY',
  'IMPORT_FILE_TYPE',
  'IMPORT_XLS_NOT_SUPPORTED',
  'IMPORT_ZIP_BOMB',
  'IMPORT_FILE_UNREADABLE',
  // exports
  'EXPORT_FILE_EXPIRED',
  // organizations and work units
  'ORG_IS_ROOT',
  'ORG_NOT_ACTIVE',
  'ORG_TREE_RULE',
  'ORG_MOVE_INTO_SUBTREE',
  'ORG_HAS_CHILDREN',
  'ORG_HAS_MEMBERS',
  'WORK_UNIT_CREDIT_CODE_TAKEN',
  // members
  'MEMBER_ID_NUMBER_TAKEN',
  'MEMBER_NUMBER_TAKEN',
  'MEMBER_TOO_YOUNG',
  'MEMBER_ORG_NOT_ELIGIBLE',
  // workflow engine
  'WORKFLOW_ACTION_UNAVAILABLE',
  'WORKFLOW_ACTION_FORBIDDEN',
  'WORKFLOW_INSTANCE_CHANGED',
  'WORKFLOW_DOCUMENT_MISSING',
  'WORKFLOW_NOTICE_PERIOD_OPEN',
  'WORKFLOW_OBJECTION_PENDING',
  'WORKFLOW_NOTICE_CLOSED',
  'WORKFLOW_OBJECTION_DECIDED',
  'WORKFLOW_NO_HIGHER_UNION',
  'WORKFLOW_DOCUMENT_KIND',
  // ledger and payouts
  'LEDGER_INSUFFICIENT_FUNDS',
  'LEDGER_IDEMPOTENCY_CONFLICT',
  'LEDGER_ALREADY_REVERSED',
  'LEDGER_NOT_REVERSIBLE',
  'PAYOUT_BATCH_STATE',
  'PAYOUT_NO_BANK_CARD',
  'PAYOUT_NOTHING_TO_PAY',
  'PAYOUT_RESULT_FILE_INVALID',
  // model-worker registry
  'MODEL_WORKER_AWARD_TAKEN',
  'MODEL_WORKER_CERTIFICATE_TAKEN',
  'MODEL_WORKER_HONOR_STATE',
  // model-worker subsidies
  'SUBSIDY_PERSON_NOT_BOUND',
  'SUBSIDY_NOT_ELIGIBLE',
  'SUBSIDY_ONCE_PER_YEAR',
  'SUBSIDY_POLICY_OVERLAP',
  'SUBSIDY_NO_POLICY',
  'SUBSIDY_NOTHING_TO_PLAN',
  'SUBSIDY_PAYER_NOT_FEDERATION',
  // the member's own account
  'REAL_NAME_NOT_MATCHED',
  'REAL_NAME_TAKEN',
  'CARD_PERSON_NOT_BOUND',
  'CARD_NO_MEMBERSHIP',
  // joining
  'JOIN_ALREADY_MEMBER',
  'JOIN_APPLICATION_PENDING',
  'JOIN_NO_UNION',
  'JOIN_UNION_CHANGED',
  // group enrollment
  'ENROLLMENT_EVENT_NOT_OPEN',
  'ENROLLMENT_EVENT_CLOSED',
  'ENROLLMENT_EVENT_FULL',
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
    case 'PASSWORD_POLICY':
    case 'SMS_CODE_WRONG':
    case 'SMS_CODE_EXPIRED':
    case 'SMS_CODE_USED':
      return 400;
    case 'AUTH_INVALID_CREDENTIALS':
    case 'TOTP_REQUIRED':
    case 'TOTP_INVALID':
    case 'SESSION_EXPIRED':
      return 401;
    case 'ACCOUNT_DISABLED':
    case 'PASSWORD_EXPIRED':
    case 'TOTP_ENROLLMENT_REQUIRED':
    case 'CSRF_TOKEN_MISSING':
    case 'CSRF_TOKEN_INVALID':
    case 'SELF_GRANT':
      return 403;
    case 'TOTP_ALREADY_ENABLED':
    case 'SEPARATION_OF_DUTIES':
    case 'ROLE_BUILTIN_READONLY':
    case 'ROLE_NOT_FOR_USER_KIND':
    case 'USERNAME_TAKEN':
    case 'PHONE_TAKEN':
    case 'RECOVERY_NOT_PENDING':
      return 409;
    // organizations and work units
    case 'ORG_IS_ROOT':
    case 'ORG_NOT_ACTIVE':
    case 'ORG_TREE_RULE':
    case 'ORG_MOVE_INTO_SUBTREE':
    case 'ORG_HAS_CHILDREN':
    case 'ORG_HAS_MEMBERS':
    case 'WORK_UNIT_CREDIT_CODE_TAKEN':
      return 409;
    // members
    case 'MEMBER_ID_NUMBER_TAKEN':
    case 'MEMBER_NUMBER_TAKEN':
    case 'MEMBER_ORG_NOT_ELIGIBLE':
      return 409;
    case 'MEMBER_TOO_YOUNG':
      return 400;
    // workflow engine
    case 'WORKFLOW_ACTION_UNAVAILABLE':
    case 'WORKFLOW_INSTANCE_CHANGED':
    case 'WORKFLOW_NOTICE_PERIOD_OPEN':
    case 'WORKFLOW_OBJECTION_PENDING':
    case 'WORKFLOW_NOTICE_CLOSED':
    case 'WORKFLOW_OBJECTION_DECIDED':
    case 'WORKFLOW_NO_HIGHER_UNION':
      return 409;
    case 'WORKFLOW_ACTION_FORBIDDEN':
      return 403;
    case 'WORKFLOW_DOCUMENT_MISSING':
    case 'WORKFLOW_DOCUMENT_KIND':
      return 400;
    // ledger and payouts
    case 'LEDGER_INSUFFICIENT_FUNDS':
    case 'LEDGER_IDEMPOTENCY_CONFLICT':
    case 'LEDGER_ALREADY_REVERSED':
    case 'LEDGER_NOT_REVERSIBLE':
    case 'PAYOUT_BATCH_STATE':
    case 'PAYOUT_NO_BANK_CARD':
    case 'PAYOUT_NOTHING_TO_PAY':
      return 409;
    case 'PAYOUT_RESULT_FILE_INVALID':
    case 'REAL_NAME_NOT_MATCHED':
      return 400;
    // model-worker registry
    case 'MODEL_WORKER_AWARD_TAKEN':
    case 'MODEL_WORKER_CERTIFICATE_TAKEN':
    case 'MODEL_WORKER_HONOR_STATE':
    case 'SUBSIDY_PERSON_NOT_BOUND':
    case 'SUBSIDY_NOT_ELIGIBLE':
    case 'SUBSIDY_ONCE_PER_YEAR':
    case 'SUBSIDY_POLICY_OVERLAP':
    case 'SUBSIDY_NO_POLICY':
    case 'SUBSIDY_NOTHING_TO_PLAN':
    case 'SUBSIDY_PAYER_NOT_FEDERATION':
    case 'REAL_NAME_TAKEN':
    case 'CARD_PERSON_NOT_BOUND':
    case 'CARD_NO_MEMBERSHIP':
      return 409;
    // uploads and roster imports
    case 'FILE_TOO_LARGE':
      return 413;
    case 'IMPORT_FILE_EMPTY':
    case 'IMPORT_FILE_TYPE':
    case 'IMPORT_XLS_NOT_SUPPORTED':
    case 'IMPORT_ZIP_BOMB':
    case 'IMPORT_FILE_UNREADABLE':
      return 400;
    // exports
    case 'EXPORT_FILE_EXPIRED':
      return 410;
    case 'ACCOUNT_LOCKED':
      return 423;
    case 'SMS_RATE_LIMITED':
      return 429;
    // joining
    case 'JOIN_ALREADY_MEMBER':
    case 'JOIN_APPLICATION_PENDING':
    case 'JOIN_NO_UNION':
    case 'JOIN_UNION_CHANGED':
      return 409;
    // group enrollment
    case 'ENROLLMENT_EVENT_NOT_OPEN':
    case 'ENROLLMENT_EVENT_CLOSED':
    case 'ENROLLMENT_EVENT_FULL':
      return 409;
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
    case 'AUTH_INVALID_CREDENTIALS':
      return zh ? '账号或密码错误' : 'Wrong account or password';
    // uploads and roster imports
    case 'FILE_TOO_LARGE':
      return zh ? '上传的文件超过大小上限' : 'The uploaded file is larger than the limit';
    case 'IMPORT_FILE_EMPTY':
      return zh ? '文件是空的，或没有表头行' : 'The file is empty or has no header row';
    case 'IMPORT_FILE_TYPE':
      return zh
        ? '只能导入 Excel 工作簿（.xlsx）或 CSV 文本文件'
        : 'Only Excel workbooks (.xlsx) and CSV text files can be imported';
    case 'IMPORT_XLS_NOT_SUPPORTED':
      return zh
        ? '这是旧版 Excel（.xls）或加了密码的工作簿：请在 Excel 中“另存为” .xlsx（不设密码）后再上传'
        : 'This is an old Excel file (.xls) or a password-protected workbook: use Save As .xlsx (without a password) and upload again';
    case 'IMPORT_ZIP_BOMB':
      return zh
        ? '文件解压后过大或压缩比异常，已拒绝处理'
        : 'The file would expand to far more than it holds (a zip bomb); it was refused';
    case 'IMPORT_FILE_UNREADABLE':
      return zh
        ? '文件已损坏或格式不正确，无法读取'
        : 'The file is damaged or not in the format its content claims; it cannot be read';
    // exports
    case 'EXPORT_FILE_EXPIRED':
      return zh
        ? '导出文件已超过保存期限并被删除，请重新导出'
        : 'The export file has passed its retention period and was removed; export again';
    case 'ACCOUNT_LOCKED':
      return zh
        ? '连续登录失败次数过多，账号已临时锁定，请稍后再试'
        : 'Too many failed sign-ins; the account is locked for a while';
    case 'ACCOUNT_DISABLED':
      return zh ? '账号已停用，请联系管理员' : 'The account is disabled; contact an administrator';
    case 'PASSWORD_EXPIRED':
      return zh ? '密码已过期，请先修改密码' : 'The password has expired; change it first';
    case 'PASSWORD_POLICY':
      return zh ? '新密码不符合密码规则' : 'The new password does not meet the password rules';
    case 'TOTP_REQUIRED':
      return zh ? '请输入动态口令' : 'Enter the one-time code from your authenticator';
    case 'TOTP_INVALID':
      return zh ? '动态口令错误或已使用' : 'The one-time code is wrong or already used';
    case 'TOTP_ENROLLMENT_REQUIRED':
      return zh ? '您的角色要求先绑定动态口令' : 'Your role requires setting up an authenticator first';
    case 'TOTP_ALREADY_ENABLED':
      return zh ? '已绑定动态口令' : 'An authenticator is already set up';
    case 'CSRF_TOKEN_MISSING':
      return zh ? '缺少安全令牌，请刷新页面后重试' : 'The security token is missing; reload and try again';
    case 'CSRF_TOKEN_INVALID':
      return zh ? '安全令牌无效，请刷新页面后重试' : 'The security token is invalid; reload and try again';
    case 'SESSION_EXPIRED':
      return zh ? '登录已超时，请重新登录' : 'The session has expired; sign in again';
    case 'SMS_CODE_WRONG':
      return zh ? '验证码错误' : 'The verification code is wrong';
    case 'SMS_CODE_EXPIRED':
      return zh ? '验证码已过期，请重新获取' : 'The verification code has expired; request a new one';
    case 'SMS_CODE_USED':
      return zh ? '验证码已使用，请重新获取' : 'The verification code was already used; request a new one';
    case 'SMS_RATE_LIMITED':
      return zh ? '验证码发送过于频繁，请稍后再试' : 'Codes were requested too often; try again later';
    case 'SEPARATION_OF_DUTIES':
      return zh
        ? '系统、安全、审计管理员不能由同一人兼任'
        : 'One person cannot hold two of the system, security and audit administrator roles';
    case 'SELF_GRANT':
      return zh ? '不能给自己授予角色' : 'You cannot grant a role to yourself';
    case 'ROLE_BUILTIN_READONLY':
      return zh ? '内置角色不能修改' : 'Built-in roles cannot be changed';
    case 'ROLE_NOT_FOR_USER_KIND':
      return zh ? '该角色不能授予此类用户' : 'This role cannot be granted to this kind of user';
    case 'USERNAME_TAKEN':
      return zh ? '用户名已被使用' : 'The user name is taken';
    case 'PHONE_TAKEN':
      return zh ? '手机号已被使用' : 'The phone number is already in use';
    case 'RECOVERY_NOT_PENDING':
      return zh ? '该重置申请已处理' : 'This reset request has already been decided';
    // organizations and work units
    case 'ORG_IS_ROOT':
      return zh ? '顶层组织不能移动、合并或撤销' : 'A top-level organization cannot be moved, merged or dissolved';
    case 'ORG_NOT_ACTIVE':
      return zh ? '该组织已撤销或已合并' : 'The organization has been dissolved or merged';
    case 'ORG_TREE_RULE':
      return zh ? '组织类型与上下级关系不符合组织体系规定' : 'The organization types do not fit the tree rules';
    case 'ORG_MOVE_INTO_SUBTREE':
      return zh
        ? '不能把组织移入或并入它自身或其下级组织'
        : 'An organization cannot be moved or merged into itself or its own subtree';
    case 'ORG_HAS_CHILDREN':
      return zh
        ? '该组织还有下级组织，请先撤销或移走下级组织'
        : 'The organization still has active child organizations; dissolve or move them first';
    case 'ORG_HAS_MEMBERS':
      return zh
        ? '该组织还有会员，请先办理会籍接转或将该组织合并'
        : 'The organization still has members; transfer them or merge the organization first';
    case 'WORK_UNIT_CREDIT_CODE_TAKEN':
      return zh
        ? '该统一社会信用代码已登记给其他单位'
        : 'This unified social credit code is already registered to another unit';
    // members
    case 'MEMBER_ID_NUMBER_TAKEN':
      return zh
        ? '此人已是会员（一人只能有一个有效会籍）。如其工作已变动，请由现所在工会办理会籍转出（会籍接转）后再登记，不要重复登记'
        : 'This person is already a member (one open membership per person). If they changed jobs, have their current union transfer the membership out first, then register them here';
    case 'MEMBER_NUMBER_TAKEN':
      return zh ? '该会员号已被其他会员使用' : 'This member number is already in use by another member';
    case 'MEMBER_TOO_YOUNG':
      return zh ? '未满 16 周岁，不能加入工会' : 'Members must be at least 16 years old';
    case 'MEMBER_ORG_NOT_ELIGIBLE':
      return zh
        ? '会员只能登记在基层工会等工会组织，不能直接登记在总工会'
        : 'Members join a union such as a grassroots union, not a federation directly';
    // ledger and payouts
    case 'LEDGER_INSUFFICIENT_FUNDS':
      return zh ? '余额不足：该账户的余额不能低于零' : 'Insufficient balance: this account may not go below zero';
    case 'LEDGER_IDEMPOTENCY_CONFLICT':
      return zh
        ? '该幂等键已用于另一笔内容不同的转账，请勿重复使用'
        : 'This idempotency key was already used for a different transfer';
    case 'LEDGER_ALREADY_REVERSED':
      return zh ? '该笔转账已冲正，不能再次冲正' : 'This transfer has already been reversed';
    case 'LEDGER_NOT_REVERSIBLE':
      return zh
        ? '该笔转账不能直接冲正（冲正记录本身或付款批次的转账由批次流程更正）'
        : 'This transfer cannot be reversed directly (a reversal itself, or a payout transfer, which its batch corrects)';
    case 'PAYOUT_BATCH_STATE':
      return zh ? '付款批次当前的状态不允许此操作' : 'The payout batch is not in a state that allows this';
    case 'PAYOUT_NO_BANK_CARD':
      return zh ? '收款人没有登记银行卡号，无法发放' : 'The payee has no bank card on record';
    case 'PAYOUT_NOTHING_TO_PAY':
      return zh ? '没有可以放入付款批次的应付款' : 'There is nothing payable to put in a payout batch';
    case 'PAYOUT_RESULT_FILE_INVALID':
      return zh
        ? '银行回盘文件有误，请按标出的行和列修改后重新上传；本次未做任何处理'
        : 'The bank result file is malformed; fix the line and column named and upload it again (nothing was applied)';
    // model-worker registry
    case 'MODEL_WORKER_AWARD_TAKEN':
      return zh
        ? '此人的同一类别、同一级别、同一年度的荣誉已登记，请勿重复登记'
        : 'This honour (same person, category, level and year) is already in the registry';
    case 'MODEL_WORKER_CERTIFICATE_TAKEN':
      return zh ? '该证书编号已被使用' : 'This certificate number is already in use';
    case 'MODEL_WORKER_HONOR_STATE':
      return zh
        ? '荣誉状态不允许此操作：只能撤销保留中的荣誉，只能恢复已撤销的荣誉'
        : 'Not possible in the honour’s state: only a kept honour can be revoked, only a revoked one restored';
    case 'REAL_NAME_NOT_MATCHED':
      return zh
        ? '未能核对到您的实名信息：请检查姓名和身份证号；如手机号已变更，请联系所在工会更新后再绑定'
        : 'Your real-name record could not be matched: check the name and ID number; if your phone changed, ask your union to update it first';
    case 'REAL_NAME_TAKEN':
      return zh
        ? '该实名信息已绑定其他账号，请联系所在工会处理'
        : 'This real-name record is already linked to another account; ask your union for help';
    case 'CARD_PERSON_NOT_BOUND':
      return zh
        ? '请先绑定您的实名信息，再领取电子会员卡'
        : 'Link your real-name record first, then issue your e-member card';
    case 'CARD_NO_MEMBERSHIP':
      return zh
        ? '您目前没有有效会籍（在会或保留会籍），不能领取电子会员卡'
        : 'You have no open membership (active or retained), so no member card can be issued';
    // workflow engine
    case 'WORKFLOW_ACTION_UNAVAILABLE':
      return zh
        ? '该申请当前所处环节不能执行此操作（可能已被他人处理）'
        : 'This action is not available at the step the application is in (someone may have handled it already)';
    case 'WORKFLOW_ACTION_FORBIDDEN':
      return zh
        ? '您在该工会没有办理这一环节的权限（此环节可能须由上级工会办理）'
        : 'You may not take this step at this union (it may be for the higher union)';
    case 'WORKFLOW_INSTANCE_CHANGED':
      return zh
        ? '该申请刚被他人处理，请刷新后查看最新状态'
        : 'Someone else handled this application just now; reload to see where it stands';
    case 'WORKFLOW_DOCUMENT_MISSING':
      return zh ? '办理这一环节前须上传所列材料' : 'Upload the documents listed before taking this step';
    case 'WORKFLOW_NOTICE_PERIOD_OPEN':
      return zh ? '公示期尚未结束，不能通过公示' : 'The public notice period has not ended yet';
    case 'WORKFLOW_OBJECTION_PENDING':
      return zh
        ? '公示期间收到的异议尚未全部处理，处理完毕后才能通过公示'
        : 'Objections raised during the public notice must all be reviewed first';
    case 'WORKFLOW_NOTICE_CLOSED':
      return zh ? '公示已结束，不再受理异议' : 'The public notice has ended; objections are no longer accepted';
    case 'WORKFLOW_OBJECTION_DECIDED':
      return zh ? '该异议已处理' : 'This objection has already been reviewed';
    case 'WORKFLOW_NO_HIGHER_UNION':
      return zh ? '该工会没有上级工会，无法向上级申诉' : 'This union has no higher union to appeal to';
    case 'WORKFLOW_DOCUMENT_KIND':
      return zh ? '该业务不接受此类材料' : 'This kind of document is not part of this application';
    case 'SUBSIDY_PERSON_NOT_BOUND':
      return zh
        ? '请先绑定您的实名信息（姓名和身份证号），再申请劳模补助'
        : 'Bind your real-name record (name and ID number) first, then apply';
    case 'SUBSIDY_NOT_ELIGIBLE':
      return zh ? '不符合该项补助的条件（见所列原因）' : 'Not eligible for this subsidy (see the reasons listed)';
    case 'SUBSIDY_ONCE_PER_YEAR':
      return zh
        ? '该劳模本年度已申请或已领取过这项补助（每人每年一次）'
        : 'This model worker has already applied for or received this subsidy this year (once a year)';
    case 'SUBSIDY_POLICY_OVERLAP':
      return zh
        ? '新政策的有效期与已有政策重叠（或已有按原政策在该日期之后的发放）'
        : 'The new rule overlaps a rule in force (or a payment after that date used the old rule)';
    case 'SUBSIDY_NO_POLICY':
      return zh ? '该日期没有有效的补助政策' : 'No subsidy rule is in force on that date';
    case 'SUBSIDY_NOTHING_TO_PLAN':
      return zh
        ? '没有可以列入支付计划的补助（可能已列入其他计划）'
        : 'Nothing is waiting to be put on a payment plan (it may be on another plan already)';
    case 'SUBSIDY_PAYER_NOT_FEDERATION':
      return zh
        ? '补助政策和支付计划由总工会制定，请选择总工会'
        : 'Subsidy rules and payment plans belong to a federation; choose a federation';
    // joining
    case 'JOIN_ALREADY_MEMBER':
      return zh
        ? '此身份证号已是工会会员（一人只能有一个会籍）。工作变动的，请办理会籍接转（转会），无需重新入会'
        : 'This ID number already holds a membership (one per person). After a change of job the membership is transferred; no new application is needed';
    case 'JOIN_APPLICATION_PENDING':
      return zh
        ? '此身份证号已有一份待审核的入会申请，请等待审核结果，或修改后重新提交那一份'
        : 'An application for this ID number is already waiting for review; wait for the decision or correct and resubmit that one';
    case 'JOIN_NO_UNION':
      return zh
        ? '没有找到可以受理的工会：请核对工作单位和工作地区，或联系当地总工会'
        : 'No union to take the application was found: check the employer and the work region, or contact the local federation';
    case 'JOIN_UNION_CHANGED':
      return zh
        ? '修改后的工作单位或地区由另一个工会受理，请撤回本申请后重新申请'
        : 'The corrected employer or region belongs to another union: withdraw this application and apply again';
    case 'ENROLLMENT_EVENT_NOT_OPEN':
      return zh
        ? '集中入会活动尚未开始，请在活动时间内扫码申请'
        : 'The enrollment event has not started yet; apply during the event';
    case 'ENROLLMENT_EVENT_CLOSED':
      return zh
        ? '集中入会活动已结束，请向工会咨询其他入会方式'
        : 'The enrollment event has ended; ask the union how else to join';
    case 'ENROLLMENT_EVENT_FULL':
      return zh
        ? '本次集中入会活动名额已满，请向工会咨询其他入会方式'
        : 'The enrollment event is full; ask the union how else to join';
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
