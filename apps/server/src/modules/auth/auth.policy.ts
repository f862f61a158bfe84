import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FieldError } from '@zhgh/contracts';
import { fieldError } from '../../core/app-error.ts';

/** Minimum length for every account kind (OWASP ASVS 2.1.1). */
export const PASSWORD_MIN_LENGTH = 8;
/** Cadres and merchants: at least this many of the four character classes (等保). */
export const PASSWORD_MIN_CLASSES = 3;

let common: Set<string> | null = null;
function commonPasswords(): Set<string> {
  if (!common) {
    const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'common-passwords.txt');
    common = new Set(
      fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l && !l.startsWith('#')),
    );
  }
  return common;
}

export function characterClasses(pw: string): number {
  return [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(pw)).length;
}

/**
 * Password rules. Members get no composition rules (OWASP: they push people to predictable
 * patterns), only length and the common-password list. Cadres and merchants, who hold
 * administrative power or shop money, follow the 等保 composition rule as well.
 */
export function passwordProblems(
  pw: string,
  kind: 'member' | 'cadre' | 'merchant',
  username: string | null,
  field = 'body.newPassword',
): FieldError[] {
  const problems: FieldError[] = [];
  if ([...pw].length < PASSWORD_MIN_LENGTH) {
    problems.push(
      fieldError(field, 'too_small', {
        'zh-CN': `密码至少 ${PASSWORD_MIN_LENGTH} 位`,
        en: `The password needs at least ${PASSWORD_MIN_LENGTH} characters`,
      }),
    );
  }
  if (commonPasswords().has(pw.toLowerCase())) {
    problems.push(
      fieldError(field, 'invalid', {
        'zh-CN': '这是常见密码，很容易被猜中，请换一个',
        en: 'This is a common password that is easy to guess; choose another',
      }),
    );
  }
  if (kind !== 'member') {
    if (characterClasses(pw) < PASSWORD_MIN_CLASSES) {
      problems.push(
        fieldError(field, 'format', {
          'zh-CN': '密码须包含大写字母、小写字母、数字、符号中的至少三类',
          en: 'Use at least three of: upper-case letters, lower-case letters, digits, symbols',
        }),
      );
    }
    if (username && username.length >= 3 && pw.toLowerCase().includes(username.toLowerCase())) {
      problems.push(
        fieldError(field, 'invalid', {
          'zh-CN': '密码不能包含用户名',
          en: 'The password must not contain the user name',
        }),
      );
    }
  }
  return problems;
}

/** True when a cadre's password is older than the configured maximum age. */
export function passwordExpired(
  kind: 'member' | 'cadre' | 'merchant',
  changedAt: string | null,
  maxAgeDays: number,
  now = Date.now(),
): boolean {
  if (kind !== 'cadre' || maxAgeDays === 0 || !changedAt) return false;
  return now - Date.parse(changedAt) > maxAgeDays * 86_400_000;
}
