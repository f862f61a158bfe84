import { type Kysely, sql } from 'kysely';
import { inScope, type Scope } from '../access/scope.ts';
import type {
  CalendarDayTable,
  DB,
  WorkflowAttachmentTable,
  WorkflowHistoryTable,
  WorkflowInstanceTable,
  WorkflowNoticeTable,
  WorkflowObjectionTable,
} from '../../db/schema.ts';

type Q = Kysely<DB>;

/** A notice on the board, with the kind of application it belongs to. */
export type BoardRow = WorkflowNoticeTable & { definition_key: string; definition_version: number };

export interface QueueFilter {
  definitionKey?: string | undefined;
  overdueAt?: string | undefined;
  kinds: readonly string[];
}

export const workflowRepository = {
  async findInstance(db: Q, id: string): Promise<WorkflowInstanceTable | undefined> {
    return db.selectFrom('workflow_instance').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async findInstances(db: Q, ids: readonly string[]): Promise<WorkflowInstanceTable[]> {
    if (ids.length === 0) return [];
    return db
      .selectFrom('workflow_instance')
      .selectAll()
      .where('id', 'in', [...ids])
      .execute();
  },

  /**
   * Take the instance's row lock until the transaction ends and draw the number of its next
   * history row, in one statement (an UPDATE … RETURNING: both engines have it, unlike
   * SELECT … FOR UPDATE). Every engine write on an instance starts here, so what it reads is
   * the last committed step and history numbers never collide. Returns the row as it is now,
   * `history_seq` being the number drawn; undefined for a missing id.
   */
  async lockForStep(db: Q, id: string): Promise<WorkflowInstanceTable | undefined> {
    return db
      .updateTable('workflow_instance')
      .set((eb) => ({ history_seq: eb('history_seq', '+', 1) }))
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
  },

  /** lockForStep for many instances in one statement (batch steps). */
  async lockManyForStep(db: Q, ids: readonly string[]): Promise<WorkflowInstanceTable[]> {
    if (ids.length === 0) return [];
    return db
      .updateTable('workflow_instance')
      .set((eb) => ({ history_seq: eb('history_seq', '+', 1) }))
      .where('id', 'in', [...ids])
      .returningAll()
      .execute();
  },

  /** Move many locked instances into the same state at once; each version goes up by one. */
  async updateMany(db: Q, ids: readonly string[], set: Partial<WorkflowInstanceTable>): Promise<number> {
    const r = await db
      .updateTable('workflow_instance')
      .set((eb) => ({ ...set, version: eb('version', '+', 1) }))
      .where('id', 'in', [...ids])
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  },

  async insertInstance(db: Q, row: WorkflowInstanceTable): Promise<void> {
    await db.insertInto('workflow_instance').values(row).execute();
  },

  /**
   * Move an instance on, only if nobody moved it since `version` was read: the conditional
   * update is what lets exactly one of two concurrent steps win. Returns whether it did.
   */
  async updateInstanceIfVersion(
    db: Q,
    id: string,
    version: number,
    set: Partial<WorkflowInstanceTable>,
  ): Promise<boolean> {
    const r = await db
      .updateTable('workflow_instance')
      .set({ ...set, version: version + 1 })
      .where('id', '=', id)
      .where('version', '=', version)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  /**
   * Mark today's reminder unless one was sent today already, locking the row and drawing the
   * reminder's history number; null when another scan got there first.
   */
  async markReminded(db: Q, id: string, day: string): Promise<number | null> {
    const r = await db
      .updateTable('workflow_instance')
      .set((eb) => ({ reminded_on: day, history_seq: eb('history_seq', '+', 1) }))
      .where('id', '=', id)
      .where((eb) => eb.or([eb('reminded_on', 'is', null), eb('reminded_on', '<', day)]))
      .returning('history_seq')
      .executeTakeFirst();
    return r?.history_seq ?? null;
  },

  /** Open instances due before `at` and not reminded on `day`. */
  async findOverdue(db: Q, at: string, day: string, limit: number): Promise<WorkflowInstanceTable[]> {
    return db
      .selectFrom('workflow_instance')
      .selectAll()
      .where('due_at', '<', at)
      .where('closed_at', 'is', null)
      .where((eb) => eb.or([eb('reminded_on', 'is', null), eb('reminded_on', '<', day)]))
      .orderBy('due_at')
      .limit(limit)
      .execute();
  },

  async queue(
    db: Q,
    scope: Scope,
    filter: QueueFilter,
    page: { limit: number; offset: number },
  ): Promise<{ rows: WorkflowInstanceTable[]; total: number }> {
    let q = db
      .selectFrom('workflow_instance')
      .where((eb) => inScope(eb, 'workflow_instance.org_path', scope))
      .where('state_kind', 'in', [...filter.kinds]);
    if (filter.definitionKey) q = q.where('definition_key', '=', filter.definitionKey);
    if (filter.overdueAt) q = q.where('due_at', '<', filter.overdueAt);
    const rows = await q
      .selectAll()
      // Soonest due first; steps without a deadline after them, oldest first.
      .orderBy(sql`case when due_at is null then 1 else 0 end`)
      .orderBy('due_at')
      .orderBy('created_at')
      .orderBy('id')
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    const count = await q.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
    return { rows, total: Number(count.n) };
  },

  async insertHistory(db: Q, row: WorkflowHistoryTable): Promise<void> {
    await db.insertInto('workflow_history').values(row).execute();
  },

  async insertHistoryMany(db: Q, rows: readonly WorkflowHistoryTable[]): Promise<void> {
    if (rows.length > 0)
      await db
        .insertInto('workflow_history')
        .values([...rows])
        .execute();
  },

  async history(db: Q, instanceId: string): Promise<WorkflowHistoryTable[]> {
    return db.selectFrom('workflow_history').selectAll().where('instance_id', '=', instanceId).orderBy('seq').execute();
  },

  async insertAttachment(db: Q, row: WorkflowAttachmentTable): Promise<void> {
    await db.insertInto('workflow_attachment').values(row).execute();
  },

  async attachments(db: Q, instanceId: string): Promise<WorkflowAttachmentTable[]> {
    return db
      .selectFrom('workflow_attachment')
      .selectAll()
      .where('instance_id', '=', instanceId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  },

  async findAttachment(db: Q, id: string): Promise<WorkflowAttachmentTable | undefined> {
    return db.selectFrom('workflow_attachment').selectAll().where('id', '=', id).executeTakeFirst();
  },

  /** Document kinds attached, per instance, for many instances at once. */
  async attachedKindsMany(db: Q, instanceIds: readonly string[]): Promise<Map<string, Set<string>>> {
    const out = new Map<string, Set<string>>();
    if (instanceIds.length === 0) return out;
    const rows = await db
      .selectFrom('workflow_attachment')
      .select(['instance_id', 'kind'])
      .distinct()
      .where('instance_id', 'in', [...instanceIds])
      .execute();
    for (const r of rows) {
      const kinds = out.get(r.instance_id) ?? new Set<string>();
      kinds.add(r.kind);
      out.set(r.instance_id, kinds);
    }
    return out;
  },

  async attachedKinds(db: Q, instanceId: string): Promise<Set<string>> {
    const rows = await db
      .selectFrom('workflow_attachment')
      .select('kind')
      .distinct()
      .where('instance_id', '=', instanceId)
      .execute();
    return new Set(rows.map((r) => r.kind));
  },

  async insertNotice(db: Q, row: WorkflowNoticeTable): Promise<void> {
    await db.insertInto('workflow_notice').values(row).execute();
  },

  async findNotice(db: Q, id: string): Promise<WorkflowNoticeTable | undefined> {
    return db.selectFrom('workflow_notice').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async openNoticeOf(db: Q, instanceId: string): Promise<WorkflowNoticeTable | undefined> {
    return db
      .selectFrom('workflow_notice')
      .selectAll()
      .where('instance_id', '=', instanceId)
      .where('status', '=', 'open')
      .executeTakeFirst();
  },

  async noticesOf(db: Q, instanceId: string): Promise<WorkflowNoticeTable[]> {
    return db
      .selectFrom('workflow_notice')
      .selectAll()
      .where('instance_id', '=', instanceId)
      .orderBy('created_at')
      .execute();
  },

  async closeNotice(db: Q, id: string, status: 'passed' | 'withdrawn', at: string): Promise<void> {
    await db.updateTable('workflow_notice').set({ status, closed_at: at }).where('id', '=', id).execute();
  },

  /** Notices on the board: open, still within their period, optionally under one subtree. */
  async board(
    db: Q,
    at: string,
    underPath: string | null,
    page: { limit: number; offset: number },
  ): Promise<{ rows: BoardRow[]; total: number }> {
    let q = db
      .selectFrom('workflow_notice')
      .innerJoin('workflow_instance', 'workflow_instance.id', 'workflow_notice.instance_id')
      .where('workflow_notice.status', '=', 'open')
      .where('workflow_notice.ends_at', '>', at);
    if (underPath) {
      q = q.where((eb) => inScope(eb, 'workflow_notice.org_path', { permission: 'board', paths: [underPath] }));
    }
    const rows = await q
      .selectAll('workflow_notice')
      .select(['workflow_instance.definition_key', 'workflow_instance.definition_version'])
      .orderBy('workflow_notice.starts_at', 'desc')
      .orderBy('workflow_notice.id')
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    const count = await q.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
    return { rows, total: Number(count.n) };
  },

  async insertObjection(db: Q, row: WorkflowObjectionTable): Promise<void> {
    await db.insertInto('workflow_objection').values(row).execute();
  },

  async findObjection(db: Q, id: string): Promise<WorkflowObjectionTable | undefined> {
    return db.selectFrom('workflow_objection').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async objectionsOf(db: Q, instanceId: string): Promise<WorkflowObjectionTable[]> {
    return db
      .selectFrom('workflow_objection')
      .selectAll()
      .where('instance_id', '=', instanceId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  },

  /** Open instances filed at the organization itself (not below it), oldest first. */
  async openAtOrg(db: Q, org: { id: string; path: string }): Promise<WorkflowInstanceTable[]> {
    return (
      db
        .selectFrom('workflow_instance')
        .selectAll()
        // The path first: the (org_path, state_kind) index answers it.
        .where('org_path', '=', org.path)
        .where('org_id', '=', org.id)
        .where('closed_at', 'is', null)
        .orderBy('created_at')
        .orderBy('id')
        .execute()
    );
  },

  async countOpenObjections(db: Q, noticeId: string): Promise<number> {
    const r = await db
      .selectFrom('workflow_objection')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('notice_id', '=', noticeId)
      .where('status', '=', 'open')
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },

  /** Decide an open objection; false when it was decided meanwhile. */
  async decideObjection(
    db: Q,
    id: string,
    set: Pick<WorkflowObjectionTable, 'status' | 'decision_reason' | 'decided_by' | 'decided_at'>,
  ): Promise<boolean> {
    const r = await db
      .updateTable('workflow_objection')
      .set(set)
      .where('id', '=', id)
      .where('status', '=', 'open')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  async supersedeOpenObjections(db: Q, noticeId: string, at: string): Promise<number> {
    const r = await db
      .updateTable('workflow_objection')
      .set({ status: 'superseded', decided_at: at })
      .where('notice_id', '=', noticeId)
      .where('status', '=', 'open')
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  },

  async calendarDays(db: Q, from: string, to: string): Promise<CalendarDayTable[]> {
    return db.selectFrom('calendar_day').selectAll().where('day', '>=', from).where('day', '<=', to).execute();
  },

  async upsertCalendarDay(db: Q, row: CalendarDayTable): Promise<CalendarDayTable | undefined> {
    const before = await db.selectFrom('calendar_day').selectAll().where('day', '=', row.day).executeTakeFirst();
    if (before) await db.updateTable('calendar_day').set(row).where('day', '=', row.day).execute();
    else await db.insertInto('calendar_day').values(row).execute();
    return before;
  },
};

/** Queries the engine makes outside its own tables. */
export const workflowLookups = {
  async findOrg(db: Q, id: string) {
    return db
      .selectFrom('organization')
      .select(['id', 'parent_id', 'path', 'province_root', 'status'])
      .where('id', '=', id)
      .executeTakeFirst();
  },

  /**
   * Cadres to remind of an overdue step: live grants at the handling union itself whose role
   * holds one of the step's permissions, with a phone on record.
   */
  async reminderRecipients(db: Q, orgId: string, permissions: readonly string[], at: string) {
    if (permissions.length === 0) return [];
    return db
      .selectFrom('role_grant as g')
      .innerJoin('role_permission as rp', 'rp.role_id', 'g.role_id')
      .innerJoin('user_account as u', 'u.id', 'g.user_id')
      .select(['u.id', 'u.phone_cipher'])
      .distinct()
      .where('g.org_id', '=', orgId)
      .where('g.revoked_at', 'is', null)
      .where('g.valid_from', '<=', at)
      .where((eb) => eb.or([eb('g.valid_to', 'is', null), eb('g.valid_to', '>', at)]))
      .where('rp.permission', 'in', [...permissions])
      .where('u.status', '=', 'active')
      .where('u.phone_cipher', 'is not', null)
      .orderBy('u.id')
      .execute();
  },
};
