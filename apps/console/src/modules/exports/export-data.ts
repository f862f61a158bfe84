import { exportResult, type ExportResult, type exportRoutes, type JobOutput } from '@zhgh/contracts';
import type { CallInput } from '@zhgh/web';

export type ExportKind = 'members' | 'unions';
export type MemberExportBody = NonNullable<CallInput<typeof exportRoutes.members>['body']>;

/** The member-list filters an export of members repeats, so the file holds what the list showed. */
export interface MemberExportFilters {
  status?: 'open' | 'active' | 'retained';
  employmentType?: string;
  gender?: string;
  q?: string;
}

/** The summary of a finished export; null while it runs or for another kind of job. */
export function exportResultOf(job: Pick<JobOutput, 'result'>): ExportResult | null {
  const parsed = exportResult.safeParse(job.result);
  return parsed.success ? parsed.data : null;
}

/** Which export a job is, from its kind (`export.members` → members). */
export function exportKindOf(job: Pick<JobOutput, 'kind'>): ExportKind | null {
  if (job.kind === 'export.members') return 'members';
  if (job.kind === 'export.unions') return 'unions';
  return null;
}

/**
 * The body of a members export: filters that are set, and `sensitive` only when asked and
 * allowed (the server checks the permission again, at the organization).
 */
export function memberExportBodyOf(
  orgId: string,
  format: 'xlsx' | 'csv',
  sensitive: boolean,
  filters: MemberExportFilters = {},
): MemberExportBody {
  const body: Record<string, unknown> = { orgId, format, sensitive };
  if (filters.status) body.status = filters.status;
  if (filters.employmentType) body.employmentType = filters.employmentType;
  if (filters.gender) body.gender = filters.gender;
  const q = filters.q?.trim();
  if (q) body.q = q;
  // The filters come from the member list's selects, which offer only the contract's codes.
  return body as MemberExportBody;
}
