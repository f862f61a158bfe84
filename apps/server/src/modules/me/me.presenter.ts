import type { NotificationOutput, RealNameOutput } from '@zhgh/contracts';
import { maskIdNumber, maskName } from '../../core/crypto/mask.ts';
import type { NotificationTable } from '../../db/schema.ts';

export function presentNotification(n: NotificationTable): NotificationOutput {
  return {
    id: n.id,
    kind: n.kind,
    title: { 'zh-CN': n.title_zh, en: n.title_en },
    body: { 'zh-CN': n.body_zh, en: n.body_en },
    link: n.link_type && n.link_id ? { type: n.link_type, id: n.link_id } : null,
    createdAt: n.created_at,
    readAt: n.read_at,
  };
}

/** The record as its owner sees it: masked like everywhere else, since a session can be borrowed. */
export function presentRealName(
  person: { name: string; idNumber: string } | null,
  memberships: readonly {
    member_number: string | null;
    org_id: string;
    org_name: string;
    status: string;
    started_on: string;
  }[],
): RealNameOutput {
  return {
    bound: person !== null,
    name: person ? maskName(person.name) : null,
    idNumber: person ? maskIdNumber(person.idNumber) : null,
    memberships: memberships.map((m) => ({
      memberNumber: m.member_number,
      orgId: m.org_id,
      orgName: m.org_name,
      status: m.status,
      startedOn: m.started_on,
    })),
  };
}
