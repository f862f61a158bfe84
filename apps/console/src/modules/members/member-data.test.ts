import { EMPLOYMENT_TYPES } from '@zhgh/contracts';
import { describe, expect, it } from 'vitest';
import {
  codeLabel,
  editFormOf,
  type MemberDetail,
  membershipSpan,
  searchKind,
  statusTagType,
  updateBodyOf,
} from './member-data.ts';

const member: MemberDetail = {
  id: 'p1',
  name: '王*明',
  gender: 'male',
  age: 36,
  idNumber: '6101**********1234',
  phone: '138****1234',
  bankCard: null,
  ethnicity: '01',
  politicalStatus: 'masses',
  education: 'bachelor',
  householdType: 'urban',
  householdRegion: '610113',
  employmentType: 'regular',
  newFormGroup: null,
  workUnitId: null,
  workUnitName: '秦川机械厂',
  realNameVerified: true,
  membership: {
    id: 'm1',
    orgId: 'o1',
    orgName: '秦川机械厂工会',
    status: 'active',
    startedOn: '2020-01-05',
    endedOn: null,
    endReason: null,
    memberNumber: '202000000001',
    cardNumber: null,
  },
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
};

describe('codeLabel', () => {
  it('shows the label in the UI language, an unknown code as itself, nothing as a dash', () => {
    expect(codeLabel(EMPLOYMENT_TYPES, 'migrant', 'zh-CN')).toBe('农民工');
    expect(codeLabel(EMPLOYMENT_TYPES, 'migrant', 'en')).toBe('Migrant worker');
    expect(codeLabel(EMPLOYMENT_TYPES, 'astronaut', 'en')).toBe('astronaut');
    expect(codeLabel(EMPLOYMENT_TYPES, null, 'en')).toBe('—');
  });
});

describe('updateBodyOf', () => {
  it('sends nothing when nothing changed', () => {
    expect(updateBodyOf(member, editFormOf(member))).toEqual({});
  });

  it('sends only the fields the cadre changed', () => {
    const form = { ...editFormOf(member), education: 'master', workUnitName: '秦川机械有限公司' };
    expect(updateBodyOf(member, form)).toEqual({ education: 'master', workUnitName: '秦川机械有限公司' });
  });

  it('sends the name only when retyped, since the one shown is masked', () => {
    expect(updateBodyOf(member, { ...editFormOf(member), name: ' 王小明 ' })).toEqual({ name: '王小明' });
  });

  it('sends the new-form group with the employment type, and clears it when leaving new_form', () => {
    const toNewForm = { ...editFormOf(member), employmentType: 'new_form', newFormGroup: 'courier' };
    expect(updateBodyOf(member, toNewForm)).toEqual({ employmentType: 'new_form', newFormGroup: 'courier' });
    const courier: MemberDetail = { ...member, employmentType: 'new_form', newFormGroup: 'courier' };
    const back = { ...editFormOf(courier), employmentType: 'regular' };
    expect(updateBodyOf(courier, back)).toEqual({ employmentType: 'regular', newFormGroup: null });
  });

  it('replaces a phone or bank card only when typed, and removes it only when asked', () => {
    const form = editFormOf(member);
    expect(form.phone).toBe('');
    expect(updateBodyOf(member, { ...form, phone: '13912345678' })).toEqual({ phone: '13912345678' });
    expect(updateBodyOf(member, { ...form, clearPhone: true, phone: '13912345678' })).toEqual({ phone: null });
    expect(updateBodyOf(member, { ...form, bankCard: '6222 0000 0000 0000 018' })).toEqual({
      bankCard: '6222000000000000018',
    });
  });

  it('leaves the employer name alone for a member of a registered work unit', () => {
    const registered: MemberDetail = { ...member, workUnitId: 'u1' };
    expect(updateBodyOf(registered, { ...editFormOf(registered), workUnitName: 'x' })).toEqual({});
  });
});

describe('searchKind', () => {
  it('tells an ID number and a phone (exact) from a name (prefix)', () => {
    expect(searchKind('61010219900101123X')).toBe('idNumber');
    expect(searchKind('610102900101123')).toBe('idNumber');
    expect(searchKind('13800138000')).toBe('phone');
    expect(searchKind('张')).toBe('name');
    expect(searchKind('zs')).toBe('name');
    expect(searchKind('  ')).toBeNull();
  });
});

describe('membership display', () => {
  it('spans an open membership up to now', () => {
    expect(membershipSpan({ startedOn: '2020-01-05', endedOn: null }, '至今')).toBe('2020-01-05 – 至今');
    expect(membershipSpan({ startedOn: '2020-01-05', endedOn: '2024-06-30' }, 'now')).toBe('2020-01-05 – 2024-06-30');
  });

  it('colours open memberships and fades closed ones', () => {
    expect(statusTagType('active')).toBe('success');
    expect(statusTagType('retained')).toBe('warning');
    expect(statusTagType('withdrawn')).toBe('info');
  });
});
