import {
  type JobOutput,
  type JobStatus,
  type MemberImportResult,
  memberImportResult,
  type MemberPreview,
  ROSTER_FIELDS,
  type RosterField,
} from '@zhgh/contracts';

export type ColumnTarget = RosterField | 'ignore';

/** One column of the uploaded file as the mapping table shows it. */
export interface PreviewColumn {
  index: number;
  header: string;
  /** What the server made of it: a field, or nothing (unknown, duplicate, ignored). */
  detected: ColumnTarget | null;
  /** Why a column fills no field, when it does not. */
  reason: 'unknown' | 'duplicate' | 'ignored' | null;
}

/** Every column of the file, in file order, mapped or not. */
export function columnsOf(preview: MemberPreview): PreviewColumn[] {
  const mapped: PreviewColumn[] = preview.mapping.mapped.map((c) => ({
    index: c.index,
    header: c.header,
    detected: c.field,
    reason: null,
  }));
  const unmapped: PreviewColumn[] = preview.mapping.unmapped.map((c) => ({
    index: c.index,
    header: c.header,
    detected: c.reason === 'ignored' ? 'ignore' : null,
    reason: c.reason,
  }));
  return [...mapped, ...unmapped].sort((a, b) => a.index - b.index);
}

/**
 * The `mapping` form field: the user's choices that differ from what the server detected,
 * as `{"columnIndex": field | "ignore"}`; undefined when nothing was changed. Choices are
 * kept across re-previews, so earlier overrides stay in force.
 */
export function mappingField(choices: ReadonlyMap<number, ColumnTarget>): string | undefined {
  if (choices.size === 0) return undefined;
  const out: Record<string, ColumnTarget> = {};
  for (const [index, target] of [...choices].sort((a, b) => a[0] - b[0])) out[String(index)] = target;
  return JSON.stringify(out);
}

/** Fields that more than one column would fill after the user's choices: the server would refuse all but one. */
export function doubleMapped(
  columns: readonly PreviewColumn[],
  choices: ReadonlyMap<number, ColumnTarget>,
): RosterField[] {
  const seen = new Map<RosterField, number>();
  for (const c of columns) {
    const target = choices.get(c.index) ?? c.detected;
    if (!target || target === 'ignore') continue;
    seen.set(target, (seen.get(target) ?? 0) + 1);
  }
  return ROSTER_FIELDS.filter((f) => (seen.get(f) ?? 0) > 1);
}

const FINISHED: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'cancelled']);

/** The job will not change any more unless someone resumes it. */
export function isFinished(status: JobStatus): boolean {
  return FINISHED.has(status);
}

/** Done as a whole percentage; null while the total is unknown (the bar then runs indeterminate). */
export function progressPercent(job: Pick<JobOutput, 'progress' | 'status'>): number | null {
  if (job.status === 'succeeded') return 100;
  const { done, total } = job.progress;
  if (total === null || total <= 0) return null;
  return Math.min(100, Math.max(0, Math.floor((done / total) * 100)));
}

/** The summary of a finished import; null when the job has none (yet) or it is not one we know. */
export function importResultOf(job: Pick<JobOutput, 'result'>): MemberImportResult | null {
  const parsed = memberImportResult.safeParse(job.result);
  return parsed.success ? parsed.data : null;
}

/** Problem counts by code, largest first, for the result summary. */
export function problemCounts(result: MemberImportResult): { code: string; count: number }[] {
  return Object.entries(result.problemsByCode)
    .map(([code, count]) => ({ code, count }))
    .filter((p) => p.count > 0)
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
}

/** How long to wait before asking about a job again: quick at first, then easing off. */
export function pollDelay(attempt: number): number {
  return Math.min(2000, 400 + attempt * 200);
}
