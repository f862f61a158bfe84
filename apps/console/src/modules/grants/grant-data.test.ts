import { describe, expect, it } from 'vitest';
import { grantStatus } from './grant-data.ts';

const now = Date.parse('2026-06-01T00:00:00Z');
const at = (iso: string) => new Date(iso).toISOString();

describe('grantStatus', () => {
  it('tells active, future, lapsed and revoked grants apart', () => {
    const base = { revokedAt: null, validFrom: at('2026-01-01T00:00:00Z'), validTo: null };
    expect(grantStatus(base, now)).toBe('active');
    expect(grantStatus({ ...base, validFrom: at('2026-07-01T00:00:00Z') }, now)).toBe('pending');
    expect(grantStatus({ ...base, validTo: at('2026-05-31T23:59:59Z') }, now)).toBe('expired');
    // The end is exclusive: a grant ending now has ended.
    expect(grantStatus({ ...base, validTo: at('2026-06-01T00:00:00Z') }, now)).toBe('expired');
    expect(grantStatus({ ...base, revokedAt: at('2026-02-01T00:00:00Z') }, now)).toBe('revoked');
  });
});
