import { type MemberPreview, PREVIEW_SAMPLE_ROWS, ROSTER_FIELDS, XLSX_CONTENT_TYPE } from '@zhgh/contracts';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Agent,
  agent,
  errorOf,
  type FormPart,
  makeTree,
  makeUser,
  postMultipart,
  signIn,
  withoutRequestId,
} from './factories.ts';
import { createTestApp, sql } from './harness.ts';
import { buildZip, csvBytes, deflatedZeros, rosterMatrix, tempDir, writeXlsx } from './import-files.ts';

const PREVIEW = '/api/imports/member-preview';
const TEMPLATE = '/api/imports/member-template';

let t: Awaited<ReturnType<typeof createTestApp>>;
let tree: Awaited<ReturnType<typeof makeTree>>;
let cadre: Agent;
const tmp = tempDir();

beforeAll(async () => {
  t = await createTestApp({ IMPORT_MAX_BYTES: String(2 * 1024 * 1024) });
  tree = await makeTree(t.app);
  cadre = await signIn(t.app, await makeUser(t.app, { org: tree.county, roles: ['grassroots_cadre'] }));
});
afterAll(async () => {
  await t.close();
  tmp.remove();
});

const csvFile = (rows: string[][], encoding: 'utf-8' | 'utf-8-bom' | 'gbk' = 'utf-8-bom'): FormPart => ({
  filename: '名册.csv',
  content: csvBytes(rows, { encoding }),
  contentType: 'text/csv',
});

async function xlsxFile(rows: (string | number)[][]): Promise<FormPart> {
  const file = tmp.file(`r${Math.random().toString(36).slice(2)}.xlsx`);
  await writeXlsx(file, rows);
  return { filename: 'roster.xlsx', content: fs.readFileSync(file) };
}

const preview = (a: Agent, form: Record<string, FormPart>) => postMultipart(a, PREVIEW, form);

describe('GET /api/imports/member-template', () => {
  it('requires authentication', async () => {
    expect(errorOf(await agent(t.app).get(TEMPLATE))).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it('requires member.import', async () => {
    const finance = await signIn(t.app, await makeUser(t.app, { org: tree.county, roles: ['finance_officer'] }));
    expect(errorOf(await finance.get(TEMPLATE))).toMatchObject({ status: 403, code: 'FORBIDDEN' });
  });

  it('answers the xlsx with its Chinese file name', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: TEMPLATE,
      headers: { cookie: `zhgh_sid=${cadre.cookie}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(XLSX_CONTENT_TYPE);
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="________.xlsx"; filename*=UTF-8''${encodeURIComponent('会员名册导入模板.xlsx')}`,
    );
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.rawPayload.subarray(0, 4).toString('latin1')).toBe('PK\x03\x04');
    // And it previews as a complete, empty roster.
    const back = await preview(cadre, { orgId: tree.county.id, file: { filename: 't.xlsx', content: res.rawPayload } });
    expect(back.status).toBe(200);
    expect(back.json<MemberPreview>().mapping.missingRequired).toEqual([]);
    expect(back.json<MemberPreview>().rowsScanned).toBe(0);
  });
});

describe('POST /api/imports/member-preview', () => {
  it('requires authentication, before reading any upload', async () => {
    const res = await postMultipart(agent(t.app), PREVIEW, { orgId: tree.county.id, file: csvFile(rosterMatrix(1)) });
    expect(errorOf(res)).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it('requires member.import', async () => {
    const auditor = await signIn(t.app, await makeUser(t.app, { org: tree.county, roles: ['auditor'] }));
    const res = await preview(auditor, { orgId: tree.county.id, file: csvFile(rosterMatrix(1)) });
    expect(errorOf(res)).toMatchObject({ status: 403, code: 'FORBIDDEN' });
  });

  it('answers 404 for a union outside the scope, exactly as for one that does not exist', async () => {
    const file = csvFile(rosterMatrix(1));
    const sibling = await preview(cadre, { orgId: tree.sibling.id, file });
    const parent = await preview(cadre, { orgId: tree.city.id, file });
    const missing = await preview(cadre, { orgId: 'no-such-org', file });
    expect(sibling.status).toBe(404);
    expect(withoutRequestId(sibling)).toEqual(withoutRequestId(missing));
    expect(withoutRequestId(parent)).toEqual(withoutRequestId(missing));
    // Below the actor's own union is in scope.
    expect((await preview(cadre, { orgId: tree.grassroots.id, file })).status).toBe(200);
  });

  it('names the field of bad input: no file, no union, bad mapping, not multipart', async () => {
    expect(errorOf(await preview(cadre, { orgId: tree.county.id }))).toEqual({
      status: 400,
      code: 'VALIDATION_FAILED',
      fields: ['body.file'],
    });
    expect(errorOf(await preview(cadre, { file: csvFile(rosterMatrix(1)) }))).toEqual({
      status: 400,
      code: 'VALIDATION_FAILED',
      fields: ['body.orgId'],
    });
    const badJson = await preview(cadre, { orgId: tree.county.id, mapping: '{oops', file: csvFile(rosterMatrix(1)) });
    expect(errorOf(badJson)).toEqual({ status: 400, code: 'VALIDATION_FAILED', fields: ['body.mapping'] });
    const badField = await preview(cadre, {
      orgId: tree.county.id,
      mapping: '{"0":"shoeSize"}',
      file: csvFile(rosterMatrix(1)),
    });
    expect(errorOf(badField)).toEqual({ status: 400, code: 'VALIDATION_FAILED', fields: ['body.mapping.0'] });
    const noColumn = await preview(cadre, {
      orgId: tree.county.id,
      mapping: '{"99":"phone"}',
      file: csvFile(rosterMatrix(1)),
    });
    expect(errorOf(noColumn)).toEqual({ status: 400, code: 'VALIDATION_FAILED', fields: ['body.mapping.99'] });
    const extra = await preview(cadre, { orgId: tree.county.id, note: 'x', file: csvFile(rosterMatrix(1)) });
    expect(errorOf(extra)).toEqual({ status: 400, code: 'VALIDATION_FAILED', fields: ['body.note'] });
    expect(errorOf(await cadre.post(PREVIEW, { orgId: tree.county.id }))).toEqual({
      status: 400,
      code: 'VALIDATION_FAILED',
      fields: ['content-type'],
    });
  });

  it('refuses files by what they are, each with its own code', async () => {
    const refuse = async (content: Buffer, filename = 'roster.xlsx') =>
      errorOf(await preview(cadre, { orgId: tree.county.id, file: { filename, content } }));
    const xls = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(2048)]);
    expect(await refuse(xls, 'roster.xls')).toMatchObject({ status: 400, code: 'IMPORT_XLS_NOT_SUPPORTED' });
    expect(await refuse(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0]))).toMatchObject({
      status: 400,
      code: 'IMPORT_FILE_TYPE',
    });
    const bomb = buildZip([
      { name: 'xl/workbook.xml', data: Buffer.from('<workbook/>') },
      { name: 'xl/worksheets/sheet1.xml', deflated: deflatedZeros(300) },
    ]);
    expect(await refuse(bomb)).toMatchObject({ status: 400, code: 'IMPORT_ZIP_BOMB' });
    expect(await refuse(Buffer.alloc(0), 'empty.csv')).toMatchObject({ status: 400, code: 'IMPORT_FILE_EMPTY' });
    expect(await refuse(Buffer.from('\r\n\r\n,,\r\n'), 'blank.csv')).toMatchObject({ code: 'IMPORT_FILE_EMPTY' });
    const xlsx = (await xlsxFile(rosterMatrix(20))) as { content: Buffer };
    expect(await refuse(xlsx.content.subarray(0, xlsx.content.length - 100))).toMatchObject({
      status: 400,
      code: 'IMPORT_FILE_UNREADABLE',
    });
  });

  it('refuses a file over the configured size with 413', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024 + 10, 0x41);
    const res = await preview(cadre, { orgId: tree.county.id, file: { filename: 'big.csv', content: big } });
    expect(errorOf(res)).toMatchObject({ status: 413, code: 'FILE_TOO_LARGE' });
  });

  it('previews a 1,000-row xlsx with 10 bad rows: exactly those 10, with row and column, and writes nothing', async () => {
    const auditBefore = await countAudit();
    const badAt = [3, 99, 150, 222, 345, 468, 579, 680, 791, 998];
    const rows = rosterMatrix(1000, (r, i) => {
      switch (badAt.indexOf(i)) {
        case 0:
          r.idNumber = r.idNumber.slice(0, 17) + (r.idNumber[17] === '1' ? '2' : '1');
          break;
        case 1:
          r.phone = '1380000';
          break;
        case 2:
          r.ethnicity = '火星族';
          break;
        case 3:
          r.joinDate = '2099-01-01';
          break;
        case 4:
          r.gender = r.gender === '男' ? '女' : '男';
          break;
        case 5:
          r.bankCard = '6222021234567890';
          break;
        case 6:
          r.employmentType = '新就业形态劳动者';
          r.newFormGroup = '';
          break;
        case 7:
          r.birthDate = '1950-01-01';
          break;
        case 8:
          r.phone = rosterMatrix(1)[1]![ROSTER_FIELDS.indexOf('phone')]!;
          break;
        case 9:
          r.householdRegion = '123456';
          break;
      }
    });
    const res = await preview(cadre, { orgId: tree.county.id, file: await xlsxFile(rows) });
    expect(res.status).toBe(200);
    const body = res.json<MemberPreview>();
    expect(body).toMatchObject({ format: 'xlsx', encoding: null, headerRow: 1, rowsScanned: 1000, moreRows: false });
    expect(body.rowsWithProblems).toBe(10);
    expect(body.problems.map((p) => [p.row, p.column, p.code])).toEqual([
      [5, '身份证号*', 'id_checksum'],
      [101, '手机号码', 'phone_invalid'],
      [152, '民族*', 'code_unknown'],
      [224, '入会日期', 'join_date_future'],
      [347, '性别', 'gender_mismatch'],
      [470, '银行卡号', 'bank_card_checksum'],
      [581, '新就业形态群体', 'new_form_group_required'],
      [682, '出生日期', 'birth_date_mismatch'],
      [793, '手机号码', 'duplicate_phone'],
      [1000, '户籍地(区划代码)*', 'region_unknown'],
    ]);
    expect(body.problems[8]!.message['zh-CN']).toBe('手机号码与第 2 行重复');
    expect(body.mapping.mapped).toHaveLength(ROSTER_FIELDS.length);
    expect(body.rows).toHaveLength(PREVIEW_SAMPLE_ROWS);
    expect(body.rows[0]).toMatchObject({ row: 2, ok: true });
    expect(body.rows[3]).toMatchObject({ row: 5, ok: false });
    // Sensitive values leave masked.
    expect(body.rows[0]!.values.idNumber).toMatch(/^6101\*{10}[\dX]{4}$/);
    expect(body.rows[0]!.values.phone).toMatch(/^139\*{4}\d{4}$/);
    expect(body.rows[0]!.values.ethnicity).toBe('03'); // 回族
    expect(await countAudit()).toBe(auditBefore);
  });

  it('checks the first 1,000 rows and says there are more', async () => {
    const rows = rosterMatrix(1005, (r, i) => {
      if (i === 1002) r.phone = 'bad';
    });
    const body = (await preview(cadre, { orgId: tree.county.id, file: csvFile(rows, 'gbk') })).json<MemberPreview>();
    expect(body).toMatchObject({ format: 'csv', encoding: 'gbk', delimiter: ',', rowsScanned: 1000, moreRows: true });
    expect(body.problems).toEqual([]);
  });

  it('reads headers it recognises in other words, and takes a mapping override', async () => {
    const rows = [
      ['序号', '名字', '公民身份号码', '民族', '政治面貌', '文化程度', '户口性质', '户籍地', '职工类型', '号码'],
      ...rosterMatrix(3, (r) => {
        r.employmentType = '固定职工';
        r.newFormGroup = '';
      })
        .slice(1)
        .map((r, i) => {
          const f = (name: string) => r[ROSTER_FIELDS.indexOf(name as (typeof ROSTER_FIELDS)[number])]!;
          return [
            String(i + 1),
            f('name'),
            f('idNumber'),
            f('ethnicity'),
            f('politicalStatus'),
            f('education'),
            f('householdType'),
            f('householdRegion'),
            f('employmentType'),
            f('phone'),
          ];
        }),
    ];
    const detected = (
      await preview(cadre, { orgId: tree.county.id, file: csvFile(rows, 'utf-8') })
    ).json<MemberPreview>();
    expect(detected.mapping.unmapped).toEqual([
      { index: 0, header: '序号', reason: 'ignored' },
      { index: 9, header: '号码', reason: 'unknown' },
    ]);
    expect(detected.mapping.missingRequired).toEqual([]);
    expect(detected.rows[0]!.values.phone).toBeNull();
    const mapped = (
      await preview(cadre, { orgId: tree.county.id, mapping: JSON.stringify({ 9: 'phone' }), file: csvFile(rows) })
    ).json<MemberPreview>();
    expect(mapped.mapping.mapped.find((m) => m.index === 9)).toEqual({
      index: 9,
      header: '号码',
      field: 'phone',
      source: 'override',
    });
    expect(mapped.rows[0]!.values.phone).toMatch(/^139\*{4}/);
    expect(mapped.problems).toEqual([]);
  });

  it('reports required columns that are missing and an ID number Excel turned into a number', async () => {
    const rows: (string | number)[][] = [
      ['姓名', '身份证号', '手机'],
      ['王明', Number('610113199001011234'), '13900000001'],
    ];
    const body = (await preview(cadre, { orgId: tree.county.id, file: await xlsxFile(rows) })).json<MemberPreview>();
    expect(body.mapping.missingRequired).toEqual([
      'ethnicity',
      'politicalStatus',
      'education',
      'householdType',
      'householdRegion',
      'employmentType',
    ]);
    expect(body.problems).toMatchObject([{ row: 2, column: '身份证号', field: 'idNumber', code: 'id_as_number' }]);
    expect(body.problems[0]!.message['zh-CN']).toContain('文本');
  });
});

async function countAudit(): Promise<number> {
  const row = await sql<{ n: number | string }>`select count(*) as n from audit_event`.execute(t.app.core.db);
  return Number(row.rows[0]!.n);
}
