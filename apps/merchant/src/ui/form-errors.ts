import { createFormErrorKit } from '@zhgh/web';
import { locale } from '../i18n/index.ts';

/** The shared form-error helpers, speaking this app's language. */
export const { useFormErrors, errorText } = createFormErrorKit(locale);
