import type { auditEventOutput } from '@zhgh/contracts';
import type { z } from 'zod';
import type { AuditEventTable } from '../../db/schema.ts';

export function presentAuditEvent(e: AuditEventTable): z.infer<typeof auditEventOutput> {
  return {
    seq: e.seq,
    id: e.id,
    occurredAt: e.occurred_at,
    actorId: e.actor_id,
    actorKind: e.actor_kind,
    action: e.action,
    subjectType: e.subject_type,
    subjectId: e.subject_id,
    orgPath: e.org_path,
    changes: e.changes ? (JSON.parse(e.changes) as z.infer<typeof auditEventOutput>['changes']) : null,
  };
}
