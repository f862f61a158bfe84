import { describe, expect, it } from 'vitest';
import {
  dueAfterWorkingDays,
  isWorkingDay,
  nthWorkingDayAfter,
  PLAIN_CALENDAR,
  type WorkingCalendar,
} from './deadlines.ts';

// 2026: New Year's Day Thursday 1 January, with Friday 2 January off and Sunday 4 January worked.
const newYear: WorkingCalendar = { holidays: new Set(['2026-01-01', '2026-01-02']), workdays: new Set(['2026-01-04']) };

describe('working-day deadlines', () => {
  it('skips weekends', () => {
    expect(isWorkingDay('2026-11-21', PLAIN_CALENDAR)).toBe(false); // Saturday
    expect(isWorkingDay('2026-11-23', PLAIN_CALENDAR)).toBe(true); // Monday
    // Friday + 3 working days = Wednesday; the day of entry never counts.
    expect(nthWorkingDayAfter('2026-11-20', 3, PLAIN_CALENDAR)).toBe('2026-11-25');
    expect(nthWorkingDayAfter('2026-11-21', 1, PLAIN_CALENDAR)).toBe('2026-11-23');
  });

  it('skips configured holidays and counts worked weekend days (调休)', () => {
    expect(nthWorkingDayAfter('2025-12-31', 3, PLAIN_CALENDAR)).toBe('2026-01-05');
    expect(nthWorkingDayAfter('2025-12-31', 3, newYear)).toBe('2026-01-06');
    expect(nthWorkingDayAfter('2025-12-31', 1, newYear)).toBe('2026-01-04');
  });

  it('falls due at the end of the Beijing day', () => {
    // Entered 2025-12-31 23:30 Beijing (15:30 UTC): still the 31st there.
    const due = dueAfterWorkingDays(new Date('2025-12-31T15:30:00Z'), 3, newYear);
    expect(due.toISOString()).toBe('2026-01-06T15:59:59.999Z');
    // Entered 2026-01-01 00:30 Beijing (2025-12-31 16:30 UTC): a holiday, so the count starts after it.
    expect(dueAfterWorkingDays(new Date('2025-12-31T16:30:00Z'), 1, newYear).toISOString()).toBe(
      '2026-01-04T15:59:59.999Z',
    );
  });

  it('refuses a deadline that is not a positive whole number of days', () => {
    expect(() => nthWorkingDayAfter('2026-01-01', 0, PLAIN_CALENDAR)).toThrow(RangeError);
    expect(() => nthWorkingDayAfter('2026-01-01', 1.5, PLAIN_CALENDAR)).toThrow(RangeError);
  });
});
