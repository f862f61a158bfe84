import { localDate } from '../calendar.ts';

/**
 * Working-day deadlines. A step "within 3 working days" (DOMAIN §3.2) ends at the close of
 * the third working day after the day it was entered, in Beijing time: weekends and public
 * holidays do not count, and the weekend days worked in exchange for a holiday (调休) do.
 */
export interface WorkingCalendar {
  /** Weekdays that are not worked (public holidays), YYYY-MM-DD. */
  holidays: ReadonlySet<string>;
  /** Weekend days that are worked (调休), YYYY-MM-DD. */
  workdays: ReadonlySet<string>;
}

export const PLAIN_CALENDAR: WorkingCalendar = { holidays: new Set(), workdays: new Set() };

const DAY_MS = 86_400_000;
const BEIJING_OFFSET_MS = 8 * 3_600_000;

/** `YYYY-MM-DD` plus `n` calendar days. */
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

export function isWorkingDay(day: string, calendar: WorkingCalendar): boolean {
  if (calendar.workdays.has(day)) return true;
  if (calendar.holidays.has(day)) return false;
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
  return weekday !== 0 && weekday !== 6;
}

/** The `n`-th working day after `day` (n ≥ 1); the day itself never counts. */
export function nthWorkingDayAfter(day: string, n: number, calendar: WorkingCalendar): string {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`working days must be a positive integer, got ${n}`);
  let d = day;
  let left = n;
  while (left > 0) {
    d = addDays(d, 1);
    if (isWorkingDay(d, calendar)) left--;
  }
  return d;
}

/** The last instant of a Beijing calendar day, as a UTC instant. */
export function endOfBeijingDay(day: string): Date {
  return new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS - BEIJING_OFFSET_MS - 1);
}

/** When a step entered at `enteredAt` with `workingDays` to finish falls due. */
export function dueAfterWorkingDays(enteredAt: Date, workingDays: number, calendar: WorkingCalendar): Date {
  return endOfBeijingDay(nthWorkingDayAfter(localDate(enteredAt), workingDays, calendar));
}

/**
 * How many calendar days of holidays and 调休 a deadline of `workingDays` may have to look
 * past: the longest Chinese holiday (Spring Festival, National Day) with its weekends is
 * under two weeks, so twice the working days plus three weeks always reaches the due day.
 */
export function calendarWindowDays(workingDays: number): number {
  return workingDays * 2 + 21;
}
