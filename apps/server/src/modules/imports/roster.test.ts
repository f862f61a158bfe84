import {
  ETHNICITIES,
  GENDERS,
  HOUSEHOLD_TYPES,
  EDUCATION_LEVELS,
  EMPLOYMENT_TYPES,
  POLITICAL_STATUSES,
  ROSTER_FIELDS,
  ROSTER_PROBLEM_CODES,
  ROSTER_REQUIRED_FIELDS,
  type RosterField,
  rosterProblemMessage,
  rosterRow,
} from '@zhgh/contracts';
import { describe, expect, it } from 'vitest';
import { makeBankCard, makeIdNumber, TEMPLATE_HEADERS, validRosterRow } from '../../../test/import-files.ts';
import { headerKeys, mapHeader, MappingOverrideError, recogniseHeader } from './header-mapping.ts';
import { createRosterValidator } from './roster-rows.ts';
import {
  digitText,
  excelSerialToIso,
  hasRoundedTail,
  isScientific,
  parseCode,
  parseDate,
  parsePhone,
} from './values.ts';

describe('values', () => {
  it('converts Excel serials in the 1900 system, its phantom 1900-02-29 included', () => {
    expect(excelSerialToIso(1)).toBe('1900-01-01');
    expect(excelSerialToIso(59)).toBe('1900-02-28');
    expect(excelSerialToIso(60)).toBeNull();
    expect(excelSerialToIso(61)).toBe('1900-03-01');
    expect(excelSerialToIso(43831)).toBe('2020-01-01');
    expect(excelSerialToIso(45352.75)).toBe('2024-03-01');
    expect(excelSerialToIso(0)).toBeNull();
  });

  it('reads dates typed the usual ways, to the month for 出生年月', () => {
    for (const v of [
      '2020-01-05',
      '2020/1/5',
      '2020.1.5',
      '2020年1月5日',
      '20200105',
      '２０２０－０１－０５',
      '2020-01-05 00:00:00',
    ]) {
      expect(parseDate(v), v).toEqual({ value: '2020-01-05', precision: 'day' });
    }
    expect(parseDate('43835')).toEqual({ value: '2020-01-05', precision: 'day' });
    expect(parseDate('1990.01')).toEqual({ value: '1990-01-01', precision: 'month' });
    expect(parseDate('1990年1月')).toEqual({ value: '1990-01-01', precision: 'month' });
    expect(parseDate('199011')).toEqual({ value: '1990-11-01', precision: 'month' });
    for (const bad of ['2020-02-30', '2021/13/1', '1990', 'abc', '2020-1', '']) {
      expect(parseDate(bad) === null || parseDate(bad)!.precision === 'month', bad).toBe(true);
    }
    expect(parseDate('2020-02-30')).toBeNull();
    expect(parseDate('1990')).toBeNull();
  });

  it('cleans digits typed as text: full width, spaces, dashes, apostrophe, .0', () => {
    expect(digitText('１３９ 1234-5678')).toBe('13912345678');
    expect(digitText("'13912345678")).toBe('13912345678');
    expect(digitText('13912345678.0')).toBe('13912345678');
    expect(parsePhone('+86 139 1234 5678')).toBe('13912345678');
    expect(parsePhone('029-88886666')).toBeNull();
  });

  it('recognises numbers Excel already rounded', () => {
    expect(isScientific('6.10102199001011E+17')).toBe(true);
    expect(isScientific('6.10102E+17')).toBe(true);
    expect(isScientific(makeIdNumber('1990-01-01', 123))).toBe(false);
    expect(hasRoundedTail('610102199001011000')).toBe(true);
    expect(hasRoundedTail('610113900101123')).toBe(false);
    expect(hasRoundedTail('6222021234567890')).toBe(false);
  });

  it('finds code-list values by code, label, synonym, and 汉 for 汉族', () => {
    expect(parseCode(GENDERS, '女')).toBe('female');
    expect(parseCode(GENDERS, 'Male')).toBe('male');
    expect(parseCode(ETHNICITIES, '汉族')).toBe('01');
    expect(parseCode(ETHNICITIES, '汉')).toBe('01');
    expect(parseCode(ETHNICITIES, '1')).toBe('01');
    expect(parseCode(ETHNICITIES, '维吾尔')).toBe('05');
    expect(parseCode(POLITICAL_STATUSES, '党员')).toBe('cpc_member');
    expect(parseCode(EDUCATION_LEVELS, '中专')).toBe('vocational');
    expect(parseCode(HOUSEHOLD_TYPES, '农业户口')).toBe('rural');
    expect(parseCode(EMPLOYMENT_TYPES, 'new_form')).toBe('new_form');
    expect(parseCode(EMPLOYMENT_TYPES, ' 农民工 ')).toBe('migrant');
    expect(parseCode(EMPLOYMENT_TYPES, '临时工')).toBeNull();
  });
});

describe('header mapping', () => {
  it('recognises the variants of every field, whatever the spacing, width, brackets and marks', () => {
    const cases: [string, RosterField | 'ignore' | null][] = [
      ['名字', 'name'],
      [' 姓　名 ', 'name'],
      ['*姓名', 'name'],
      ['公民身份号码', 'idNumber'],
      ['证件号码', 'idNumber'],
      ['身份证号码（必填）', 'idNumber'],
      ['出生年月', 'birthDate'],
      ['文化程度', 'education'],
      ['户口性质', 'householdType'],
      ['户籍地（区划代码）', 'householdRegion'],
      ['户籍地(区划代码)', 'householdRegion'],
      ['户籍所在地', 'householdRegion'],
      ['联系电话', 'phone'],
      ['手机号码【11位】', 'phone'],
      ['单位名称', 'workUnitName'],
      ['就业类型', 'employmentType'],
      ['职工类型', 'employmentType'],
      ['新就业形态群体', 'newFormGroup'],
      ['入会时间', 'joinDate'],
      ['会员编号', 'memberNumber'],
      ['会员卡号', 'cardNumber'],
      ['银行卡号', 'bankCard'],
      ['ＩＤ Ｎｕｍｂｅｒ', 'idNumber'],
      ['错误原因', 'ignore'],
      ['序号', 'ignore'],
      ['爱好', null],
    ];
    for (const [header, field] of cases) expect(recogniseHeader(header), header).toBe(field);
    expect(headerKeys('户籍地（区划代码）')).toEqual(['户籍地区划代码', '户籍地']);
  });

  it('maps the template header completely', () => {
    const m = mapHeader(TEMPLATE_HEADERS);
    expect(m.mapped.map((c) => c.field)).toEqual([...ROSTER_FIELDS]);
    expect(m.unmapped).toEqual([]);
    expect(m.missingRequired).toEqual([]);
  });

  it('reports unknown and duplicate columns and the required fields no column fills', () => {
    const m = mapHeader(['序号', '姓名', '手机', '联系电话', '爱好', '', '错误原因']);
    expect(m.mapped).toEqual([
      { index: 1, header: '姓名', field: 'name', source: 'detected' },
      { index: 2, header: '手机', field: 'phone', source: 'detected' },
    ]);
    expect(m.unmapped).toEqual([
      { index: 0, header: '序号', reason: 'ignored' },
      { index: 3, header: '联系电话', reason: 'duplicate' },
      { index: 4, header: '爱好', reason: 'unknown' },
      { index: 6, header: '错误原因', reason: 'ignored' },
    ]);
    expect(m.missingRequired).toEqual(ROSTER_REQUIRED_FIELDS.filter((f) => f !== 'name'));
  });

  it('lets the user override: a column to a field (taking it from another), or to ignore', () => {
    const m = mapHeader(['姓名', '号码', '手机'], { '1': 'phone', '0': 'ignore' });
    expect(m.columnOf).toEqual({ phone: 1 });
    expect(m.mapped).toEqual([{ index: 1, header: '号码', field: 'phone', source: 'override' }]);
    expect(m.unmapped).toEqual([
      { index: 0, header: '姓名', reason: 'ignored' },
      { index: 2, header: '手机', reason: 'duplicate' },
    ]);
    expect(() => mapHeader(['姓名'], { '3': 'phone' })).toThrow(MappingOverrideError);
  });
});

describe('roster rows', () => {
  const today = '2026-06-01';
  const validator = (headers: string[] = TEMPLATE_HEADERS) =>
    createRosterValidator(mapHeader(headers), { today, isKnownRegion: (c) => c === '610113' || c === '610000' });
  const cellsOf = (r: Record<RosterField, string>) => ROSTER_FIELDS.map((f) => r[f]);
  const problemsOf = (edit: (r: Record<RosterField, string>) => void, i = 1) => {
    const r = validRosterRow(i);
    edit(r);
    return validator()({ rowNumber: 7, cells: cellsOf(r) }).problems.map((p) => [p.field, p.code]);
  };

  it('turns a valid row into a RosterRow the contract accepts', () => {
    const r = validRosterRow(5);
    const out = validator()({ rowNumber: 2, cells: cellsOf(r) });
    expect(out.problems).toEqual([]);
    expect(rosterRow.parse(out.row)).toEqual(out.row);
    expect(out.row).toMatchObject({
      idNumber: r.idNumber,
      ethnicity: '01',
      employmentType: 'new_form',
      newFormGroup: 'delivery_rider',
      joinDate: '2024-03-01',
      householdRegion: '610113',
    });
  });

  it('normalizes what rosters carry: full-width ID, 15-digit IDs, padded names, codes', () => {
    const r = validRosterRow(2);
    const legacy = `610113${r.idNumber.slice(8, 17)}`;
    r.idNumber = legacy;
    r.birthDate = '';
    r.gender = '';
    r.name = '王　明';
    r.ethnicity = '01';
    r.phone = '１３９ 0000 1234';
    const out = validator()({ rowNumber: 2, cells: cellsOf(r) });
    expect(out.problems).toEqual([]);
    expect(out.row!.idNumber).toHaveLength(18);
    expect(out.row!.idNumber.slice(6, 8)).toBe('19');
    expect(out.row).toMatchObject({ name: '王明', phone: '13900001234', ethnicity: '01' });
  });

  it('names each ID number problem, and Excel-mangled IDs specifically', () => {
    const id = validRosterRow(1).idNumber;
    const wrongCheck = id.slice(0, 17) + (id[17] === '0' ? '1' : '0');
    expect(problemsOf((r) => (r.idNumber = wrongCheck))).toContainEqual(['idNumber', 'id_checksum']);
    expect(problemsOf((r) => (r.idNumber = '61011319900101'))).toContainEqual(['idNumber', 'id_length']);
    expect(problemsOf((r) => (r.idNumber = `99${id.slice(2)}`))).toContainEqual(['idNumber', 'id_region']);
    expect(problemsOf((r) => (r.idNumber = '6.10113199001011E+17'))).toEqual([['idNumber', 'id_as_number']]);
    expect(problemsOf((r) => (r.idNumber = '610113199001011000'))).toEqual([['idNumber', 'id_as_number']]);
    expect(problemsOf((r) => (r.idNumber = ''))).toEqual([['idNumber', 'required']]);
  });

  it('accepts real numbers that merely end in zeros', () => {
    let id = '';
    for (let day = 1; !id.endsWith('000'); day++) id = makeIdNumber(`1990-01-${String(day).padStart(2, '0')}`, 100);
    expect(
      problemsOf((r) => {
        r.idNumber = id;
        r.birthDate = '';
        r.gender = '';
      }),
    ).toEqual([]);
    expect(problemsOf((r) => (r.bankCard = makeBankCard(0)))).toEqual([]);
  });

  it('requires typed gender and birth date to agree with the ID number', () => {
    expect(problemsOf((r) => (r.gender = r.gender === '男' ? '女' : '男'))).toEqual([['gender', 'gender_mismatch']]);
    expect(problemsOf((r) => (r.gender = '未知'))).toEqual([['gender', 'gender_unknown']]);
    expect(problemsOf((r) => (r.birthDate = '1999-12-31'))).toEqual([['birthDate', 'birth_date_mismatch']]);
    expect(problemsOf((r) => (r.birthDate = r.birthDate.slice(0, 7).replace('-', '.')))).toEqual([]);
    expect(problemsOf((r) => (r.birthDate = '生日'))).toEqual([['birthDate', 'date_invalid']]);
  });

  it('checks age at the join date, join dates in the future, phones, new-form groups and bank cards', () => {
    const young = (r: Record<RosterField, string>) => {
      r.idNumber = makeIdNumber('2012-05-01', 11);
      r.birthDate = '';
      r.gender = '';
    };
    expect(problemsOf(young)).toEqual([['joinDate', 'under_age']]);
    expect(
      problemsOf((r) => {
        young(r);
        r.joinDate = '';
      }),
    ).toEqual([['idNumber', 'under_age']]);
    expect(problemsOf((r) => (r.joinDate = '2026-06-02'))).toEqual([['joinDate', 'join_date_future']]);
    expect(problemsOf((r) => (r.phone = '1391234567'))).toEqual([['phone', 'phone_invalid']]);
    expect(problemsOf((r) => (r.newFormGroup = ''), 0)).toEqual([['newFormGroup', 'new_form_group_required']]);
    expect(problemsOf((r) => (r.newFormGroup = '快递员'), 1)).toEqual([['newFormGroup', 'new_form_group_unexpected']]);
    expect(problemsOf((r) => (r.bankCard = '62220212345'))).toEqual([['bankCard', 'bank_card_invalid']]);
    const card = makeBankCard(42);
    const badLuhn = card.slice(0, -1) + ((Number(card.at(-1)) + 1) % 10);
    expect(problemsOf((r) => (r.bankCard = badLuhn))).toEqual([['bankCard', 'bank_card_checksum']]);
    expect(problemsOf((r) => (r.bankCard = '6.22202123456789E+18'))).toEqual([['bankCard', 'number_as_number']]);
    expect(problemsOf((r) => (r.memberNumber = 'M#1'))).toEqual([['memberNumber', 'number_format']]);
  });

  it('checks code lists, regions, required values and lengths', () => {
    expect(problemsOf((r) => (r.ethnicity = '火星族'))).toEqual([['ethnicity', 'code_unknown']]);
    expect(problemsOf((r) => (r.employmentType = ''))).toEqual([['employmentType', 'required']]);
    expect(problemsOf((r) => (r.householdRegion = '999999'))).toEqual([['householdRegion', 'region_unknown']]);
    expect(problemsOf((r) => (r.name = '王'))).toEqual([['name', 'too_short']]);
    expect(problemsOf((r) => (r.name = '王'.repeat(51)))).toEqual([['name', 'too_long']]);
    expect(problemsOf((r) => (r.phone = ''))).toEqual([]);
  });

  it('reports in-file duplicates on the later row, naming the earlier one', () => {
    const validate = validator();
    const a = validRosterRow(1);
    const b = validRosterRow(2);
    b.idNumber = a.idNumber;
    b.gender = a.gender;
    b.birthDate = a.birthDate;
    const c = validRosterRow(3);
    c.phone = a.phone;
    expect(validate({ rowNumber: 2, cells: cellsOf(a) }).problems).toEqual([]);
    const dupId = validate({ rowNumber: 3, cells: cellsOf(b) }).problems;
    expect(dupId).toMatchObject([{ row: 3, field: 'idNumber', code: 'duplicate_id_number' }]);
    expect(dupId[0]!.message['zh-CN']).toBe('身份证号与第 2 行重复');
    const dupPhone = validate({ rowNumber: 9, cells: cellsOf(c) }).problems;
    expect(dupPhone).toMatchObject([{ row: 9, column: '手机号码', code: 'duplicate_phone' }]);
    expect(dupPhone[0]!.message.en).toBe('The phone number repeats row 2');
  });

  it('names problems by the column header of the file', () => {
    const headers = [
      '名字',
      '公民身份号码',
      '民族',
      '政治面貌',
      '文化程度',
      '户口性质',
      '户籍地',
      '就业类型',
      '联系电话',
    ];
    const validate = validator(headers);
    const out = validate({
      rowNumber: 4,
      cells: ['张三', '6.10113199001011E+17', '汉族', '群众', '本科', '城镇', '610113', '固定职工', '12345'],
    });
    expect(out.problems.map((p) => [p.column, p.code])).toEqual([
      ['公民身份号码', 'id_as_number'],
      ['联系电话', 'phone_invalid'],
    ]);
    expect(out.problems[0]!.message['zh-CN']).toContain('文本');
  });
});

describe('problem messages', () => {
  it('has both locales for every code', () => {
    for (const code of ROSTER_PROBLEM_CODES) {
      const m = rosterProblemMessage(code, { column: '列', otherRow: 2, max: 16, allowed: 'a', expected: 'x' });
      expect(m['zh-CN'].length, code).toBeGreaterThan(0);
      expect(m.en.length, code).toBeGreaterThan(0);
    }
  });
});
