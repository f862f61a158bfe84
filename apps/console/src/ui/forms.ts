import { isApiError, type ApiError } from '@zhgh/web';
import { computed, type ComputedRef, ref, type Ref, shallowRef } from 'vue';
import { locale } from '../i18n/index.ts';

export interface FormError<K extends string> {
  /** Server messages per form field, in the current UI language (re-rendered on a switch). */
  fields: ComputedRef<Partial<Record<K, string>>>;
  /** The error as a whole, for the banner above the form. */
  message: ComputedRef<string>;
  /** Keep a failure to show; anything but an ApiError is rethrown, as a bug. */
  set(err: unknown): void;
  clear(): void;
}

/**
 * The server's answer to a failed form: one line above the form, and each field's messages
 * under that field. Fields are named as the form names them (`body.newPassword` →
 * `newPassword`).
 */
export function useFormError<K extends string>(prefix = 'body.'): FormError<K> {
  const error = shallowRef<ApiError>();
  return {
    fields: computed(() => (error.value?.fieldMessages(locale(), prefix) ?? {}) as Partial<Record<K, string>>),
    message: computed(() => (error.value ? bannerOf(error.value, prefix) : '')),
    set(err) {
      if (!isApiError(err)) throw err;
      error.value = err;
    },
    clear() {
      error.value = undefined;
    },
  };
}

/**
 * The line above the form. A refusal about something the form has no field for (the
 * organization in the path: "still 3 applications under review") says more in its field
 * message than the code's general one ("applications are still open"), and with no field of
 * the form to sit under it would never be seen; so such messages take the banner's place.
 */
export function bannerOf(error: ApiError, prefix: string): string {
  const l = locale();
  const outside = error.fields.filter((f) => !f.field.startsWith(prefix)).map((f) => f.message[l]);
  return outside.length > 0 ? outside.join(l === 'zh-CN' ? '；' : '; ') : error.messageIn(l);
}

export interface Submit {
  /** True while a save is on its way (the button spins, a second click waits). */
  saving: Ref<boolean>;
  /**
   * Runs one save: clears the last refusal, keeps a new one for the form (`failure`), and
   * answers whether the save went through, so the caller closes the dialog only then.
   */
  submit(work: () => Promise<void>): Promise<boolean>;
}

/** The save of a form dialog, the same everywhere: busy flag, refusal kept, anything else thrown. */
export function useSubmit<K extends string>(failure: FormError<K>): Submit {
  const saving = ref(false);
  return {
    saving,
    async submit(work) {
      saving.value = true;
      failure.clear();
      try {
        await work();
        return true;
      } catch (err) {
        failure.set(err);
        return false;
      } finally {
        saving.value = false;
      }
    },
  };
}
