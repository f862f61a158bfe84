import { EMPLOYMENT_TYPES, type joiningRoutes, NEW_FORM_GROUPS, type RouteOutput } from '@zhgh/contracts';
import { locale } from '../../i18n/index.ts';

export type JoinApplication = RouteOutput<typeof joiningRoutes.get>;
export type BatchAnswer = RouteOutput<typeof joiningRoutes.batchApprove>['results'][number];

/** States a cadre filters the queue by, in the order an application meets them. */
export const JOIN_STATES = ['submitted', 'appealReview', 'rejected', 'appealDenied', 'approved', 'withdrawn'] as const;

/** The label of an employment type (and new-form group) in the UI's language. */
export function employmentLabel(a: Pick<JoinApplication, 'employmentType' | 'newFormGroup'>): string {
  const zh = locale() === 'zh-CN';
  const type = EMPLOYMENT_TYPES.find((i) => i.code === a.employmentType);
  const group = a.newFormGroup ? NEW_FORM_GROUPS.find((i) => i.code === a.newFormGroup) : undefined;
  const name = type ? (zh ? type.zh : type.en) : a.employmentType;
  return group ? `${name}（${zh ? group.zh : group.en}）` : name;
}

/** Rows the batch may approve: those the cadre could approve one by one right now. */
export function approvable(a: JoinApplication): boolean {
  return a.actions.some((x) => x.action === 'approve' || x.action === 'appealGrant');
}
