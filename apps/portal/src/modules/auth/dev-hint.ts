import { systemRoutes } from '@zhgh/contracts';
import { api } from '../../api/client.ts';

/**
 * Whether to tell the user that SMS codes land in the server's outbox file: the server says
 * so in `/api/meta` when it runs the outbox adapter (development and the demo). A failed
 * answer shows no note rather than a wrong one.
 */
export async function showsOutboxHint(): Promise<boolean> {
  try {
    return (await api.call(systemRoutes.meta)).smsOutbox;
  } catch {
    return false;
  }
}
