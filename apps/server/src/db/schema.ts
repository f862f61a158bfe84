/** Row types of every table, as Kysely sees them. Timestamps are ISO-8601 UTC strings. */

export interface AuditEventTable {
  /** Position in the chain: 1, 2, 3 … without gaps; unique, so two writers cannot fork it. */
  seq: number;
  id: string;
  occurred_at: string;
  actor_id: string | null;
  actor_kind: string;
  action: string;
  subject_type: string;
  subject_id: string | null;
  org_path: string | null;
  /** Province root of org_path: the future sharding key. */
  province_root: string | null;
  /** JSON list of changed field names with non-sensitive before/after values. */
  changes: string | null;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}

export interface JobTable {
  id: string;
  kind: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  payload: string;
  /** Where a resumed run continues, written by the handler as it makes progress. */
  checkpoint: string | null;
  result: string | null;
  error: string | null;
  progress_done: number;
  progress_total: number | null;
  cancel_requested: number;
  attempts: number;
  created_by: string | null;
  org_path: string | null;
  province_root: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface OrganizationTable {
  id: string;
  parent_id: string | null;
  name: string;
  type: string;
  level: string | null;
  region_code: string | null;
  /** Ids from the root, `/a/b/c/`; "b and below" is the range ['/a/b/', '/a/b0'). */
  path: string;
  depth: number;
  province_root: string;
  status: 'active' | 'dissolved' | 'merged';
  created_at: string;
  updated_at: string;
  dissolved_at: string | null;
  /** For a merged organization: the one it was merged into. */
  merged_into_id: string | null;
  /** Why it was dissolved or merged. */
  status_reason: string | null;
}

export interface WorkUnitTable {
  id: string;
  name: string;
  credit_code: string | null;
  unit_type: string | null;
  industry: string | null;
  region_code: string | null;
  address: string | null;
  employee_count: number;
  /** YYYY-MM-DD */
  founded_on: string | null;
  chair_name: string | null;
  contact_name: string | null;
  contact_phone_cipher: string | null;
  union_org_id: string | null;
  org_id: string;
  org_path: string;
  province_root: string;
  created_at: string;
  updated_at: string;
}

export interface PersonTable {
  id: string;
  name: string;
  name_initials: string;
  id_number_cipher: string;
  id_number_index: string;
  gender: 'male' | 'female';
  /** YYYY-MM-DD, from the ID number */
  birth_date: string;
  ethnicity: string | null;
  political_status: string | null;
  education: string | null;
  household_type: string | null;
  household_region: string | null;
  phone_cipher: string | null;
  phone_index: string | null;
  bank_card_cipher: string | null;
  bank_card_index: string | null;
  employment_type: string;
  new_form_group: string | null;
  work_unit_id: string | null;
  work_unit_name: string | null;
  real_name_verified: number;
  created_at: string;
  updated_at: string;
}

export interface MembershipTable {
  id: string;
  person_id: string;
  id_number_index: string;
  org_id: string;
  org_path: string;
  province_root: string;
  /** The person's name and pinyin initials, copied for search in scope (migration 0008). */
  name: string;
  name_initials: string;
  status: 'active' | 'retained' | 'transferred_out' | 'withdrawn';
  /** YYYY-MM-DD */
  started_on: string;
  ended_on: string | null;
  end_reason: string | null;
  member_number: string | null;
  card_number: string | null;
  created_at: string;
  updated_at: string;
}

/**
 * Every column of `membership` a row is written with. The table also has the generated
 * columns `city_key` and `county_key` (migration 0020), which no INSERT may name: a row read
 * to be written again (a merge reopening memberships) selects these columns, not `*`.
 */
export const MEMBERSHIP_COLUMNS = [
  'id',
  'person_id',
  'id_number_index',
  'org_id',
  'org_path',
  'province_root',
  'name',
  'name_initials',
  'status',
  'started_on',
  'ended_on',
  'end_reason',
  'member_number',
  'card_number',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof MembershipTable)[];

/** The last member number drawn in a year (migration 0004). */
export interface MemberNumberSequenceTable {
  year: number;
  last_value: number;
}

/** A roster row an import job could not import (migration 0005). */
export interface ImportProblemTable {
  job_id: string;
  row_number: number;
  /** JSON array of the cells as read. */
  cells: string;
  /** JSON array of RosterProblem. */
  problems: string;
}

export interface UserAccountTable {
  id: string;
  kind: 'member' | 'cadre' | 'merchant';
  username: string | null;
  display_name: string;
  phone_cipher: string | null;
  phone_index: string | null;
  org_id: string | null;
  org_path: string | null;
  province_root: string | null;
  password_hash: string | null;
  password_changed_at: string | null;
  /** Set for passwords an administrator chose: the user must replace them at first sign-in. */
  password_must_change: number;
  totp_secret_cipher: string | null;
  /** A secret shown for enrollment, not yet proven by a code. */
  totp_pending_cipher: string | null;
  totp_enabled_at: string | null;
  /** Last accepted TOTP time step: a code is never accepted twice. */
  totp_last_step: number | null;
  status: 'active' | 'disabled';
  failed_attempts: number;
  locked_until: string | null;
  last_login_at: string | null;
  /** The real-name record a member account speaks for (migration 0011). */
  person_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface SessionTable {
  id: string;
  public_id: string;
  user_id: string;
  csrf_token: string;
  restriction: 'password_expired' | 'totp_enrollment' | null;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  idle_timeout_s: number;
  ip: string | null;
  user_agent: string | null;
  revoked_at: string | null;
  revoked_reason: string | null;
}

export interface RoleTable {
  id: string;
  code: string;
  name_zh: string;
  name_en: string;
  builtin: number;
  separated_duty: 'system' | 'security' | 'audit' | null;
  /** JSON array of the user kinds that may hold the role. */
  user_kinds: string;
  created_at: string;
  updated_at: string;
}

export interface RolePermissionTable {
  role_id: string;
  permission: string;
}

export interface RoleGrantTable {
  id: string;
  user_id: string;
  role_id: string;
  org_id: string;
  org_path: string;
  province_root: string;
  valid_from: string;
  valid_to: string | null;
  granted_by: string | null;
  created_at: string;
  revoked_at: string | null;
  revoked_by: string | null;
}

export interface SmsCodeTable {
  id: string;
  phone_index: string;
  code_hash: string;
  ip: string | null;
  created_at: string;
  expires_at: string;
  consumed_at: string | null;
  attempts: number;
}

export interface TotpRecoveryTable {
  id: string;
  user_id: string;
  org_path: string | null;
  reason: string;
  status: 'pending' | 'approved' | 'rejected';
  requested_at: string;
  decided_by: string | null;
  decided_at: string | null;
}

/** Subtree counters (migration 0006): the value covers the organization's whole subtree. */
export interface OrgStatTable {
  org_id: string;
  key: string;
  value: number;
}

/** The one date the age-band counters are counted as of (migration 0006). */
export interface OrgStatAsOfTable {
  id: number;
  as_of: string;
}

export interface DB {
  audit_event: AuditEventTable;
  job: JobTable;
  organization: OrganizationTable;
  user_account: UserAccountTable;
  session: SessionTable;
  role: RoleTable;
  role_permission: RolePermissionTable;
  role_grant: RoleGrantTable;
  sms_code: SmsCodeTable;
  totp_recovery: TotpRecoveryTable;
  work_unit: WorkUnitTable;
  person: PersonTable;
  membership: MembershipTable;
  member_number_sequence: MemberNumberSequenceTable;
  org_stat: OrgStatTable;
  org_stat_as_of: OrgStatAsOfTable;
  import_problem: ImportProblemTable;
  ledger_account: LedgerAccountTable;
  ledger_transfer: LedgerTransferTable;
  payout_batch: PayoutBatchTable;
  payout_line: PayoutLineTable;
  workflow_instance: WorkflowInstanceTable;
  workflow_history: WorkflowHistoryTable;
  workflow_attachment: WorkflowAttachmentTable;
  workflow_notice: WorkflowNoticeTable;
  workflow_objection: WorkflowObjectionTable;
  calendar_day: CalendarDayTable;
  model_worker: ModelWorkerTable;
  subsidy_policy: SubsidyPolicyTable;
  subsidy_plan: SubsidyPlanTable;
  subsidy_award: SubsidyAwardTable;
  notification: NotificationTable;
  member_card: MemberCardTable;
  card_verification: CardVerificationTable;
  sms_queue: SmsQueueTable;
  founding_application: FoundingApplicationTable;
  membership_transfer: MembershipTransferTable;
  membership_change: MembershipChangeTable;
  membership_activity: MembershipActivityTable;
  inactivity_proposal: InactivityProposalTable;
  inactivity_run: InactivityRunTable;
}

/** One application of any kind, as the workflow engine runs it (migration 0010). */
export interface WorkflowInstanceTable {
  id: string;
  definition_key: string;
  definition_version: number;
  subject_type: string;
  subject_id: string | null;
  applicant_user_id: string | null;
  applicant_person_id: string | null;
  /** The union handling the current step. */
  org_id: string;
  org_path: string;
  province_root: string;
  state: string;
  state_kind: string;
  /** JSON object owned by the module. */
  data: string;
  /** Optimistic lock, +1 on every transition. */
  version: number;
  /** Number of the instance's last history row. */
  history_seq: number;
  due_at: string | null;
  /** Beijing date (YYYY-MM-DD) of the last overdue reminder. */
  reminded_on: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
}

/** One step of an instance's history; append-only (migration 0010). */
export interface WorkflowHistoryTable {
  id: string;
  instance_id: string;
  seq: number;
  at: string;
  actor_id: string | null;
  actor_kind: string;
  action: string;
  from_state: string | null;
  to_state: string | null;
  comment: string | null;
  /** JSON detail of the step. */
  detail: string | null;
  /** The handling union's path when the step happened. */
  org_path: string;
  province_root: string;
}

export interface WorkflowAttachmentTable {
  id: string;
  instance_id: string;
  kind: string;
  file_name: string;
  content_type: string;
  size_bytes: number;
  sha256: string;
  /** Relative to DATA_DIR. */
  storage_key: string;
  uploaded_by: string | null;
  created_at: string;
}

/** A public notice (公示) of an instance's notice step (migration 0010). */
export interface WorkflowNoticeTable {
  id: string;
  instance_id: string;
  state: string;
  subject_name: string;
  summary: string;
  starts_at: string;
  ends_at: string;
  status: 'open' | 'passed' | 'withdrawn';
  org_id: string;
  org_path: string;
  province_root: string;
  created_at: string;
  closed_at: string | null;
}

export interface WorkflowObjectionTable {
  id: string;
  notice_id: string;
  instance_id: string;
  objector_user_id: string;
  reason: string;
  status: 'open' | 'upheld' | 'dismissed' | 'superseded';
  decision_reason: string | null;
  decided_by: string | null;
  decided_at: string | null;
  created_at: string;
}

/** A day that breaks the Monday–Friday rule: a holiday, or a weekend day worked (调休). */
export interface CalendarDayTable {
  /** YYYY-MM-DD */
  day: string;
  working: number;
  name: string;
  updated_at: string;
}

/** Ledger accounts (migration 0009, decision 0012). Amounts are integer fen. */
export interface LedgerAccountTable {
  id: string;
  /** `kind:orgId:purpose[:personId]`, unique: one account per owner and purpose. */
  account_key: string;
  kind: 'funding' | 'budget' | 'payable' | 'clearing' | 'bank';
  purpose: string;
  org_id: string;
  org_path: string;
  province_root: string;
  /** The payee of a payable account. */
  person_id: string | null;
  currency: 'CNY';
  balance_rule: 'none' | 'debits_must_not_exceed_credits';
  debits_posted: number;
  credits_posted: number;
  /** Held by draft payout lines: not moved yet, no longer available to other debits. */
  debits_pending: number;
  created_at: string;
  updated_at: string;
}

/** An immutable double-entry transfer (migration 0009); the table refuses UPDATE and DELETE. */
export interface LedgerTransferTable {
  id: string;
  idempotency_key: string;
  debit_account_id: string;
  credit_account_id: string;
  amount: number;
  kind: string;
  memo: string | null;
  reference_type: string | null;
  reference_id: string | null;
  /** The transfer this one reverses; unique, so a transfer is reversed once. */
  reversal_of: string | null;
  occurred_at: string;
  created_at: string;
  created_by: string | null;
}

/** A payout batch: payables sent to the bank as one file (migration 0009). */
export interface PayoutBatchTable {
  id: string;
  batch_no: string;
  org_id: string;
  org_path: string;
  province_root: string;
  purpose: string;
  status: 'draft' | 'sent' | 'reconciled' | 'cancelled';
  line_count: number;
  total_amount: number;
  clearing_account_id: string;
  bank_account_id: string;
  memo: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
  sent_at: string | null;
  reconciled_at: string | null;
}

/** One payee of a payout batch (migration 0009). */
export interface PayoutLineTable {
  id: string;
  batch_id: string;
  line_no: number;
  payable_account_id: string;
  person_id: string;
  payee_name: string;
  bank_card_cipher: string;
  amount: number;
  memo: string | null;
  reference_type: string | null;
  reference_id: string | null;
  status: 'draft' | 'sent' | 'paid' | 'failed' | 'cancelled';
  failure_reason: string | null;
  send_transfer_id: string | null;
  result_transfer_id: string | null;
  result_at: string | null;
  created_at: string;
  updated_at: string;
}

/** One honour of one person in the model-worker and craftsman registry (migration 0011). */
export interface ModelWorkerTable {
  id: string;
  person_id: string;
  org_id: string;
  org_path: string;
  province_root: string;
  category: 'model_worker' | 'craftsman';
  level: 'national' | 'provincial' | 'city';
  title: string;
  awarding_body: string | null;
  year_awarded: number;
  certificate_no: string;
  honor_status: 'kept' | 'revoked';
  /** YYYY-MM-DD */
  revoked_on: string | null;
  revoked_reason: string | null;
  employment_status: 'employed' | 'retired' | 'unemployed' | 'other';
  farmer: number;
  lost_work_capacity: number;
  /** YYYY-MM-DD */
  deceased_on: string | null;
  bank_name: string | null;
  created_at: string;
  updated_at: string;
}

export type SubsidyKind = 'festival' | 'hardship' | 'farmer';

/** One federation's rule for one subsidy kind over a period (migration 0012). */
export interface SubsidyPolicyTable {
  id: string;
  org_id: string;
  org_path: string;
  province_root: string;
  kind: SubsidyKind;
  /** YYYY-MM-DD, included */
  effective_from: string;
  /** YYYY-MM-DD, included; null: open-ended */
  effective_to: string | null;
  amount_min_fen: number;
  amount_max_fen: number;
  men_min_age: number | null;
  women_min_age: number | null;
  times_per_year: number;
  notice_days: number;
  created_by: string | null;
  created_at: string;
}

/** A city federation's payment plan and the payout batch it made (migration 0012). */
export interface SubsidyPlanTable {
  id: string;
  org_id: string;
  org_path: string;
  province_root: string;
  year: number;
  kind: SubsidyKind | null;
  /** YYYY-MM-DD */
  payment_date: string;
  status: 'building' | 'batched';
  payout_batch_id: string | null;
  award_count: number;
  total_fen: number;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

/** One payment of one kind and year to one person; unique per (person, kind, year) (migration 0012). */
export interface SubsidyAwardTable {
  id: string;
  kind: SubsidyKind;
  year: number;
  person_id: string;
  model_worker_id: string;
  instance_id: string | null;
  unit_org_id: string;
  policy_id: string | null;
  amount_fen: number | null;
  org_id: string;
  org_path: string;
  province_root: string;
  plan_id: string | null;
  /** YYYY-MM-DD */
  payment_date: string | null;
  payout_line_id: string | null;
  status: 'pending' | 'planned' | 'paid' | 'failed';
  transfer_id: string | null;
  failure_reason: string | null;
  created_at: string;
  updated_at: string;
  paid_at: string | null;
}

/** One in-app message to one account (migration 0013). */
export interface NotificationTable {
  id: string;
  user_id: string;
  kind: string;
  title_zh: string;
  title_en: string;
  body_zh: string;
  body_en: string;
  link_type: string | null;
  link_id: string | null;
  created_at: string;
  read_at: string | null;
}

/** An e-member card issued to one account (migration 0014). */
export interface MemberCardTable {
  id: string;
  user_id: string;
  person_id: string;
  membership_id: string;
  secret_cipher: string;
  status: 'active' | 'revoked';
  issued_at: string;
  revoked_at: string | null;
  /** When a phone took the secret; null for a card issued on approval and not yet claimed (migration 0015). */
  claimed_at: string | null;
}

/** One merchant check of a card token, whatever the result (migration 0014). */
export interface CardVerificationTable {
  id: string;
  card_id: string | null;
  merchant_user_id: string;
  result: string;
  at: string;
  ip: string | null;
}

/** An SMS waiting to be sent, sent, or given up (migration 0019). */
export interface SmsQueueTable {
  id: string;
  user_id: string | null;
  phone_cipher: string | null;
  text: string;
  purpose: string;
  created_at: string;
  next_attempt_at: string;
  attempts: number;
  claimed_until: string | null;
  sent_at: string | null;
  failed_at: string | null;
  last_error: string | null;
}

/** One attempt of a workplace to found its union, run by a `union.founding` instance (migration 0017). */
export interface FoundingApplicationTable {
  id: string;
  /** Set in the transaction that inserts the row. */
  instance_id: string | null;
  applicant_user_id: string;
  unit_name: string;
  credit_code: string;
  unit_type: string;
  industry: string;
  region_code: string;
  address: string;
  employee_count: number;
  contact_name: string;
  contact_phone_cipher: string;
  /** YYYY-MM-DD */
  assembly_date: string | null;
  assembly_expected_members: number | null;
  /** JSON array of names. */
  assembly_candidates: string | null;
  /** YYYY-MM-DD */
  elected_on: string | null;
  chair_name: string | null;
  /** JSON array of names. */
  vice_chair_names: string | null;
  /** JSON array of names. */
  committee_names: string | null;
  member_count: number | null;
  status: 'open' | 'founded' | 'closed';
  union_org_id: string | null;
  work_unit_id: string | null;
  /** The handling union. */
  org_id: string;
  org_path: string;
  province_root: string;
  created_at: string;
  updated_at: string;
  founded_at: string | null;
}

/**
 * A transfer between unions (migration 0016): filed at the union joined (`org_path`); the
 * union left is the from-membership's.
 */
export interface MembershipTransferTable {
  id: string;
  instance_id: string;
  person_id: string;
  from_membership_id: string;
  to_org_id: string;
  org_path: string;
  province_root: string;
  started_by: 'member' | 'from_union' | 'to_union';
  to_membership_id: string | null;
  created_at: string;
  updated_at: string;
}

/** What happened to a membership and why: the member's timeline (migration 0016). */
export interface MembershipChangeTable {
  id: string;
  person_id: string;
  membership_id: string;
  kind: 'transfer_in' | 'transfer_out' | 'retain' | 'withdraw' | 'inactive' | 'expel';
  reason_code: string | null;
  reason: string | null;
  /** YYYY-MM-DD (Beijing) */
  on_date: string;
  instance_id: string | null;
  created_by: string | null;
  created_at: string;
}

/** Dues paid for a month, or a union activity attended (migration 0016). */
export interface MembershipActivityTable {
  id: string;
  person_id: string;
  membership_id: string;
  kind: 'dues' | 'activity';
  /** Dues: YYYY-MM paid for. */
  month: string | null;
  /** YYYY-MM-DD (Beijing) */
  occurred_on: string;
  title: string | null;
  recorded_by: string | null;
  created_at: string;
}

/** A member the daily run found without dues or activity for six months (migration 0016). */
export interface InactivityProposalTable {
  id: string;
  run_on: string;
  person_id: string;
  membership_id: string;
  org_id: string;
  org_path: string;
  province_root: string;
  last_sign_on: string;
  status: 'open' | 'confirmed' | 'dismissed' | 'lapsed';
  reason: string | null;
  decided_by: string | null;
  decided_at: string | null;
  created_at: string;
}

/** One inactivity run per Beijing day (migration 0016). */
export interface InactivityRunTable {
  day: string;
  proposed: number;
  at: string;
}

/** The form behind one join application (migration 0015); the instance carries its state. */
export interface JoinApplicationTable {
  id: string;
  /** Null only inside the transaction that writes the row and starts its instance. */
  instance_id: string | null;
  source: 'portal' | 'list' | 'event';
  batch_id: string | null;
  applicant_user_id: string | null;
  name: string;
  id_number_cipher: string;
  id_number_index: string;
  gender: 'male' | 'female';
  /** YYYY-MM-DD, from the ID number */
  birth_date: string;
  phone_cipher: string | null;
  phone_index: string | null;
  employment_type: string;
  new_form_group: string | null;
  work_unit_id: string | null;
  work_unit_name: string | null;
  work_region_code: string | null;
  /** The union the routing chose: the membership opens there. */
  union_org_id: string;
  route: 'employer' | 'pool' | 'local';
  /** The instance's state, kept in step by the definition's effects. */
  state: string;
  /** 1 while a union has to act (at most one per ID number). */
  pending: number;
  person_id: string | null;
  membership_id: string | null;
  created_at: string;
  updated_at: string;
}

/** The union that takes one new-form group's workers in a federation's region (migration 0015). */
export interface JoinPoolTable {
  id: string;
  federation_org_id: string;
  new_form_group: string;
  pool_org_id: string;
  updated_by: string | null;
  updated_at: string;
}

// Joining's tables, merged into the database type (declaration merging keeps this block apart).
export interface DB {
  join_application: JoinApplicationTable;
  join_pool: JoinPoolTable;
}

/** One wave of group enrollment at one union: an imported list or an event (migration 0018). */
export interface EnrollmentBatchTable {
  id: string;
  org_id: string;
  org_path: string;
  province_root: string;
  kind: 'list' | 'event';
  title: string;
  job_id: string | null;
  file_name: string | null;
  file_sha256: string | null;
  rows_read: number;
  created_count: number;
  refused_count: number;
  duplicate_count: number;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

/** An enrollment event with its public QR code (migration 0018). */
export interface EnrollmentEventTable {
  id: string;
  batch_id: string;
  code: string;
  place: string;
  opens_at: string;
  closes_at: string;
  work_unit_id: string | null;
  work_unit_name: string | null;
  employment_type: string | null;
  new_form_group: string | null;
  quota: number | null;
  joined: number;
  status: 'open' | 'closed';
  closed_at: string | null;
  closed_by: string | null;
}

// Group enrollment's tables, merged into the database type (declaration merging keeps this block apart).
export interface DB {
  enrollment_batch: EnrollmentBatchTable;
  enrollment_event: EnrollmentEventTable;
}
