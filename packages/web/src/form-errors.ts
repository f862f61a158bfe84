import { type ErrorCode, type Locale, messageOf } from '@zhgh/contracts';
import { computed, shallowRef } from 'vue';
import { isApiError } from './api.ts';

/**
 * A message that renders in whichever language the UI has when it is shown: the user may
 * switch language after the error arrived, and the server sent both texts.
 */
export type Localized = (locale: Locale) => string;

const PART_PREFIX = /^(body|query|params)\./;

/**
 * Form-error helpers bound to one app's current locale (each end has its own i18n).
 */
export function createFormErrorKit(locale: () => Locale) {
  return {
    useFormErrors: <F extends string>(fields: readonly F[]) => useFormErrors(fields, locale),
    errorText: (err: unknown) => errorText(err, locale),
  };
}

/**
 * Errors of one form: messages under named fields, and one message for the form as a whole.
 * Server field errors whose field the form does not show join the form-level message, so
 * nothing the server said is lost.
 */
function useFormErrors<F extends string>(fields: readonly F[], locale: () => Locale) {
  const byField = shallowRef<Partial<Record<F, Localized[]>>>({});
  const general = shallowRef<Localized[]>([]);

  function isField(name: string): name is F {
    return (fields as readonly string[]).includes(name);
  }

  function clear(): void {
    byField.value = {};
    general.value = [];
  }

  function set(field: F, message: Localized): void {
    const before: Localized[] = byField.value[field] ?? [];
    byField.value = { ...byField.value, [field]: [...before, message] };
  }

  function fail(message: Localized): void {
    general.value = [...general.value, message];
  }

  /**
   * Take a failed call apart; anything that is not an ApiError is a bug, shown as INTERNAL.
   * `owners` names the field an error code is about when the server cannot say (a wrong SMS
   * code, a wrong old password), so its message sits under that field.
   */
  function fromError(err: unknown, owners: Partial<Record<ErrorCode, F>> = {}): void {
    clear();
    if (!isApiError(err)) {
      console.error(err);
      fail((l) => messageOf('INTERNAL', l));
      return;
    }
    const owner = owners[err.code];
    if (owner) set(owner, (l) => err.messageIn(l));
    else fail((l) => err.messageIn(l));
    for (const f of err.fields) {
      const name = f.field.replace(PART_PREFIX, '');
      if (isField(name)) set(name, (l) => f.message[l]);
      else fail((l) => f.message[l]);
    }
  }

  function field(name: F): string {
    const messages: Localized[] = byField.value[name] ?? [];
    return messages.map((m) => m(locale())).join('；');
  }

  const message = computed(() =>
    general.value
      .map((m) => m(locale()))
      .filter(Boolean)
      .join('；'),
  );
  const hasErrors = computed(() => general.value.length > 0 || Object.keys(byField.value).length > 0);

  return { clear, set, fail, fromError, field, message, hasErrors };
}

/** One failed call as a line of text, for toasts; in the UI's current language. */
function errorText(err: unknown, locale: () => Locale): string {
  if (isApiError(err)) return err.messageIn(locale());
  console.error(err);
  return messageOf('INTERNAL', locale());
}
