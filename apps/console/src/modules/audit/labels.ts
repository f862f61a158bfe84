import { locale } from '../../i18n/index.ts';
import en from '../../i18n/en.ts';
import zhCN from '../../i18n/zh-CN.ts';

// Action codes are `resource.verb`: the one dot becomes an underscore in the message keys.
const tables = { 'zh-CN': zhCN.audit, en: en.audit };

function lookup(table: Record<string, string>, code: string): string | undefined {
  return table[code.replace('.', '_')];
}

/** A readable name for an action code; the code itself for actions added after this table. */
export function actionLabel(action: string): string {
  return lookup(tables[locale()].actions, action) ?? action;
}

export function subjectLabel(subjectType: string): string {
  return lookup(tables[locale()].subjects, subjectType) ?? subjectType;
}

export function actorKindLabel(kind: string): string {
  return lookup(tables[locale()].actorKinds, kind) ?? kind;
}

/** Every known action code, for the filter's suggestions. */
export const KNOWN_ACTIONS: readonly string[] = Object.keys(zhCN.audit.actions).map((k) => k.replace('_', '.'));
