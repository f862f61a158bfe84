import { messageOf } from '@zhgh/contracts';
import { isApiError } from '@zhgh/web';
import { ElMessage, ElMessageBox } from 'element-plus';
import { locale, t } from '../i18n/index.ts';

/** What went wrong, in the UI's language: the server's own text for its errors. */
export function errorText(err: unknown): string {
  if (isApiError(err)) return err.messageIn(locale());
  return messageOf('INTERNAL', locale());
}

export function showError(err: unknown): void {
  // A lost session is announced once, by the session watcher, with the way back to sign-in.
  if (isApiError(err) && (err.code === 'UNAUTHENTICATED' || err.code === 'SESSION_EXPIRED')) return;
  // Anything but an ApiError is a bug in the page; keep the stack for whoever debugs it.
  if (!isApiError(err)) console.error(err);
  ElMessage.error({ message: errorText(err), showClose: true });
}

export function showSuccess(message: string): void {
  ElMessage.success(message);
}

/** Ask before an action that cannot be undone with one click; true when confirmed. */
export async function confirmAction(message: string, options: { danger?: boolean } = {}): Promise<boolean> {
  try {
    await ElMessageBox.confirm(message, t('common.dangerTitle'), {
      type: 'warning',
      confirmButtonText: t('common.confirm'),
      cancelButtonText: t('common.cancel'),
      ...(options.danger ? { confirmButtonClass: 'el-button--danger' } : {}),
    });
    return true;
  } catch {
    return false;
  }
}
