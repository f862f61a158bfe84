import { describe, expect, it } from 'vitest';
import { safeRedirect } from './redirect.ts';

describe('safeRedirect', () => {
  it('keeps paths of this app, query included', () => {
    expect(safeRedirect('/orgs')).toBe('/orgs');
    expect(safeRedirect('/audit?page=2')).toBe('/audit?page=2');
    expect(safeRedirect(['/system/users', '/x'])).toBe('/system/users');
  });

  it('refuses anything that would leave the console', () => {
    for (const bad of ['https://evil.example/', '//evil.example', '/\\evil.example', 'orgs', '', null, undefined, 3]) {
      expect(safeRedirect(bad)).toBeUndefined();
    }
  });
});
