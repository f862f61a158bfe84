import { meRoutes } from '@zhgh/contracts';
import { ref } from 'vue';
import { api } from '../../api/client.ts';

/** The unread count the tab bar and the "me" page show; refreshed on navigation and after reading. */
export const unreadCount = ref(0);

export async function refreshUnread(): Promise<void> {
  try {
    unreadCount.value = (await api.call(meRoutes.unreadCount)).count;
  } catch {
    // A badge is a hint: offline or signed out, the last known count stays.
  }
}
