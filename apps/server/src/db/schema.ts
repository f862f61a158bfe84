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

export interface DB {
  audit_event: AuditEventTable;
  job: JobTable;
}
