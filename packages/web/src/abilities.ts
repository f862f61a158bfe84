import { shallowRef } from 'vue';

export type PermissionCodes = ReadonlySet<string> | readonly string[];

function isSet(codes: PermissionCodes): codes is ReadonlySet<string> {
  return !Array.isArray(codes);
}

/**
 * Whether the granted codes include `code`. Only decides what the UI shows: the server checks
 * every request on its own, so hiding a button is convenience, not security.
 */
export function can(codes: PermissionCodes, code: string): boolean {
  return isSet(codes) ? codes.has(code) : codes.includes(code);
}

// One set per page: the session endpoint fills it after sign-in and empties it at sign-out.
const granted = shallowRef<ReadonlySet<string>>(new Set());

/** The signed-in user's permission codes, reactive so templates re-render when they change. */
export function useAbilities() {
  return {
    can: (code: string): boolean => can(granted.value, code),
    codes: (): ReadonlySet<string> => granted.value,
    set(codes: Iterable<string>): void {
      granted.value = new Set(codes);
    },
    clear(): void {
      granted.value = new Set();
    },
  };
}
