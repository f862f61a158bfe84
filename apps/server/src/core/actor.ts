import type { Principal } from './access/principal.ts';

/**
 * Who is acting. Every service method takes one; audit events record it. Identity and
 * access fill in users and grants; the foundation knows the system and anonymous callers.
 */
export type Actor =
  | { kind: 'system'; id: null; label: string }
  | { kind: 'anonymous'; id: null }
  | { kind: 'user'; id: string; userKind: 'member' | 'cadre' | 'merchant' };

export const SYSTEM_ACTOR: Actor = { kind: 'system', id: null, label: 'system' };

/** What a service method knows about the request: who, with what rights, from where. */
export interface RequestContext {
  actor: Actor;
  requestId?: string | null;
  /** Present for signed-in users; scope checks read it. */
  principal?: Principal;
  ip?: string | null;
  userAgent?: string | null;
}
