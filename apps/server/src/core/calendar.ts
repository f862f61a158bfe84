/**
 * Calendar dates as the unions keep them: Beijing time (UTC+8, no daylight saving), so a
 * membership that ends "today" ends on the date a cadre in Xi'an sees, also after 16:00 UTC.
 */
const BEIJING_OFFSET_MS = 8 * 3_600_000;

/** `YYYY-MM-DD` of `now` in Beijing time. */
export function localDate(now: Date): string {
  return new Date(now.getTime() + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
}
