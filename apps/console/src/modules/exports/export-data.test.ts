import { describe, expect, it } from 'vitest';
import { exportKindOf, exportResultOf, memberExportBodyOf } from './export-data.ts';

describe('exports', () => {
  it('repeats only the list filters that are set', () => {
    expect(memberExportBodyOf('o1', 'csv', false, { status: 'open', q: ' 张 ', gender: undefined })).toEqual({
      orgId: 'o1',
      format: 'csv',
      sensitive: false,
      status: 'open',
      q: '张',
    });
    expect(memberExportBodyOf('o1', 'xlsx', true)).toEqual({ orgId: 'o1', format: 'xlsx', sensitive: true });
  });

  it('reads the kind and the result of an export job', () => {
    expect(exportKindOf({ kind: 'export.unions' })).toBe('unions');
    expect(exportKindOf({ kind: 'member.import' })).toBeNull();
    const result = { rows: 12, format: 'xlsx', filename: '会员.xlsx', sensitive: false };
    expect(exportResultOf({ result })).toEqual(result);
    expect(exportResultOf({ result: null })).toBeNull();
  });
});
