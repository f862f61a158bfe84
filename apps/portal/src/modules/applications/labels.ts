import { t } from '../../i18n/index.ts';

const KNOWN_STEPS = [
  'start',
  'comment',
  'attach',
  'object',
  'objectionUpheld',
  'objectionDismissed',
  'remind',
  'approve',
  'reject',
  'resubmit',
  'appeal',
  'withdraw',
  'orgMerged',
  'orgDissolved',
] as const;
type KnownStep = (typeof KNOWN_STEPS)[number];

/** A history row's action in words: the common ones by name, the rest by their code. */
export function stepLabel(action: string): string {
  return (KNOWN_STEPS as readonly string[]).includes(action)
    ? t(`applications.steps.${action as KnownStep}`)
    : t('applications.steps.other', { action });
}

type Kind = 'review' | 'notice' | 'waiting' | 'rejected' | 'done' | 'withdrawn';
export const kindLabel = (kind: Kind) => t(`applications.kinds.${kind}`);

/** Vant tag colours by how the application stands. */
export function kindTone(kind: Kind): 'primary' | 'success' | 'danger' | 'warning' | 'default' {
  if (kind === 'done') return 'success';
  if (kind === 'rejected') return 'danger';
  if (kind === 'waiting') return 'warning';
  if (kind === 'withdrawn') return 'default';
  return 'primary';
}
