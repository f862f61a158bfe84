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
}
