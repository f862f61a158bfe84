import type { ErrorCode } from '@zhgh/contracts';
import type { Kysely } from 'kysely';
import { lockShared } from '../../db/dialect.ts';
import type { DB, WorkflowHistoryTable, WorkflowInstanceTable, WorkflowNoticeTable } from '../../db/schema.ts';
import { ORG_TREE_LOCK } from '../../db/org-scoped.ts';
import { covers, requireInScope, scopeFor, type Scope } from '../access/scope.ts';
import { type RequestContext, SYSTEM_ACTOR } from '../actor.ts';
import { AppError, fieldError } from '../app-error.ts';
import { localDate } from '../calendar.ts';
import type { CoreDeps } from '../deps.ts';
import { newId } from '../ids.ts';
import { createOutbound, type Outbound } from '../notify/inbox.ts';
import type { QueuedSms } from '../notify/sms-queue.ts';
import type { UnitOfWork, WriteScope } from '../unit-of-work.ts';
import { addDays, calendarWindowDays, dueAfterWorkingDays, type WorkingCalendar } from './deadlines.ts';
import {
  closesIn,
  type EffectContext,
  type EffectOutcome,
  type InstanceView,
  type Label,
  type OrgStop,
  type StateKind,
  type TransitionDef,
  transitionsFrom,
  UNION_KINDS,
  type WorkflowDefinition,
  type WorkflowRegistry,
} from './definition.ts';
import { workflowLookups as lookups, workflowRepository as repo } from './workflow.repository.ts';
import { parentPath } from '../org-path.ts';

/**
 * The workflow engine (decision 0013): one engine for every application type. Every write is
 * one unit of work that appends an immutable history row and an audit event; a transition
 * is a conditional update on the instance's version, so of two concurrent steps one wins and
 * the other answers 409.
 */

type Q = Kysely<DB>;
type Data = Record<string, unknown>;

/** The permission that lets a cadre read every instance in their subtree. */
export const WORKFLOW_READ = 'workflow.read';
const OVERDUE_BATCH = 500;

export interface StartInput {
  definitionKey: string;
  /** The handling union the module routed the application to. */
  orgId: string;
  subjectId?: string | null;
  applicantUserId?: string | null;
  applicantPersonId?: string | null;
  data: Data;
  comment?: string | null;
  /**
   * For definitions with `parties`: the path of the party union the module vouches for (the
   * union the person leaves). A cadre whose startPermission scope covers it may start the
   * instance, though the handling union lies outside their scope.
   */
  partyOrgPath?: string | null;
}

export interface ActInput {
  action: string;
  comment?: string | null;
  /** Fields merged into the instance data with the step (e.g. a corrected form on resubmit). */
  data?: Data;
  /** The version the actor saw; a different current version answers 409. */
  expectedVersion?: number;
}

export interface AttachInput {
  id?: string;
  kind: string;
  fileName: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  storageKey: string;
}

export interface InstanceDetail {
  instance: InstanceView;
  definition: WorkflowDefinition;
  history: Awaited<ReturnType<typeof repo.history>>;
  attachments: Awaited<ReturnType<typeof repo.attachments>>;
  notices: Awaited<ReturnType<typeof repo.noticesOf>>;
  objections: Awaited<ReturnType<typeof repo.objectionsOf>>;
  /** Actions the asking actor may take now. */
  actions: string[];
  /** Whether the actor is the applicant (their view hides who objected). */
  asApplicant: boolean;
}

/** One instance's answer in a batch step. */
export type BatchResult =
  { id: string; ok: true; state: string } | { id: string; ok: false; code: ErrorCode; status: number };

/** Internal: a reminder batch with nothing left to mark (another scan got there first). */
class NothingToRemind extends Error {}

export function toView(row: WorkflowInstanceTable): InstanceView {
  return {
    id: row.id,
    definitionKey: row.definition_key,
    definitionVersion: row.definition_version,
    subjectType: row.subject_type,
    subjectId: row.subject_id,
    applicantUserId: row.applicant_user_id,
    applicantPersonId: row.applicant_person_id,
    orgId: row.org_id,
    orgPath: row.org_path,
    state: row.state,
    stateKind: row.state_kind as StateKind,
    data: JSON.parse(row.data) as Data,
    version: row.version,
    dueAt: row.due_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    closedAt: row.closed_at,
  };
}

const isSystem = (ctx: RequestContext) => ctx.actor.kind === 'system';

export function createWorkflowEngine(deps: CoreDeps, registry: WorkflowRegistry) {
  const { db, write, dialect } = deps;

  function definitionOf(row: Pick<WorkflowInstanceTable, 'definition_key' | 'definition_version'>) {
    const def = registry.get(row.definition_key, row.definition_version);
    // An instance whose definition is gone is a deployment error, not the user's.
    if (!def) throw new Error(`workflow definition ${row.definition_key}@${row.definition_version} is not registered`);
    return def;
  }

  /** Every permission a step of the definition names: holding one at the union lets you see it. */
  function actingPermissions(def: WorkflowDefinition): string[] {
    const set = new Set<string>([WORKFLOW_READ]);
    if (def.startPermission) set.add(def.startPermission);
    for (const t of def.transitions) if (t.by !== 'applicant') set.add(t.by.permission);
    for (const s of Object.values(def.states)) if (s.notice) set.add(s.notice.reviewPermission);
    return [...set];
  }

  const isApplicant = (ctx: RequestContext, row: WorkflowInstanceTable) =>
    ctx.actor.kind === 'user' && row.applicant_user_id !== null && row.applicant_user_id === ctx.actor.id;

  /** The applicant, the system, or a cadre whose scope of a permission of the definition covers it. */
  function canSee(ctx: RequestContext, row: WorkflowInstanceTable, def: WorkflowDefinition): boolean {
    if (isSystem(ctx) || isApplicant(ctx, row)) return true;
    return actingPermissions(def).some((p) => covers(scopeFor(ctx.principal, p), row.org_path));
  }

  /** A cadre of another union party to the instance (the union a transfer leaves): sees, never steps. */
  async function seesAsParty(ctx: RequestContext, row: WorkflowInstanceTable, def: WorkflowDefinition, q: Q) {
    if (!def.parties || !ctx.principal) return false;
    const paths = await def.parties(q, toView(row));
    const scopes = actingPermissions(def).map((p) => scopeFor(ctx.principal, p));
    return paths.some((path) => scopes.some((scope) => covers(scope, path)));
  }

  /** Outside what the actor may see, an instance answers exactly like a missing one. */
  async function loadVisible(ctx: RequestContext, id: string, q: Q = db) {
    const row = await repo.findInstance(q, id);
    if (!row) throw AppError.notFound();
    const def = definitionOf(row);
    if (!canSee(ctx, row, def) && !(await seesAsParty(ctx, row, def, q))) {
      throw AppError.notFound('workflow instance outside scope');
    }
    return { row, def };
  }

  /**
   * Whether the actor may take `t` at the instance's handling union. Nobody decides their own
   * application: a cadre who applied (for a subsidy, say) takes only the applicant's steps.
   */
  function mayTake(ctx: RequestContext, row: WorkflowInstanceTable, t: TransitionDef<Data>): boolean {
    if (t.by === 'applicant') return isApplicant(ctx, row);
    if (isSystem(ctx)) return true;
    if (isApplicant(ctx, row)) return false;
    const scope = scopeFor(ctx.principal, t.by.permission);
    if (t.by.orgLevel === 'handling') return covers(scope, row.org_path);
    const parent = parentPath(row.org_path);
    return parent !== null && covers(scope, parent);
  }

  function actionsFor(ctx: RequestContext, row: WorkflowInstanceTable, def: WorkflowDefinition): string[] {
    return transitionsFrom(def, row.state)
      .filter((t) => mayTake(ctx, row, t))
      .map((t) => t.action);
  }

  /** The holidays around `from`; a batch passes `cache` so it reads them once per day and deadline. */
  async function workingCalendar(
    q: Q,
    from: Date,
    workingDays: number,
    cache?: Map<string, WorkingCalendar>,
  ): Promise<WorkingCalendar> {
    const day = localDate(from);
    const key = `${day}:${workingDays}`;
    const known = cache?.get(key);
    if (known) return known;
    const rows = await repo.calendarDays(q, day, addDays(day, calendarWindowDays(workingDays)));
    const calendar = {
      holidays: new Set(rows.filter((r) => r.working === 0).map((r) => r.day)),
      workdays: new Set(rows.filter((r) => r.working === 1).map((r) => r.day)),
    };
    cache?.set(key, calendar);
    return calendar;
  }

  /** The columns that change when an instance enters `state`. */
  async function entering(
    q: Q,
    def: WorkflowDefinition,
    state: string,
    now: Date,
    calendars?: Map<string, WorkingCalendar>,
  ) {
    const s = def.states[state]!;
    const due = s.deadlineWorkingDays
      ? dueAfterWorkingDays(now, s.deadlineWorkingDays, await workingCalendar(q, now, s.deadlineWorkingDays, calendars))
      : null;
    const ends = closesIn(def, state);
    return {
      state,
      state_kind: s.kind,
      due_at: due ? due.toISOString() : null,
      reminded_on: null,
      closed_at: ends ? now.toISOString() : null,
    };
  }

  async function appendHistory(
    s: WriteScope,
    ctx: RequestContext,
    row: Pick<WorkflowInstanceTable, 'id' | 'org_path' | 'province_root'>,
    seq: number,
    step: {
      action: string;
      from: string | null;
      to: string | null;
      comment?: string | null;
      detail?: Record<string, unknown>;
      at: string;
    },
  ): Promise<WorkflowHistoryTable> {
    const entry: WorkflowHistoryTable = {
      id: newId(),
      instance_id: row.id,
      seq,
      at: step.at,
      actor_id: ctx.actor.id,
      actor_kind: ctx.actor.kind === 'user' ? ctx.actor.userKind : ctx.actor.kind,
      action: step.action,
      from_state: step.from,
      to_state: step.to,
      comment: step.comment ?? null,
      detail: step.detail ? JSON.stringify(step.detail) : null,
      org_path: row.org_path,
      province_root: row.province_root,
    };
    await repo.insertHistory(s.trx, entry);
    return entry;
  }

  /** Entering a notice state publishes its notice on the board. */
  async function publishNotice(s: WriteScope, def: WorkflowDefinition, row: WorkflowInstanceTable, now: Date) {
    const notice = def.states[row.state]!.notice!;
    const { subjectName, summary, days: own } = notice.publish(toView(row));
    const days = own ?? notice.days;
    // A module's period is checked like a definition's, when it is used.
    if (!Number.isSafeInteger(days) || days < 1 || days > 365) {
      throw new Error(`notice period of ${def.key} instance ${row.id} is ${days} days`);
    }
    const n: WorkflowNoticeTable = {
      id: newId(),
      instance_id: row.id,
      state: row.state,
      subject_name: subjectName,
      summary,
      starts_at: now.toISOString(),
      ends_at: new Date(now.getTime() + days * 86_400_000).toISOString(),
      status: 'open',
      org_id: row.org_id,
      org_path: row.org_path,
      province_root: row.province_root,
      created_at: now.toISOString(),
      closed_at: null,
    };
    await repo.insertNotice(s.trx, n);
    return n;
  }

  /**
   * The applicant hears of every step of their application: in the inbox, written with the
   * step, and by SMS after its commit. Instances started for nobody (a union's own) tell no one.
   */
  function tellApplicant(
    out: Outbound,
    def: WorkflowDefinition,
    row: Pick<WorkflowInstanceTable, 'id' | 'applicant_user_id' | 'state'>,
    step: {
      action: Label | null;
      comment?: string | null;
      noticeEndsAt?: string | null;
      text?: Label;
      /** False: the inbox only (news the applicant need not act on now). */
      sms?: boolean;
    },
  ) {
    if (!row.applicant_user_id) return;
    const state = def.states[row.state]!.label;
    const until = step.noticeEndsAt ? localDate(new Date(step.noticeEndsAt)) : null;
    const zh =
      step.text?.['zh-CN'] ??
      `${step.action ? `${step.action['zh-CN']}，` : ''}当前状态：${state['zh-CN']}${until ? `，公示至 ${until}` : ''}`;
    const en =
      step.text?.en ??
      `${step.action ? `${step.action.en}. ` : ''}Now: ${state.en}${until ? `, on public notice until ${until}` : ''}`;
    const comment = step.comment?.trim();
    out.tell({
      userId: row.applicant_user_id,
      kind: 'workflow.step',
      title: def.label,
      body: { 'zh-CN': comment ? `${zh}。意见：${comment}` : zh, en: comment ? `${en}. Comment: ${comment}` : en },
      link: { type: 'workflow', id: row.id },
      sms: step.sms === false ? null : `【智慧工会】您的“${def.label['zh-CN']}”：${zh}。详情请登录智慧工会查看。`,
    });
  }

  function requireComment(t: TransitionDef<Data>, comment: string | null | undefined, field: string) {
    if (t.requireComment && !comment?.trim()) {
      throw AppError.invalid(field, 'required', {
        'zh-CN': `${field}：请填写理由`,
        en: `${field}: a reason is required for this step`,
      });
    }
  }

  async function requireDocuments(q: Q, def: WorkflowDefinition, row: WorkflowInstanceTable, t: TransitionDef<Data>) {
    const needed = t.requiredDocuments ?? [];
    if (needed.length === 0) return;
    const have = await repo.attachedKinds(q, row.id);
    const missing = needed.filter((k) => !have.has(k));
    if (missing.length === 0) return;
    throw new AppError(
      'WORKFLOW_DOCUMENT_MISSING',
      missing.map((k) => {
        const label = def.documentKinds?.[k];
        return fieldError(`documents.${k}`, 'required', {
          'zh-CN': `请上传：${label?.['zh-CN'] ?? k}`,
          en: `Upload: ${label?.en ?? k}`,
        });
      }),
    );
  }

  /**
   * One step, inside the caller's unit of work: checks that need the transaction, the
   * conditional update, notice bookkeeping, history, audit, and the module's effect.
   */
  async function performTransition(
    s: WriteScope,
    ctx: RequestContext,
    def: WorkflowDefinition,
    seen: WorkflowInstanceTable,
    t: TransitionDef<Data>,
    input: {
      comment: string | null;
      data?: Data;
      viaObjection?: boolean;
      calendars?: Map<string, WorkingCalendar>;
      /** `seen` is the row lockForStep just returned inside this transaction. */
      locked?: boolean;
      /** Where the applicant's message goes; the caller flushes it in the same unit of work. */
      out: Outbound;
    },
  ): Promise<WorkflowInstanceTable> {
    const now = deps.now();
    const at = now.toISOString();
    if (t.handlingOrg === 'parent') await lockShared(s.trx as unknown as Kysely<unknown>, dialect, ORG_TREE_LOCK);
    const cur = input.locked ? seen : await repo.lockForStep(s.trx, seen.id);
    if (!cur || cur.version !== seen.version) throw new AppError('WORKFLOW_INSTANCE_CHANGED');

    await requireDocuments(s.trx, def, cur, t);
    const from = cur.state;
    const fromDef = def.states[from]!;
    const notice = fromDef.kind === 'notice' ? await repo.openNoticeOf(s.trx, cur.id) : undefined;
    if (notice && !input.viaObjection) {
      if (at < notice.ends_at) throw new AppError('WORKFLOW_NOTICE_PERIOD_OPEN');
      if ((await repo.countOpenObjections(s.trx, notice.id)) > 0) throw new AppError('WORKFLOW_OBJECTION_PENDING');
    }

    const data = input.data ? { ...(JSON.parse(cur.data) as Data), ...input.data } : (JSON.parse(cur.data) as Data);
    const candidate = toView({ ...cur, data: JSON.stringify(data) });
    for (const name of t.guards ?? []) {
      const refusal = await def.guards![name]!(candidate, { trx: s.trx, now, action: t.action });
      if (refusal) throw refusal;
    }

    let org = { id: cur.org_id, path: cur.org_path, province_root: cur.province_root };
    if (t.handlingOrg === 'parent') {
      const here = await lookups.findOrg(s.trx, cur.org_id);
      const parent = here?.parent_id ? await lookups.findOrg(s.trx, here.parent_id) : undefined;
      if (!parent) throw new AppError('WORKFLOW_NO_HIGHER_UNION');
      org = { id: parent.id, path: parent.path, province_root: parent.province_root };
    }

    const set = {
      ...(await entering(s.trx, def, t.to, now, input.calendars)),
      data: JSON.stringify(data),
      org_id: org.id,
      org_path: org.path,
      province_root: org.province_root,
      updated_at: at,
    };
    if (!(await repo.updateInstanceIfVersion(s.trx, cur.id, cur.version, set))) {
      throw new AppError('WORKFLOW_INSTANCE_CHANGED');
    }
    const next: WorkflowInstanceTable = { ...cur, ...set, version: cur.version + 1 };

    if (notice) await repo.closeNotice(s.trx, notice.id, input.viaObjection ? 'withdrawn' : 'passed', at);
    const published = def.states[t.to]!.kind === 'notice' ? await publishNotice(s, def, next, now) : null;

    await appendHistory(s, ctx, next, cur.history_seq, {
      action: t.action,
      from,
      to: t.to,
      comment: input.comment,
      at,
      detail: {
        ...(org.id !== cur.org_id ? { handlingOrgFrom: cur.org_id, handlingOrgTo: org.id } : {}),
        ...(published ? { noticeId: published.id, noticeEndsAt: published.ends_at } : {}),
        ...(input.data ? { dataChanged: Object.keys(input.data).sort() } : {}),
      },
    });
    await s.audit({
      action: `workflow.${def.key}.${t.action}`,
      subjectType: 'workflow_instance',
      subjectId: cur.id,
      orgPath: next.org_path,
      changes: [
        { field: 'state', from, to: t.to },
        ...(org.id !== cur.org_id ? [{ field: 'orgId', from: cur.org_id, to: org.id }] : []),
        ...(input.data
          ? Object.keys(input.data).map((field) => ({ field: `data.${field}`, sensitive: true as const }))
          : []),
      ],
    });
    // An effect that says nothing to the applicant returns nothing.
    const outcome = (
      t.effect
        ? await t.effect({
            trx: s.trx,
            ctx,
            instance: toView(next),
            action: t.action,
            from,
            to: t.to,
            comment: input.comment,
            audit: s.audit,
            scope: s,
            now,
          })
        : undefined
    ) as EffectOutcome | undefined;
    tellApplicant(input.out, def, next, {
      action: t.label,
      comment: input.comment,
      noticeEndsAt: published?.ends_at ?? null,
      ...(outcome?.applicantMessage ? { text: outcome.applicantMessage } : {}),
    });
    return next;
  }

  /** The transition `input` asks for, if the actor may take it now; refusals in the engine's order. */
  function prepareStep(
    ctx: RequestContext,
    row: WorkflowInstanceTable,
    def: WorkflowDefinition,
    input: Pick<ActInput, 'action' | 'comment'>,
    /** Already established by loadVisible (which also admits the parties of the instance). */
    visible = canSee(ctx, row, def),
  ): TransitionDef<Data> {
    if (!visible) throw AppError.notFound('workflow instance outside scope');
    const t = transitionsFrom(def, row.state).find((x) => x.action === input.action);
    if (!t) throw new AppError('WORKFLOW_ACTION_UNAVAILABLE', undefined, `${input.action} from ${row.state}`);
    if (!mayTake(ctx, row, t)) throw new AppError('WORKFLOW_ACTION_FORBIDDEN');
    requireComment(t, input.comment, 'body.comment');
    return t;
  }

  /**
   * One chunk of a batch step, all or nothing: one statement locks every instance, then the
   * plain steps (no notice to close, no move to the higher union) are checked row by row in
   * memory and written set-based — one UPDATE per target state and one multi-row history
   * INSERT — with an audit event and the module's effect per instance. Any refusal throws,
   * and the caller retries the chunk one instance at a time.
   */
  async function stepChunk(
    s: WriteScope,
    ctx: RequestContext,
    ids: readonly string[],
    input: Pick<ActInput, 'action' | 'comment'>,
    calendars: Map<string, WorkingCalendar>,
    out: Outbound,
  ): Promise<Map<string, string>> {
    const now = deps.now();
    const at = now.toISOString();
    const comment = input.comment?.trim() || null;
    const rows = await repo.lockManyForStep(s.trx, ids);
    if (rows.length !== ids.length) throw AppError.notFound();
    const steps = rows.map((row) => {
      const def = definitionOf(row);
      return { row, def, t: prepareStep(ctx, row, def, input) };
    });
    const states = new Map<string, string>();
    const plain = steps.filter(({ row, def, t }) => !t.handlingOrg && def.states[row.state]!.kind !== 'notice');
    const plainIds = new Set(plain.map(({ row }) => row.id));
    for (const { row, def, t } of steps) {
      if (plainIds.has(row.id)) continue;
      states.set(
        row.id,
        (await performTransition(s, ctx, def, row, t, { comment, calendars, locked: true, out })).state,
      );
    }

    const needDocuments = plain.filter(({ t }) => (t.requiredDocuments ?? []).length > 0).map(({ row }) => row.id);
    const attached = await repo.attachedKindsMany(s.trx, needDocuments);
    for (const { row, def, t } of plain) {
      const have = attached.get(row.id) ?? new Set<string>();
      if ((t.requiredDocuments ?? []).some((k) => !have.has(k))) throw new AppError('WORKFLOW_DOCUMENT_MISSING');
      for (const name of t.guards ?? []) {
        const refusal = await def.guards![name]!(toView(row), { trx: s.trx, now, action: t.action });
        if (refusal) throw refusal;
      }
    }

    // Same definition, same target state, same moment: the same columns change.
    const groups = new Map<string, typeof plain>();
    for (const step of plain) {
      const key = `${step.def.key}@${step.def.version}→${step.t.to}`;
      groups.set(key, [...(groups.get(key) ?? []), step]);
    }
    for (const group of groups.values()) {
      const { def, t } = group[0]!;
      const set = { ...(await entering(s.trx, def, t.to, now, calendars)), updated_at: at };
      const ids = group.map(({ row }) => row.id);
      if ((await repo.updateMany(s.trx, ids, set)) !== ids.length) throw new AppError('WORKFLOW_INSTANCE_CHANGED');
      const moved = group.map(({ row }) => ({ from: row, next: { ...row, ...set, version: row.version + 1 } }));
      await repo.insertHistoryMany(
        s.trx,
        moved.map(({ from, next }) => ({
          id: newId(),
          instance_id: next.id,
          seq: next.history_seq,
          at,
          actor_id: ctx.actor.id,
          actor_kind: ctx.actor.kind === 'user' ? ctx.actor.userKind : ctx.actor.kind,
          action: t.action,
          from_state: from.state,
          to_state: t.to,
          comment,
          detail: JSON.stringify({ batch: true }),
          org_path: next.org_path,
          province_root: next.province_root,
        })),
      );
      for (const { from, next } of moved) {
        await s.audit({
          action: `workflow.${def.key}.${t.action}`,
          subjectType: 'workflow_instance',
          subjectId: next.id,
          orgPath: next.org_path,
          changes: [{ field: 'state', from: from.state, to: t.to }],
        });
      }
      const contexts: EffectContext<Data>[] = moved.map(({ from, next }) => ({
        trx: s.trx,
        ctx,
        instance: toView(next),
        action: t.action,
        from: from.state,
        to: t.to,
        comment,
        audit: s.audit,
        scope: s,
        now,
      }));
      let outcomes: readonly (EffectOutcome | undefined)[] = [];
      if (t.effectMany) outcomes = await t.effectMany(contexts);
      else if (t.effect) {
        const each: (EffectOutcome | undefined)[] = [];
        for (const e of contexts) each.push((await t.effect(e)) ?? undefined);
        outcomes = each;
      }
      moved.forEach(({ next }, i) => {
        const outcome = outcomes[i];
        tellApplicant(out, def, next, {
          action: t.label,
          comment,
          ...(outcome?.applicantMessage ? { text: outcome.applicantMessage } : {}),
        });
        states.set(next.id, t.to);
      });
    }
    return states;
  }

  /** Take a step. Not visible: 404; not available now: 409; not yours to take: 403. */
  async function act(ctx: RequestContext, instanceId: string, input: ActInput): Promise<InstanceView> {
    const { row, def } = await loadVisible(ctx, instanceId);
    if (input.expectedVersion !== undefined && input.expectedVersion !== row.version) {
      throw new AppError('WORKFLOW_INSTANCE_CHANGED');
    }
    const t = prepareStep(ctx, row, def, input, true);
    const out = createOutbound(deps.smsQueue);
    const next = await write(ctx, async (s) => {
      const moved = await performTransition(s, ctx, def, row, t, {
        comment: input.comment?.trim() || null,
        ...(input.data ? { data: input.data } : {}),
        out,
      });
      await out.flush(s, deps.now());
      return moved;
    });
    return toView(next);
  }

  /**
   * An open instance that stops its union's merger or dissolution: one waiting on the union
   * (its cadres decide it first), or one of a definition with no rule for a stopping union.
   */
  const blocksStop = (row: WorkflowInstanceTable) =>
    UNION_KINDS.includes(row.state_kind as StateKind) || !definitionOf(row).onOrgStopped;

  /** The applicant's message when their application is handed on or closed by a stop. */
  function stopMessage(stop: OrgStop, closed: boolean): Label {
    const { org, successor } = stop;
    if (closed) {
      return {
        'zh-CN': `${org.name}已${stop.reason === 'merged' ? `并入${successor.name}` : '撤销'}，本申请已关闭，如有需要请重新申请`,
        en: `${org.name} has been ${stop.reason === 'merged' ? `merged into ${successor.name}` : 'dissolved'}: this application is closed; apply again if you need to`,
      };
    }
    return stop.reason === 'merged'
      ? {
          'zh-CN': `${org.name}已并入${successor.name}，本申请转由${successor.name}办理`,
          en: `${org.name} has been merged into ${successor.name}, which now handles this application`,
        }
      : {
          'zh-CN': `${org.name}已撤销，本申请转由上级工会${successor.name}办理`,
          en: `${org.name} has been dissolved: the union above it, ${successor.name}, now handles this application`,
        };
  }

  return {
    registry,
    toView,
    actionsFor,

    /** How many open instances at `org` stop its merger or dissolution (see blocksStop). */
    async countStopBlockers(q: Q, org: { id: string; path: string }): Promise<number> {
      return (await repo.openAtOrg(q, org)).filter(blocksStop).length;
    },

    /**
     * Inside the unit of work that merges or dissolves `stop.org`, after countStopBlockers
     * found nothing: each open instance still filed there is handed to the successor or
     * closed, as its definition's rule says, with a history row, an audit event and a message
     * to the applicant; then every definition sets right its own records naming the union.
     */
    async orgStopped(s: WriteScope, ctx: RequestContext, stop: OrgStop): Promise<{ followed: number; closed: number }> {
      const now = deps.now();
      const at = now.toISOString();
      const out = createOutbound(deps.smsQueue);
      const byKey = new Map<string, { followed: InstanceView[]; closed: InstanceView[] }>();
      const action = stop.reason === 'merged' ? 'orgMerged' : 'orgDissolved';
      const here = await repo.openAtOrg(s.trx, stop.org);
      for (const seen of here) {
        // The caller counted them inside this transaction; one here is a caller's bug.
        if (blocksStop(seen)) throw new Error(`workflow instance ${seen.id} stops ${stop.org.id} from stopping`);
      }
      const elsewhere: string[] = [];
      for (const key of registry.keys()) {
        const rule = registry.get(key)!.onOrgStopped;
        if (rule?.standingOn && rule[stop.reason] !== 'follow') elsewhere.push(...(await rule.standingOn(s.trx, stop)));
      }
      const known = new Set(here.map((r) => r.id));
      const standing = (await repo.findInstances(s.trx, [...new Set(elsewhere)])).filter(
        (r) => !known.has(r.id) && r.closed_at === null,
      );
      for (const seen of [...here, ...standing]) {
        const def = definitionOf(seen);
        const outcome = def.onOrgStopped?.[stop.reason];
        const closeIn = outcome === undefined || outcome === 'follow' ? null : outcome.close;
        // One filed elsewhere only closes (its own version's rule may differ): it is not the
        // stopped union's to hand on.
        if (!known.has(seen.id) && closeIn === null) continue;
        const cur = await repo.lockForStep(s.trx, seen.id);
        if (!cur || cur.version !== seen.version) throw new AppError('WORKFLOW_INSTANCE_CHANGED');
        // Closed while on notice (only one filed elsewhere can be): its notice leaves the board.
        if (closeIn && cur.state_kind === 'notice') {
          const notice = await repo.openNoticeOf(s.trx, cur.id);
          if (notice) await repo.closeNotice(s.trx, notice.id, 'withdrawn', at);
        }
        const set = closeIn
          ? { ...(await entering(s.trx, def, closeIn, now)), updated_at: at }
          : {
              org_id: stop.successor.id,
              org_path: stop.successor.path,
              province_root: stop.successor.province_root,
              updated_at: at,
            };
        if (!(await repo.updateInstanceIfVersion(s.trx, cur.id, cur.version, set))) {
          throw new AppError('WORKFLOW_INSTANCE_CHANGED');
        }
        const next: WorkflowInstanceTable = { ...cur, ...set, version: cur.version + 1 };
        await appendHistory(s, ctx, next, cur.history_seq, {
          action,
          from: cur.state,
          to: next.state,
          at,
          detail: closeIn ? { orgId: stop.org.id } : { handlingOrgFrom: stop.org.id, handlingOrgTo: stop.successor.id },
        });
        await s.audit({
          action: `workflow.${def.key}.${action}`,
          subjectType: 'workflow_instance',
          subjectId: cur.id,
          orgPath: next.org_path,
          changes: closeIn
            ? [{ field: 'state', from: cur.state, to: closeIn }]
            : [{ field: 'orgId', from: stop.org.id, to: stop.successor.id }],
        });
        // A refused application waits on nobody until its applicant acts, and a union's may hold
        // years of them: those hear of it in the inbox only; work under way also by SMS.
        tellApplicant(out, def, next, {
          action: null,
          text: stopMessage(stop, closeIn !== null),
          sms: cur.state_kind !== 'rejected',
        });
        const mine = byKey.get(def.key) ?? { followed: [], closed: [] };
        (closeIn ? mine.closed : mine.followed).push(toView(next));
        byKey.set(def.key, mine);
      }
      // Every definition hears of the stop: a record may name the union while its instance is elsewhere.
      for (const key of registry.keys()) {
        const rule = registry.get(key)!.onOrgStopped;
        const mine = byKey.get(key) ?? { followed: [], closed: [] };
        await rule?.records?.({ trx: s.trx, stop, now, ...mine });
      }
      await out.flush(s, now);
      let followed = 0;
      let closed = 0;
      for (const v of byKey.values()) {
        followed += v.followed.length;
        closed += v.closed.length;
      }
      return { followed, closed };
    },

    /** Start an application: by the applicant themselves, or by a union for them (startPermission). */
    async start(ctx: RequestContext, input: StartInput): Promise<InstanceView> {
      const def = registry.get(input.definitionKey);
      if (!def) throw new Error(`workflow definition ${input.definitionKey} is not registered`);
      const org = await lookups.findOrg(db, input.orgId);
      if (!org) throw AppError.notFound();
      const forSelf = ctx.actor.kind === 'user' && input.applicantUserId === ctx.actor.id;
      if (!forSelf && !isSystem(ctx)) {
        const scope: Scope = def.startPermission
          ? scopeFor(ctx.principal, def.startPermission)
          : { permission: 'none', paths: [] };
        // A party union (the union a transfer leaves) may start it too: the module named it.
        if (!(input.partyOrgPath && def.parties && covers(scope, input.partyOrgPath))) requireInScope(scope, org.path);
      }
      if (org.status !== 'active') throw new AppError('ORG_NOT_ACTIVE');
      const out = createOutbound(deps.smsQueue);
      const started = await write(ctx, async (s) => {
        await lockShared(s.trx as unknown as Kysely<unknown>, dialect, ORG_TREE_LOCK);
        // The path as it is now, inside the lock: a move may just have rewritten it.
        const at = (await lookups.findOrg(s.trx, org.id))!;
        const now = deps.now();
        const row: WorkflowInstanceTable = {
          id: newId(),
          definition_key: def.key,
          definition_version: def.version,
          subject_type: def.subjectType,
          subject_id: input.subjectId ?? null,
          applicant_user_id: input.applicantUserId ?? null,
          applicant_person_id: input.applicantPersonId ?? null,
          org_id: at.id,
          org_path: at.path,
          province_root: at.province_root,
          data: JSON.stringify(input.data),
          version: 1,
          history_seq: 1,
          created_by: ctx.actor.id,
          created_at: now.toISOString(),
          updated_at: now.toISOString(),
          ...(await entering(s.trx, def, def.initial, now)),
        };
        await repo.insertInstance(s.trx, row);
        const published = def.states[def.initial]!.kind === 'notice' ? await publishNotice(s, def, row, now) : null;
        await appendHistory(s, ctx, row, 1, {
          action: 'start',
          from: null,
          to: def.initial,
          comment: input.comment ?? null,
          at: row.created_at,
          detail: { definitionVersion: def.version, ...(published ? { noticeId: published.id } : {}) },
        });
        await s.audit({
          action: `workflow.${def.key}.start`,
          subjectType: 'workflow_instance',
          subjectId: row.id,
          orgPath: row.org_path,
          changes: [{ field: 'state', to: def.initial }],
        });
        tellApplicant(out, def, row, {
          action: { 'zh-CN': '申请已提交', en: 'Application submitted' },
          noticeEndsAt: published?.ends_at ?? null,
        });
        await out.flush(s, now);
        return toView(row);
      });
      return started;
    },

    act,

    /**
     * The same step on many instances (一键审核: batch approval of selected rows). Chunks run as
     * one transaction each, so 10,000 approvals cost a few hundred commits, not 10,000. When a
     * chunk meets a refusal (or a concurrent change), it is rolled back and its instances are
     * taken one by one instead, so every instance gets its own answer and one refusal never
     * blocks the others.
     */
    async actMany(
      ctx: RequestContext,
      instanceIds: readonly string[],
      input: Omit<ActInput, 'expectedVersion' | 'data'>,
      options: { chunkSize?: number } = {},
    ): Promise<BatchResult[]> {
      const chunkSize = options.chunkSize ?? 500;
      const results: BatchResult[] = [];
      const calendars = new Map<string, WorkingCalendar>();
      for (let i = 0; i < instanceIds.length; i += chunkSize) {
        const chunk = [...new Set(instanceIds.slice(i, i + chunkSize))];
        const out = createOutbound(deps.smsQueue);
        let states: Map<string, string>;
        try {
          states = await write(ctx, async (s) => {
            const moved = await stepChunk(s, ctx, chunk, input, calendars, out);
            await out.flush(s, deps.now());
            return moved;
          });
        } catch {
          // Whatever refused the chunk (a refusal, a concurrent step, a failing effect) is found
          // again, alone, by the instance it belongs to.
          for (const id of chunk) {
            try {
              results.push({ id, ok: true, state: (await act(ctx, id, input)).state });
            } catch (one) {
              if (!(one instanceof AppError)) throw one;
              results.push({ id, ok: false, code: one.code, status: one.status });
            }
          }
          continue;
        }
        chunk.forEach((id) => results.push({ id, ok: true, state: states.get(id)! }));
      }
      return results;
    },

    async comment(ctx: RequestContext, instanceId: string, text: string): Promise<WorkflowHistoryTable> {
      const { row, def } = await loadVisible(ctx, instanceId);
      const comment = text.trim();
      if (!comment) throw AppError.invalid('body.text', 'required');
      return write(ctx, async (s) => {
        const locked = (await repo.lockForStep(s.trx, row.id))!;
        const entry = await appendHistory(s, ctx, locked, locked.history_seq, {
          action: 'comment',
          from: row.state,
          to: row.state,
          comment,
          at: deps.now().toISOString(),
        });
        await s.audit({
          action: `workflow.${def.key}.comment`,
          subjectType: 'workflow_instance',
          subjectId: row.id,
          orgPath: row.org_path,
        });
        return entry;
      });
    },

    /** Record an attachment whose bytes the caller has stored; the kind must be one the definition declares. */
    async attach(ctx: RequestContext, instanceId: string, input: AttachInput) {
      const { row, def } = await loadVisible(ctx, instanceId);
      if (!def.documentKinds?.[input.kind]) {
        throw new AppError('WORKFLOW_DOCUMENT_KIND', [fieldError('body.kind', 'enum')]);
      }
      if (row.closed_at) throw new AppError('WORKFLOW_ACTION_UNAVAILABLE', undefined, 'attach to a closed instance');
      return write(ctx, async (s) => {
        const locked = (await repo.lockForStep(s.trx, row.id))!;
        const at = deps.now().toISOString();
        const attachment = {
          id: input.id ?? newId(),
          instance_id: row.id,
          kind: input.kind,
          file_name: input.fileName,
          content_type: input.contentType,
          size_bytes: input.sizeBytes,
          sha256: input.sha256,
          storage_key: input.storageKey,
          uploaded_by: ctx.actor.id,
          created_at: at,
        };
        await repo.insertAttachment(s.trx, attachment);
        await appendHistory(s, ctx, locked, locked.history_seq, {
          action: 'attach',
          from: row.state,
          to: row.state,
          at,
          detail: { attachmentId: attachment.id, kind: input.kind, fileName: input.fileName },
        });
        await s.audit({
          action: `workflow.${def.key}.attach`,
          subjectType: 'workflow_instance',
          subjectId: row.id,
          orgPath: row.org_path,
          changes: [{ field: 'attachment', to: { id: attachment.id, kind: input.kind, sha256: input.sha256 } }],
        });
        return attachment;
      });
    },

    /** An attachment of an instance the actor may see. */
    async attachment(ctx: RequestContext, attachmentId: string) {
      const a = await repo.findAttachment(db, attachmentId);
      if (!a) throw AppError.notFound();
      await loadVisible(ctx, a.instance_id);
      return a;
    },

    async get(ctx: RequestContext, instanceId: string): Promise<InstanceDetail> {
      const { row, def } = await loadVisible(ctx, instanceId);
      const [history, attachments, notices, objections] = await Promise.all([
        repo.history(db, row.id),
        repo.attachments(db, row.id),
        repo.noticesOf(db, row.id),
        repo.objectionsOf(db, row.id),
      ]);
      return {
        instance: toView(row),
        definition: def,
        history,
        attachments,
        notices,
        objections,
        actions: actionsFor(ctx, row, def),
        asApplicant: isApplicant(ctx, row) && !canSeeAsCadre(ctx, row, def),
      };
    },

    /**
     * Object to a notice: any signed-in user, with a reason, while the notice is on the board.
     */
    async object(ctx: RequestContext, noticeId: string, reason: string) {
      if (ctx.actor.kind !== 'user') throw new AppError('UNAUTHENTICATED');
      // A public notice answers to the workers and their unions; merchants' accounts do not object.
      if (ctx.actor.userKind === 'merchant') {
        throw new AppError('FORBIDDEN', undefined, 'merchant accounts do not object to notices');
      }
      const objector = ctx.actor.id;
      const text = reason.trim();
      if (!text) throw AppError.invalid('body.reason', 'required');
      const notice = await repo.findNotice(db, noticeId);
      if (!notice) throw AppError.notFound();
      const now = deps.now().toISOString();
      if (notice.status !== 'open' || now >= notice.ends_at) throw new AppError('WORKFLOW_NOTICE_CLOSED');
      const row = (await repo.findInstance(db, notice.instance_id))!;
      const def = definitionOf(row);
      return write(ctx, async (s) => {
        const locked = (await repo.lockForStep(s.trx, row.id))!;
        // Re-read inside the transaction: the notice may have closed since.
        const fresh = await repo.findNotice(s.trx, noticeId);
        if (!fresh || fresh.status !== 'open') throw new AppError('WORKFLOW_NOTICE_CLOSED');
        const objection = {
          id: newId(),
          notice_id: notice.id,
          instance_id: row.id,
          objector_user_id: objector,
          reason: text,
          status: 'open' as const,
          decision_reason: null,
          decided_by: null,
          decided_at: null,
          created_at: now,
        };
        await repo.insertObjection(s.trx, objection);
        await appendHistory(s, ctx, locked, locked.history_seq, {
          action: 'object',
          from: row.state,
          to: row.state,
          comment: text,
          at: now,
          detail: { objectionId: objection.id, noticeId: notice.id },
        });
        await s.audit({
          action: `workflow.${def.key}.object`,
          subjectType: 'workflow_instance',
          subjectId: row.id,
          orgPath: row.org_path,
          changes: [{ field: 'objection', to: objection.id }],
        });
        return objection;
      });
    },

    /**
     * Review an objection with a reason. Dismissed: the notice may pass once its period is
     * over and nothing else is open. Upheld: the definition's onUpheld step is taken at once.
     */
    async reviewObjection(
      ctx: RequestContext,
      objectionId: string,
      input: { decision: 'upheld' | 'dismissed'; reason: string },
    ): Promise<InstanceView> {
      const objection = await repo.findObjection(db, objectionId);
      if (!objection) throw AppError.notFound();
      const { row, def } = await loadVisible(ctx, objection.instance_id);
      const stateDef = def.states[row.state]!;
      if (objection.status !== 'open') throw new AppError('WORKFLOW_OBJECTION_DECIDED');
      if (stateDef.kind !== 'notice' || !stateDef.notice) throw new AppError('WORKFLOW_ACTION_UNAVAILABLE');
      const notice = stateDef.notice;
      const reviewer: TransitionDef<Data> = {
        action: 'reviewObjection',
        from: row.state,
        to: row.state,
        label: { 'zh-CN': '处理异议', en: 'Review objection' },
        by: { permission: notice.reviewPermission, orgLevel: 'handling' },
      };
      // Nor does anyone review their own objection.
      if (!mayTake(ctx, row, reviewer) || objection.objector_user_id === ctx.actor.id) {
        throw new AppError('WORKFLOW_ACTION_FORBIDDEN');
      }
      const reason = input.reason.trim();
      if (!reason) throw AppError.invalid('body.reason', 'required');
      const upheld = transitionsFrom(def, row.state).find((t) => t.action === notice.onUpheld)!;
      const out = createOutbound(deps.smsQueue);
      const next = await write(ctx, async (s) => {
        const locked = (await repo.lockForStep(s.trx, row.id))!;
        const at = deps.now().toISOString();
        const decided = await repo.decideObjection(s.trx, objection.id, {
          status: input.decision,
          decision_reason: reason,
          decided_by: ctx.actor.id,
          decided_at: at,
        });
        if (!decided) throw new AppError('WORKFLOW_OBJECTION_DECIDED');
        await appendHistory(s, ctx, locked, locked.history_seq, {
          action: input.decision === 'upheld' ? 'objectionUpheld' : 'objectionDismissed',
          from: row.state,
          to: row.state,
          comment: reason,
          at,
          detail: { objectionId: objection.id },
        });
        await s.audit({
          action: `workflow.${def.key}.objection.${input.decision}`,
          subjectType: 'workflow_instance',
          subjectId: row.id,
          orgPath: row.org_path,
          changes: [{ field: `objection.${objection.id}`, from: 'open', to: input.decision }],
        });
        if (input.decision === 'dismissed') {
          if (locked.version !== row.version) throw new AppError('WORKFLOW_INSTANCE_CHANGED');
          tellApplicant(out, def, locked, {
            action: null,
            text: {
              'zh-CN': `公示期间收到的一项异议经审查不成立，公示继续，当前状态：${stateDef.label['zh-CN']}`,
              en: `An objection to the public notice was reviewed and dismissed; the notice continues. Now: ${stateDef.label.en}`,
            },
          });
          await out.flush(s, deps.now());
          return locked;
        }
        await repo.supersedeOpenObjections(s.trx, objection.notice_id, at);
        const moved = await performTransition(s, ctx, def, row, upheld, { comment: reason, viaObjection: true, out });
        await out.flush(s, deps.now());
        return moved;
      });
      return toView(next);
    },

    /** Open notices on the board, newest first; optionally those of one union's subtree. */
    async board(underOrgId: string | null, page: { limit: number; offset: number }) {
      let underPath: string | null = null;
      if (underOrgId) {
        const org = await lookups.findOrg(db, underOrgId);
        if (!org) throw AppError.notFound();
        underPath = org.path;
      }
      return repo.board(db, deps.now().toISOString(), underPath, page);
    },

    /** Instances waiting on a union in the actor's workflow.read scope, soonest due first. */
    async queue(
      ctx: RequestContext,
      filter: { orgId?: string | undefined; definitionKey?: string | undefined; overdue?: boolean | undefined },
      page: { limit: number; offset: number },
    ) {
      let scope = scopeFor(ctx.principal, WORKFLOW_READ);
      if (filter.orgId) {
        const org = await lookups.findOrg(db, filter.orgId);
        if (!org) throw AppError.notFound();
        requireInScope(scope, org.path);
        scope = { permission: scope.permission, paths: [org.path] };
      }
      const { rows, total } = await repo.queue(
        db,
        scope,
        {
          kinds: UNION_KINDS,
          definitionKey: filter.definitionKey,
          overdueAt: filter.overdue ? deps.now().toISOString() : undefined,
        },
        page,
      );
      return {
        total,
        rows: rows.map((row) => {
          const def = registry.get(row.definition_key, row.definition_version);
          return { row, def, actions: def ? actionsFor(ctx, row, def) : [] };
        }),
      };
    },

    /**
     * Remind the handling unions of overdue steps, at most once per instance per Beijing day:
     * the instance's `reminded_on` is set by a conditional update, so a second scan the same day
     * (or a concurrent one) finds nothing to do. Each reminder is a history row (the in-app
     * trace, shown in queues) and an SMS, queued in the same transaction, to the cadres at the
     * handling union who hold a permission of the step. Returns the instances reminded.
     */
    async scanOverdue(): Promise<InstanceView[]> {
      const now = deps.now();
      const at = now.toISOString();
      const day = localDate(now);
      const reminded: WorkflowInstanceTable[] = [];
      for (;;) {
        const candidates = await repo.findOverdue(db, at, day, OVERDUE_BATCH);
        if (candidates.length === 0) break;
        let batch: WorkflowInstanceTable[] = [];
        try {
          batch = await write({ actor: SYSTEM_ACTOR }, async (s) => {
            const done: WorkflowInstanceTable[] = [];
            for (const row of candidates) {
              const seq = await repo.markReminded(s.trx, row.id, day);
              if (seq === null) continue;
              await appendHistory(s, { actor: SYSTEM_ACTOR }, row, seq, {
                action: 'remind',
                from: row.state,
                to: row.state,
                at,
                detail: { dueAt: row.due_at },
              });
              await s.audit({
                action: `workflow.${row.definition_key}.remind`,
                subjectType: 'workflow_instance',
                subjectId: row.id,
                orgPath: row.org_path,
                changes: [{ field: 'remindedOn', from: row.reminded_on, to: day }],
              });
              done.push(row);
            }
            if (done.length === 0) throw new NothingToRemind();
            // Queued with the reminders they announce, sent after the commit.
            const texts: QueuedSms[] = [];
            for (const row of done) {
              const def = registry.get(row.definition_key, row.definition_version);
              if (!def) continue;
              const permissions = transitionsFrom(def, row.state).flatMap((t) =>
                t.by === 'applicant' ? [] : [t.by.permission],
              );
              const notice = def.states[row.state]?.notice;
              if (notice) permissions.push(notice.reviewPermission);
              const recipients = await lookups.reminderRecipients(s.trx, row.org_id, [...new Set(permissions)], at);
              for (const r of recipients) {
                texts.push({
                  userId: r.id,
                  text: `【智慧工会】您有一件“${def.label['zh-CN']}”已超过办理期限（${localDate(new Date(row.due_at!))}），请尽快处理。`,
                  purpose: 'workflow.overdue',
                });
              }
            }
            await deps.smsQueue.enqueue(s, texts);
            return done;
          });
        } catch (err) {
          if (!(err instanceof NothingToRemind)) throw err;
        }
        reminded.push(...batch);
        if (candidates.length < OVERDUE_BATCH) break;
      }
      return reminded.map(toView);
    },

    /** Configure holidays and worked weekend days (调休); audited like every write. */
    async setCalendarDays(ctx: RequestContext, days: readonly { day: string; working: boolean; name: string }[]) {
      await write(ctx, async (s) => {
        const at = deps.now().toISOString();
        for (const d of days) {
          if (!/^\d{4}-\d{2}-\d{2}$/.test(d.day)) throw AppError.invalid('body.days.day', 'format');
          const before = await repo.upsertCalendarDay(s.trx, {
            day: d.day,
            working: d.working ? 1 : 0,
            name: d.name,
            updated_at: at,
          });
          await s.audit({
            action: 'calendar.day.set',
            subjectType: 'calendar_day',
            subjectId: d.day,
            changes: [{ field: 'working', from: before ? before.working === 1 : null, to: d.working }],
          });
        }
      });
    },
  };

  function canSeeAsCadre(ctx: RequestContext, row: WorkflowInstanceTable, def: WorkflowDefinition): boolean {
    return isSystem(ctx) || actingPermissions(def).some((p) => covers(scopeFor(ctx.principal, p), row.org_path));
  }
}

export type WorkflowEngine = ReturnType<typeof createWorkflowEngine>;

/**
 * The engine over a unit of work already open (a module's own transaction, e.g. a payment plan
 * that schedules each award's step, or a list import that files applications): its starts and
 * steps join that transaction, and the SMS they queue leave with its commit.
 */
export function workflowEngineIn(deps: CoreDeps, registry: WorkflowRegistry, s: WriteScope): WorkflowEngine {
  const inScope: UnitOfWork = (_ctx, work) => work(s);
  return createWorkflowEngine({ ...deps, db: s.trx as Kysely<DB>, write: inScope }, registry);
}
