/**
 * Every table that files its rows under an organization's materialized path. Moving or
 * merging organizations rewrites these columns for the whole subtree, in one transaction
 * (`orgsRepository.rewriteSubtree`). A new table with an `org_path` joins this list, or
 * `ORG_PATH_HISTORY_TABLES` when its paths record the past; a test checks every table with
 * such a column is in one of the two.
 */
/**
 * Advisory-lock key of the organization tree (PostgreSQL). Restructuring (move, merge,
 * dissolve) holds it exclusively; writers that copy a parent's path (services of
 * every module, and the workflow engine in core) hold it shared, so none
 * of them can file a row under a path that a concurrent move is rewriting.
 */
export const ORG_TREE_LOCK = 0x4f524754; // "ORGT"

export interface OrgScopedTable {
  table: string;
  /** The materialized path column. */
  path: string;
  /** The province root (sharding key) column, when the table has one. */
  provinceRoot: string | null;
  /** The depth column (the organization table only). */
  depth: string | null;
}

export const ORG_SCOPED_TABLES: readonly OrgScopedTable[] = [
  // First: the tree itself. The others follow it.
  { table: 'organization', path: 'path', provinceRoot: 'province_root', depth: 'depth' },
  { table: 'work_unit', path: 'org_path', provinceRoot: 'province_root', depth: null },
  { table: 'membership', path: 'org_path', provinceRoot: 'province_root', depth: null },
  { table: 'user_account', path: 'org_path', provinceRoot: 'province_root', depth: null },
  { table: 'role_grant', path: 'org_path', provinceRoot: 'province_root', depth: null },
  { table: 'job', path: 'org_path', provinceRoot: 'province_root', depth: null },
  { table: 'totp_recovery', path: 'org_path', provinceRoot: null, depth: null },
  { table: 'ledger_account', path: 'org_path', provinceRoot: 'province_root', depth: null },
  { table: 'payout_batch', path: 'org_path', provinceRoot: 'province_root', depth: null },
  { table: 'workflow_instance', path: 'org_path', provinceRoot: 'province_root', depth: null },
  { table: 'workflow_notice', path: 'org_path', provinceRoot: 'province_root', depth: null },
  { table: 'model_worker', path: 'org_path', provinceRoot: 'province_root', depth: null },
  { table: 'subsidy_policy', path: 'org_path', provinceRoot: 'province_root', depth: null },
  { table: 'subsidy_plan', path: 'org_path', provinceRoot: 'province_root', depth: null },
  { table: 'subsidy_award', path: 'org_path', provinceRoot: 'province_root', depth: null },
  { table: 'enrollment_batch', path: 'org_path', provinceRoot: 'province_root', depth: null },
  { table: 'founding_application', path: 'org_path', provinceRoot: 'province_root', depth: null },
  // Filed at the union joined; the side left is its from-membership's path (decision 0017).
  { table: 'membership_transfer', path: 'org_path', provinceRoot: 'province_root', depth: null },
  { table: 'inactivity_proposal', path: 'org_path', provinceRoot: 'province_root', depth: null },
];

/**
 * Tables whose paths are history: where a record was filed when it happened. They are never
 * rewritten (the audit chain's hashes cover them; decision 0008).
 */
export const ORG_PATH_HISTORY_TABLES: readonly string[] = ['audit_event', 'workflow_history'];

/**
 * What a merger or a dissolution does with each org-scoped table's rows filed at the node that
 * stops (rows below a merged node move with their unions; a dissolved node has none active):
 * - `follows`: living records, re-pointed to the target, or to a dissolved node's parent;
 * - `ends`: closed by the restructuring, or handed on as their module's rule says
 *   (memberships reopened at the target, grants revoked, open applications and notices
 *   decided first or handed on, inactivity proposals lapsed);
 * - `stays`: the stopped node's own history (finished jobs, plans, awards, payout batches,
 *   enrollment batches, whose open events close), still read by the node's ancestors. A ledger account stays too, with its
 *   history: a merger empties its budgets into the target's by ledger transfers (`ledger.handOver`), a dissolved
 *   node's money is for its ancestors' finance cadres to move (decision 0008).
 * A test holds this list to `ORG_SCOPED_TABLES`, so a new table is decided here.
 */
export const AT_STOPPED_NODE: Readonly<Record<string, 'follows' | 'ends' | 'stays'>> = {
  organization: 'stays',
  work_unit: 'follows',
  membership: 'ends',
  user_account: 'follows',
  role_grant: 'ends',
  job: 'stays',
  totp_recovery: 'follows',
  ledger_account: 'stays',
  payout_batch: 'stays',
  workflow_instance: 'ends',
  workflow_notice: 'ends',
  model_worker: 'follows',
  subsidy_policy: 'stays',
  subsidy_plan: 'stays',
  subsidy_award: 'stays',
  enrollment_batch: 'stays',
  founding_application: 'ends',
  membership_transfer: 'ends',
  inactivity_proposal: 'ends',
};
