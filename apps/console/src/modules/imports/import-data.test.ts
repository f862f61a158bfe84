import type { MemberPreview } from '@zhgh/contracts';
import { describe, expect, it } from 'vitest';
import {
  type ColumnTarget,
  columnsOf,
  doubleMapped,
  importResultOf,
  isFinished,
  mappingField,
  pollDelay,
  problemCounts,
  progressPercent,
} from './import-data.ts';

const preview = {
  mapping: {
    mapped: [
      { index: 0, header: '姓名', field: 'name', source: 'detected' },
      { index: 2, header: '身份证号码', field: 'idNumber', source: 'detected' },
    ],
    unmapped: [
      { index: 1, header: '序号', reason: 'ignored' },
      { index: 3, header: '单位全称', reason: 'unknown' },
    ],
    missingRequired: [],
  },
} as unknown as MemberPreview;

describe('columnsOf', () => {
  it('lists every column in file order, with what the server made of it', () => {
    expect(columnsOf(preview)).toEqual([
      { index: 0, header: '姓名', detected: 'name', reason: null },
      { index: 1, header: '序号', detected: 'ignore', reason: 'ignored' },
      { index: 2, header: '身份证号码', detected: 'idNumber', reason: null },
      { index: 3, header: '单位全称', detected: null, reason: 'unknown' },
    ]);
  });
});

describe('mappingField', () => {
  it('is absent without choices, and a JSON object of column index to field otherwise', () => {
    expect(mappingField(new Map())).toBeUndefined();
    const choices = new Map<number, ColumnTarget>([
      [3, 'workUnitName'],
      [0, 'ignore'],
    ]);
    expect(JSON.parse(mappingField(choices)!)).toEqual({ 0: 'ignore', 3: 'workUnitName' });
  });
});

describe('doubleMapped', () => {
  it('names a field two columns would fill after the choices', () => {
    const columns = columnsOf(preview);
    expect(doubleMapped(columns, new Map())).toEqual([]);
    expect(doubleMapped(columns, new Map<number, ColumnTarget>([[3, 'name']]))).toEqual(['name']);
    // Moving the first column away resolves it.
    const both = new Map<number, ColumnTarget>([
      [3, 'name'],
      [0, 'ignore'],
    ]);
    expect(doubleMapped(columns, both)).toEqual([]);
  });
});

describe('job progress', () => {
  it('is a whole percentage, unknown while the total is, full once done', () => {
    expect(progressPercent({ status: 'running', progress: { done: 250, total: 1000 } })).toBe(25);
    expect(progressPercent({ status: 'running', progress: { done: 999, total: 1000 } })).toBe(99);
    expect(progressPercent({ status: 'queued', progress: { done: 0, total: null } })).toBeNull();
    expect(progressPercent({ status: 'running', progress: { done: 5, total: 0 } })).toBeNull();
    expect(progressPercent({ status: 'succeeded', progress: { done: 990, total: 1000 } })).toBe(100);
    expect(progressPercent({ status: 'running', progress: { done: 1200, total: 1000 } })).toBe(100);
  });

  it('knows which statuses are final', () => {
    expect(isFinished('running')).toBe(false);
    expect(isFinished('queued')).toBe(false);
    expect(isFinished('succeeded')).toBe(true);
    expect(isFinished('cancelled')).toBe(true);
    expect(isFinished('failed')).toBe(true);
  });

  it('polls quickly at first, then every two seconds', () => {
    expect(pollDelay(0)).toBe(400);
    expect(pollDelay(3)).toBe(1000);
    expect(pollDelay(100)).toBe(2000);
  });
});

describe('import result', () => {
  const result = {
    rowsRead: 1000,
    created: 980,
    alreadyMembers: 10,
    rowsWithProblems: 10,
    problemsByCode: { id_checksum: 7, phone_invalid: 3, required: 0 },
  };

  it('reads the summary of a finished import, and nothing else', () => {
    expect(importResultOf({ result })).toEqual(result);
    expect(importResultOf({ result: null })).toBeNull();
    expect(importResultOf({ result: { rows: 3 } })).toBeNull();
  });

  it('lists problem counts largest first, without zeros', () => {
    expect(problemCounts(result)).toEqual([
      { code: 'id_checksum', count: 7 },
      { code: 'phone_invalid', count: 3 },
    ]);
  });
});
