import { describe, expect, it } from 'vitest';
import { deviceLabel, formatDateTime, safeRedirect } from './format.ts';

describe('format helpers', () => {
  it('keeps redirects inside the app', () => {
    expect(safeRedirect('/me/sessions')).toBe('/me/sessions');
    expect(safeRedirect(['/card'])).toBe('/card');
    expect(safeRedirect('//evil.example')).toBeNull();
    expect(safeRedirect('https://evil.example')).toBeNull();
    expect(safeRedirect(undefined)).toBeNull();
  });

  it('names a browser and system from the user agent, or nothing', () => {
    const wechat =
      'Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 MicroMessenger/8.0';
    expect(deviceLabel(wechat)).toContain('WeChat');
    expect(deviceLabel(null)).toBeNull();
  });

  it('formats times in the UI locale and leaves garbage as it came', () => {
    expect(formatDateTime('2026-11-23T08:00:00Z', 'zh-CN')).toMatch(/2026/);
    expect(formatDateTime('not a date', 'en')).toBe('not a date');
  });
});
