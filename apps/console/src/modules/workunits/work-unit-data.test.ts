import { describe, expect, it } from 'vitest';
import { blankWorkUnitForm, createBodyOf, updateBodyOf, type WorkUnit, workUnitFormOf } from './work-unit-data.ts';

const unit: WorkUnit = {
  id: 'u1',
  name: '秦川机械厂',
  creditCode: '91610113MA6TXXXX0X',
  unitType: '110',
  industry: 'C',
  regionCode: '610113',
  address: null,
  employeeCount: 320,
  foundedOn: null,
  chairName: '李华',
  contactName: null,
  contactPhone: '138****1234',
  orgId: 'o1',
  unionOrgId: 'o2',
  hasUnion: true,
  foundingRequired: true,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
};

describe('work unit forms', () => {
  it('creates without the optional fields left empty', () => {
    const form = { ...blankWorkUnitForm('o1'), name: ' 新厂 ', unitType: '110', industry: 'C', regionCode: '610113' };
    expect(createBodyOf(form)).toEqual({
      name: '新厂',
      unitType: '110',
      industry: 'C',
      regionCode: '610113',
      employeeCount: 0,
      orgId: 'o1',
    });
  });

  it('edits only what changed, clearing an emptied optional field with null', () => {
    expect(updateBodyOf(unit, workUnitFormOf(unit))).toEqual({});
    const form = { ...workUnitFormOf(unit), employeeCount: 350, chairName: '', address: '雁塔路 1 号' };
    expect(updateBodyOf(unit, form)).toEqual({ employeeCount: 350, chairName: null, address: '雁塔路 1 号' });
  });

  it('sends the contact phone only when retyped, and a removed union as null', () => {
    const form = { ...workUnitFormOf(unit), contactPhone: '029-88886666', unionOrgId: undefined };
    expect(updateBodyOf(unit, form)).toEqual({ contactPhone: '029-88886666', unionOrgId: null });
  });
});
