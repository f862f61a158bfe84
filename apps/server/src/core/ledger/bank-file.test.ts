import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { AppError } from '../app-error.ts';
import { formatYuan, lineReference, parseResultFile, writeBankFile } from './bank-file.ts';

function problem(bytes: Buffer): { field: string; en: string } {
  try {
    parseResultFile(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    const f = (err as AppError).fields![0]!;
    expect((err as AppError).code).toBe('PAYOUT_RESULT_FILE_INVALID');
    return { field: f.field, en: f.message.en };
  }
  throw new Error('expected a refusal');
}

describe('bank file', () => {
  it('states yuan with two decimals from integer fen', () => {
    expect(formatYuan(1)).toBe('0.01');
    expect(formatYuan(30_000)).toBe('300.00');
    expect(formatYuan(123_456)).toBe('1234.56');
    expect(formatYuan(Number.MAX_SAFE_INTEGER)).toBe('90071992547409.91');
    expect(() => formatYuan(1.5)).toThrow(RangeError);
    expect(() => formatYuan(-1)).toThrow(RangeError);
  });

  it('writes UTF-8 with a BOM and CRLF, quoting what needs quotes and defusing formulas', () => {
    const file = writeBankFile('PB2026112300AB12CD', [
      { lineNo: 1, payeeName: '张三', bankCard: '6222021234567890123', amount: 30_000, memo: '双节慰问' },
      { lineNo: 2, payeeName: '李"四",五', bankCard: '6222021234567890124', amount: 5, memo: '=HYPERLINK("x")' },
    ]);
    expect(file.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(file.subarray(3).toString('utf8').split('\r\n')).toEqual([
      '批次号,行号,收款人姓名,收款账号,金额(元),用途,参考号',
      'PB2026112300AB12CD,1,张三,6222021234567890123,300.00,双节慰问,PB2026112300AB12CD-00001',
      'PB2026112300AB12CD,2,"李""四"",五",6222021234567890124,0.05,"\'=HYPERLINK(""x"")",PB2026112300AB12CD-00002',
      '',
    ]);
    expect(lineReference('PB1', 12)).toBe('PB1-00012');
  });
});

describe('result file', () => {
  it('reads Chinese or English headers, quoted fields, LF or CRLF, UTF-8 or GBK', () => {
    const text = '批次号,行号,参考号,结果,原因\r\nPB1,1,PB1-00001,成功,\nPB1,2,,失败,"户名不符, 请核对"\r\n';
    const expected = [
      { fileLine: 2, batchNo: 'PB1', lineNo: 1, reference: 'PB1-00001', status: 'paid', reason: null },
      { fileLine: 3, batchNo: 'PB1', lineNo: 2, reference: null, status: 'failed', reason: '户名不符, 请核对' },
    ];
    expect(parseResultFile(Buffer.from(text, 'utf8'))).toEqual(expected);
    expect(parseResultFile(Buffer.from('\uFEFF' + text, 'utf8'))).toEqual(expected);
    expect(parseResultFile(iconv.encode(text, 'gbk'))).toEqual(expected);
    expect(parseResultFile(Buffer.from('reference,STATUS\nPB1-00003,paid\n\n'))).toEqual([
      { fileLine: 2, batchNo: null, lineNo: null, reference: 'PB1-00003', status: 'paid', reason: null },
    ]);
  });

  it('names the line and column of the first problem', () => {
    expect(problem(Buffer.from(''))).toMatchObject({ field: 'file' });
    expect(problem(Buffer.from('行号,结果\n'))).toMatchObject({ field: 'file' });
    expect(problem(Buffer.from('行号,原因\n1,x\n'))).toMatchObject({ field: 'file.line.1.结果' });
    expect(problem(Buffer.from('结果,原因\npaid,\n'))).toMatchObject({ field: 'file.line.1.行号' });
    expect(problem(Buffer.from('行号,结果\n1,paid\n0,paid\n'))).toMatchObject({ field: 'file.line.3.行号' });
    expect(problem(Buffer.from('行号,参考号,结果\n1,,paid\n,,paid\n'))).toMatchObject({ field: 'file.line.3.行号' });
    expect(problem(Buffer.from('行号,结果\n1,ok\n'))).toEqual({
      field: 'file.line.2.结果',
      en: 'line 2, column 结果 (status): expected paid or failed, got "ok"',
    });
    expect(problem(Buffer.from('行号,结果,原因\n1,failed, \n'))).toMatchObject({ field: 'file.line.2.原因' });
    // A quoted reason spanning lines counts its lines; an unclosed quote names where it opened.
    expect(problem(Buffer.from('行号,结果,原因\n1,failed,"a\nb"\n2,bad,\n'))).toMatchObject({
      field: 'file.line.4.结果',
    });
    expect(problem(Buffer.from('行号,结果\n1,paid\n"2,paid\n'))).toMatchObject({ field: 'file.line.3' });
  });
});
