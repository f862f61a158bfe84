import type { Locale } from '@zhgh/contracts';
import type { ApiClient } from '@zhgh/web';
import { type App, type InjectionKey, inject } from 'vue';
import type { MobileKitKey } from './messages.ts';

/**
 * What a mobile end lends the kit's components: its language, its client and its session.
 * Each end installs it once (`app.use(mobileKit({...}))`); the components read it by
 * injection, so they call the end's own client, with its CSRF token and session handling.
 */
export interface MobileKit {
  t: (key: MobileKitKey, named?: Record<string, unknown>) => string;
  locale: () => Locale;
  setLocale: (next: Locale) => void;
  api: ApiClient;
  /** The end's error text for a failed call, in the UI's language. */
  errorText: (err: unknown) => string;
  /** Ends every session of the account; resolves to how many. */
  signOutEverywhere: () => Promise<number>;
}

const KIT: InjectionKey<MobileKit> = Symbol('zhgh-mobile-kit');

/** The Vue plugin an end installs with its own language, client and session. */
export function mobileKit(kit: MobileKit) {
  return {
    install(app: App): void {
      app.provide(KIT, kit);
    },
  };
}

export function useMobileKit(): MobileKit {
  const kit = inject(KIT);
  // A programming error, not a user's: the end forgot `app.use(mobileKit(...))`.
  if (!kit) throw new Error('@zhgh/mobile: install mobileKit() before using its components');
  return kit;
}
