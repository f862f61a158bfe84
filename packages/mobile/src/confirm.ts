import { showConfirmDialog } from './vant.ts';

/**
 * Ask the user to confirm; resolves to their answer. Vant's dialog rejects when dismissed,
 * which is the user saying no, not an error. `danger` colours the confirm button for what
 * cannot be undone (signing a device out).
 */
export function confirmed(message: string, options: { danger?: boolean } = {}): Promise<boolean> {
  return showConfirmDialog({
    message,
    ...(options.danger ? { confirmButtonColor: 'var(--van-danger-color)' } : {}),
  }).then(
    () => true,
    () => false,
  );
}
