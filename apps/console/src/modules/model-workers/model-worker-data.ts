import { type Locale, MODEL_WORKER_LABELS, type modelWorkerRoutes, type RouteOutput } from '@zhgh/contracts';
import type { CallInput } from '@zhgh/web';

export type ModelWorkerRow = RouteOutput<typeof modelWorkerRoutes.list>['items'][number];
export type ModelWorkerDetail = RouteOutput<typeof modelWorkerRoutes.get>;
export type ModelWorkerCreateBody = NonNullable<CallInput<typeof modelWorkerRoutes.create>['body']>;
export type ModelWorkerUpdateBody = NonNullable<CallInput<typeof modelWorkerRoutes.update>['body']>;
type Labels = typeof MODEL_WORKER_LABELS;

/** The label of a registry code in the UI's language (the label table the certificate and export use too). */
export function mwLabel(kind: keyof Labels, code: string, locale: Locale): string {
  const entry = (MODEL_WORKER_LABELS[kind] as Record<string, { 'zh-CN': string; en: string }>)[code];
  return entry ? entry[locale] : code;
}

export function levelTagType(level: string): 'danger' | 'warning' | 'primary' {
  return level === 'national' ? 'danger' : level === 'provincial' ? 'warning' : 'primary';
}
