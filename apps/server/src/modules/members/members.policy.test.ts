import { idNumberCheckChar } from '@zhgh/contracts';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../core/app-error.ts';
import {
  checkRegistration,
  checkUnionAcceptsMembers,
  classifySearch,
  employmentErrors,
  formatMemberNumber,
  idNumberTaken,
  nameInitials,
} from './members.policy.ts';

const today = '2026-11-23';
const id = (first17: string) => first17 + idNumberCheckChar(first17);
/** Born 1990-01-01, sequence 001: a man. */
const MAN = id('61011319900101001');

function caught(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError');
}

describe('checkRegistration', () => {
  it('derives the identity from the ID number, normalized', () => {
    expect(
      checkRegistration({ idNumber: ` ${MAN.slice(0, 6)}-${MAN.slice(6)} `, joinDate: '2020-01-01' }, today),
    ).toEqual({
      identity: { idNumber: MAN, gender: 'male', birthDate: '1990-01-01' },
      bankCard: null,
    });
  });

  it('collects every broken rule at once, each naming its field', () => {
    const err = caught(() =>
      checkRegistration(
        {
          idNumber: MAN,
          gender: 'female',
          birthDate: '1990-01-02',
          joinDate: '2026-11-24',
          bankCard: '4111111111111112',
        },
        today,
      ),
    );
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.fields?.map((f) => f.field)).toEqual([
      'body.gender',
      'body.birthDate',
      'body.joinDate',
      'body.bankCard',
    ]);
  });

  it('names the ID number problem', () => {
    const err = caught(() => checkRegistration({ idNumber: MAN.slice(0, 17) + 'Y', joinDate: '2020-01-01' }, today));
    expect(err.fields?.[0]).toMatchObject({ field: 'body.idNumber', rule: 'format' });
    const checksum = caught(() =>
      checkRegistration({ idNumber: MAN.slice(0, 17) + (MAN[17] === '1' ? '2' : '1'), joinDate: '2020-01-01' }, today),
    );
    expect(checksum.fields?.[0]?.message.en).toMatch(/check character/);
  });

  it('measures the minimum age on the join date', () => {
    const teen = id('61011320100601002');
    expect(caught(() => checkRegistration({ idNumber: teen, joinDate: '2026-05-31' }, today)).code).toBe(
      'MEMBER_TOO_YOUNG',
    );
    expect(checkRegistration({ idNumber: teen, joinDate: '2026-06-01' }, today).identity.gender).toBe('female');
  });
});

describe('employmentErrors', () => {
  it('a new-form worker names the group; nobody else has one; a unit by id or by name', () => {
    expect(employmentErrors({ employmentType: 'new_form' }).map((e) => [e.field, e.rule])).toEqual([
      ['body.newFormGroup', 'required'],
    ]);
    expect(employmentErrors({ employmentType: 'new_form', newFormGroup: 'courier' })).toEqual([]);
    expect(employmentErrors({ employmentType: 'migrant', newFormGroup: 'courier' }).map((e) => e.field)).toEqual([
      'body.newFormGroup',
    ]);
    expect(
      employmentErrors({ employmentType: 'regular', workUnitId: 'u1', workUnitName: '某公司' }).map((e) => e.field),
    ).toEqual(['body.workUnitName']);
  });
});

describe('checkUnionAcceptsMembers', () => {
  it('refuses federations and inactive unions', () => {
    expect(caught(() => checkUnionAcceptsMembers({ type: 'federation', status: 'active' })).code).toBe(
      'MEMBER_ORG_NOT_ELIGIBLE',
    );
    expect(caught(() => checkUnionAcceptsMembers({ type: 'grassroots', status: 'merged' })).code).toBe(
      'ORG_NOT_ACTIVE',
    );
    expect(() => checkUnionAcceptsMembers({ type: 'joint', status: 'active' })).not.toThrow();
  });
});

describe('idNumberTaken', () => {
  it('names the holding union only when given one', () => {
    expect(idNumberTaken('body.idNumber', { orgName: '某公司工会' }).fields?.[0]?.message['zh-CN']).toContain(
      '某公司工会',
    );
    expect(idNumberTaken('body.idNumber', null).fields?.[0]?.message['zh-CN']).toContain('其他工会');
  });
});

describe('member numbers', () => {
  it('are the year and an 8-digit sequence, sorting in issue order', () => {
    expect(formatMemberNumber(2026, 1)).toBe('202600000001');
    const numbers = [1, 9, 10, 99_999_999].map((n) => formatMemberNumber(2026, n));
    expect([...numbers].sort()).toEqual(numbers);
    expect(formatMemberNumber(2026, 99_999_999) < formatMemberNumber(2027, 1)).toBe(true);
    expect(() => formatMemberNumber(2026, 100_000_000)).toThrow(/exhausted/);
  });
});

describe('nameInitials', () => {
  it('reads surnames as surnames and keeps only letters', () => {
    expect(nameInitials('单田芳')).toBe('stf');
    expect(nameInitials('曾国藩')).toBe('zgf');
    expect(nameInitials('解放')).toBe('xf');
    expect(nameInitials('张三')).toBe('zs');
    expect(nameInitials('欧阳小明')).toBe('oyxm');
    expect(nameInitials('阿卜杜·热合曼')).toBe('abdrhm');
  });
});

describe('classifySearch', () => {
  it('tells ID numbers, phones, initials and name prefixes apart', () => {
    expect(classifySearch(MAN.toLowerCase(), today)).toEqual({ kind: 'idNumber', idNumber: MAN });
    expect(classifySearch(MAN.slice(0, 6) + MAN.slice(8, 17), today)).toEqual({ kind: 'idNumber', idNumber: MAN });
    expect(classifySearch(MAN.slice(0, 17) + 'X', today)).toMatchObject({ kind: 'idNumber' });
    expect(classifySearch('13812345678', today)).toEqual({ kind: 'phone', phone: '13812345678' });
    expect(classifySearch('ZS', today)).toEqual({ kind: 'initials', initials: 'zs' });
    expect(classifySearch(' 张 ', today)).toEqual({ kind: 'name', prefix: '张' });
    expect(classifySearch('%_', today)).toEqual({ kind: 'none' });
  });
});
