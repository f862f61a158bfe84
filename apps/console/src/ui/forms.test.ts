import { ApiError } from '@zhgh/web';
import { afterEach, describe, expect, it } from 'vitest';
import { setLocale } from '../i18n/index.ts';
import { bannerOf, useFormError } from './forms.ts';

const refusal = (fields: { field: string; zh: string; en: string }[]) =>
  new ApiError(409, {
    error: {
      code: 'ORG_HAS_OPEN_CASES',
      message: '该组织还有待审核或公示中的申请，请先办结',
      messages: {
        'zh-CN': '该组织还有待审核或公示中的申请，请先办结',
        en: 'The organization still has applications to decide',
      },
      fields: fields.map((f) => ({ field: f.field, rule: 'invalid', message: { 'zh-CN': f.zh, en: f.en } })),
    },
  });

describe('the banner of a failed form', () => {
  afterEach(() => setLocale('zh-CN'));

  it('shows the field message of what the form has no field for, with its count, in place of the general one', () => {
    const err = refusal([{ field: 'params.id', zh: '该组织还有 3 件申请待审核', en: '3 application(s) under review' }]);
    expect(bannerOf(err, 'body.')).toBe('该组织还有 3 件申请待审核');
    setLocale('en');
    expect(bannerOf(err, 'body.')).toBe('3 application(s) under review');
  });

  it('keeps the general message when every field message sits under a form field', () => {
    const err = refusal([{ field: 'body.reason', zh: '请填写理由', en: 'a reason is required' }]);
    expect(bannerOf(err, 'body.')).toBe('该组织还有待审核或公示中的申请，请先办结');
    const form = useFormError<'reason'>();
    form.set(err);
    expect(form.fields.value.reason).toBe('请填写理由');
    expect(form.message.value).toBe('该组织还有待审核或公示中的申请，请先办结');
  });

  it('joins several such messages', () => {
    const err = refusal([
      { field: 'params.id', zh: '甲', en: 'a' },
      { field: 'query.x', zh: '乙', en: 'b' },
    ]);
    expect(bannerOf(err, 'body.')).toBe('甲；乙');
  });
});
