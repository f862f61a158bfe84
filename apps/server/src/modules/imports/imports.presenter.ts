import type { MemberPreview } from '@zhgh/contracts';
import { maskBankCard, maskIdNumber, maskPhone } from '../../core/crypto/mask.ts';
import type { ParsedValues } from './roster-rows.ts';

/**
 * A preview shows parsed values so the uploader can see the columns were understood; ID
 * numbers, phones and bank cards leave the server masked, as everywhere else.
 */
export function presentPreviewValues(values: ParsedValues): MemberPreview['rows'][number]['values'] {
  return {
    ...values,
    idNumber: values.idNumber === null ? null : maskIdNumber(values.idNumber),
    phone: values.phone === null ? null : maskPhone(values.phone),
    bankCard: values.bankCard === null ? null : maskBankCard(values.bankCard),
  };
}
