/**
 * Masking for responses. Presenters call these; nothing else decides how much of a
 * sensitive value a screen shows.
 */

/** `610102199001011234` → `6101**********1234`. */
export function maskIdNumber(id: string): string {
  if (id.length <= 8) return '*'.repeat(id.length);
  return id.slice(0, 4) + '*'.repeat(id.length - 8) + id.slice(-4);
}

/** `13812341234` → `138****1234`; other lengths keep the first 3 and last 4. */
export function maskPhone(phone: string): string {
  if (phone.length <= 7) return '*'.repeat(phone.length);
  return phone.slice(0, 3) + '*'.repeat(phone.length - 7) + phone.slice(-4);
}

/** `王小明` → `王*明`, `王明` → `王*`, `欧阳小明` → `欧**明`. */
export function maskName(name: string): string {
  const chars = [...name.trim()];
  if (chars.length === 0) return '';
  if (chars.length === 1) return '*';
  if (chars.length === 2) return chars[0] + '*';
  return chars[0] + '*'.repeat(chars.length - 2) + chars[chars.length - 1];
}

/** `6222021234567890123` → `6222***********0123`. */
/** A payout line's card shows its last 4 digits only: enough to tell two cards of one payee apart. */
export function maskCardToLast4(card: string): string {
  const digits = card.replace(/\s+/g, '');
  return digits.length <= 4 ? '*'.repeat(digits.length) : '*'.repeat(digits.length - 4) + digits.slice(-4);
}

export function maskBankCard(card: string): string {
  const digits = card.replace(/\s+/g, '');
  if (digits.length <= 8) return '*'.repeat(digits.length);
  return digits.slice(0, 4) + '*'.repeat(digits.length - 8) + digits.slice(-4);
}
