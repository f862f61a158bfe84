import { isPermissionCode, type PermissionCode } from '@zhgh/contracts';
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../db/schema.ts';
import type { RequestContext } from '../actor.ts';
import type { AppError } from '../app-error.ts';
import type { WriteScope } from '../unit-of-work.ts';

/**
 * Declarative workflow definitions (decision 0013). A module declares states and transitions
 * as data; the engine runs them. Modules never re-implement approval: they contribute only
 * what is theirs (guards over their data, the effect of a step, what a notice says).
 */

export type Label = { 'zh-CN': string; en: string };

/**
 * review: a union must act · notice: public notice (公示) running · waiting: the applicant
 * must act (supplement documents) · rejected: refused (may lead on to an appeal or a
 * resubmission) · done / withdrawn: finished.
 */
export const STATE_KINDS = ['review', 'notice', 'waiting', 'rejected', 'done', 'withdrawn'] as const;
export type StateKind = (typeof STATE_KINDS)[number];

/** Kinds whose instances wait on a union: the queue shows these. */
export const UNION_KINDS: readonly StateKind[] = ['review', 'notice'];
/** Kinds that end an instance: nothing may leave them. */
export const FINAL_KINDS: readonly StateKind[] = ['done', 'withdrawn'];

/**
 * Where the acting union must stand relative to the instance's handling union:
 * - `handling`: the actor holds the permission at the handling union or any ancestor;
 * - `higher`: at the handling union's parent or above — a grant at the handling union
 *   itself is not enough (higher review, appeal decisions, city-level payment plans).
 */
export type OrgLevel = 'handling' | 'higher';

/** Who takes a step: the applicant themselves, or a cadre with a permission at a level. */
export type StepActor = 'applicant' | { permission: PermissionCode; orgLevel: OrgLevel };

/** What guards, effects and notices see of an instance. */
export interface InstanceView<D = Record<string, unknown>> {
  id: string;
  definitionKey: string;
  definitionVersion: number;
  subjectType: string;
  subjectId: string | null;
  applicantUserId: string | null;
  applicantPersonId: string | null;
  orgId: string;
  orgPath: string;
  state: string;
  stateKind: StateKind;
  data: D;
  version: number;
  dueAt: string | null;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

export interface GuardContext {
  trx: Transaction<DB>;
  now: Date;
  action: string;
}

/** A named check of the instance before a step: an AppError refuses it, null lets it pass. */
export type Guard<D> = (instance: InstanceView<D>, g: GuardContext) => AppError | null | Promise<AppError | null>;

export interface EffectContext<D> {
  trx: Transaction<DB>;
  ctx: RequestContext;
  /** The instance after the step (new state, data, handling union). */
  instance: InstanceView<D>;
  action: string;
  from: string;
  to: string;
  comment: string | null;
  /** Record the effect's own audit events in the same transaction. */
  audit: WriteScope['audit'];
  /** The step's whole unit of work, for services the effect calls to write within it. */
  scope: WriteScope;
  now: Date;
}

/**
 * What a step does beyond moving the instance (create the membership, post a ledger
 * transfer). It runs inside the step's transaction: if it throws, the step, its history row
 * and its audit event roll back with it.
 */
export type Effect<D> = (e: EffectContext<D>) => Promise<void> | Promise<EffectOutcome>;

/**
 * The same effect for all the instances one batch chunk moves (一键审核), in their order: the
 * module writes them set-based (one lookup, multi-row inserts) instead of once per instance.
 * Batch steps call it when given; single steps still call `effect`, which must be given too.
 * Throwing rolls the chunk back, and the engine then takes its instances one by one.
 */
export type EffectMany<D> = (es: readonly EffectContext<D>[]) => Promise<readonly (EffectOutcome | undefined)[]>;

/** What an effect may add to its step: the applicant's message in the module's words. */
export interface EffectOutcome {
  /**
   * Replaces the engine's "<step>, now: <state>" text of the applicant's in-app message and SMS
   * for this step (a welcome that names the union and the member number).
   */
  applicantMessage?: Label;
}

export interface NoticeDef<D> {
  /** Calendar days the notice stays on the board. */
  days: number;
  /** Who reviews objections raised against the notice (at the handling level). */
  reviewPermission: PermissionCode;
  /** Action of a transition out of this state, taken when an objection is upheld. */
  onUpheld: string;
  /**
   * What the board shows: the subject person's name (masked by presenters) and the proposal;
   * `days` overrides the period for this instance (a rule the module keeps, e.g. a policy's
   * notice days in force).
   */
  publish: (instance: InstanceView<D>) => { subjectName: string; summary: string; days?: number | null };
}

export interface StateDef<D> {
  kind: StateKind;
  label: Label;
  /** Working days the step may take; due_at is set on entering the state. */
  deadlineWorkingDays?: number;
  /** Required for (and only for) states of kind `notice`. */
  notice?: NoticeDef<D>;
}

export interface TransitionDef<D> {
  action: string;
  from: string | readonly string[];
  to: string;
  label: Label;
  by: StepActor;
  /** Names of the definition's guards, checked in order. */
  guards?: readonly string[];
  /** Document kinds that must be attached before the step. */
  requiredDocuments?: readonly string[];
  /** A comment (the reason) is required; always so for steps into a rejected state. */
  requireComment?: boolean;
  /** The step hands the instance to the parent of the handling union (appeals). */
  handlingOrg?: 'parent';
  effect?: Effect<D>;
  effectMany?: EffectMany<D>;
}

/** An organization that stops taking applications: merged into another, or dissolved. */
export interface OrgStop {
  reason: 'merged' | 'dissolved';
  org: OrgRef;
  /** Who takes over what was filed at it: the merge's target, or a dissolved union's parent. */
  successor: OrgRef;
}

export interface OrgRef {
  id: string;
  path: string;
  province_root: string;
  name: string;
}

/** An open instance at a stopping union is handed to the successor, or closed in a final state. */
export type OrgStopOutcome = 'follow' | { close: string };

export interface OrgStoppedContext<D> {
  trx: Transaction<DB>;
  stop: OrgStop;
  now: Date;
  /** The instances of this definition the stop handed on, as they are now. */
  followed: readonly InstanceView<D>[];
  /** Those it closed. */
  closed: readonly InstanceView<D>[];
}

/**
 * What a definition does when a union it has open instances at stops. Only instances not
 * waiting on the union are concerned: those that are (review, notice) stop the restructuring
 * until its cadres decide them.
 */
export interface OrgStoppedRule<D> {
  merged: OrgStopOutcome;
  dissolved: OrgStopOutcome;
  /**
   * The module's own records that name the stopped union, set right in the same transaction;
   * called at every stop, since a record may name the union while its instance is elsewhere
   * (a join application appealed to the union above still opens its membership at its union).
   */
  records?: (e: OrgStoppedContext<D>) => Promise<void>;
  /**
   * Open instances filed elsewhere that still stand on the stopped union (a join application
   * appealed to the union above still opens its membership at its union): where the rule
   * closes, they close with the union's own; where it follows, only `records` sees to them.
   */
  standingOn?: (trx: Transaction<DB>, stop: OrgStop) => Promise<readonly string[]>;
}

export interface WorkflowDefinition<D = Record<string, unknown>> {
  key: string;
  /** Instances keep the version they started on; a changed definition is a new version. */
  version: number;
  label: Label;
  subjectType: string;
  initial: string;
  states: Readonly<Record<string, StateDef<D>>>;
  transitions: readonly TransitionDef<D>[];
  /** Attachment kinds the definition accepts. */
  documentKinds?: Readonly<Record<string, Label>>;
  guards?: Readonly<Record<string, Guard<D>>>;
  /** A union may start an instance for an applicant with this permission at the handling union. */
  startPermission?: PermissionCode;
  /**
   * Other unions party to an instance besides the handling one (the union a transfer
   * leaves), as org paths read when the instance is loaded. A cadre whose scope of a
   * permission the definition names covers one sees the instance and may comment or attach,
   * but takes no step unless their scope covers the handling union too. Without it, only the
   * handling union's side sees an instance.
   */
  parties?: (q: Kysely<DB>, instance: InstanceView<D>) => Promise<readonly string[]>;
  /**
   * Without it, an open instance at a union (one rejected and open to appeal, one waiting on
   * the applicant) stops that union's merger or dissolution like one under review.
   */
  onOrgStopped?: OrgStoppedRule<D>;
}

export class WorkflowDefinitionError extends Error {
  constructor(
    readonly key: string,
    readonly problems: readonly string[],
  ) {
    super(`workflow definition ${key} is invalid: ${problems.join('; ')}`);
    this.name = 'WorkflowDefinitionError';
  }
}

const fromStates = (t: { from: string | readonly string[] }): readonly string[] =>
  typeof t.from === 'string' ? [t.from] : t.from;

/** Every problem of a definition; an empty list means it may be registered. */
export function definitionProblems<D>(def: WorkflowDefinition<D>): string[] {
  const problems: string[] = [];
  const states = Object.keys(def.states);
  const known = new Set(states);
  const documents = new Set(Object.keys(def.documentKinds ?? {}));
  const guards = new Set(Object.keys(def.guards ?? {}));

  if (!/^[a-z][A-Za-z0-9.]*$/.test(def.key)) problems.push(`key "${def.key}" must be a code like joinApplication`);
  if (!Number.isSafeInteger(def.version) || def.version < 1) problems.push('version must be a positive integer');
  if (!known.has(def.initial)) problems.push(`initial state "${def.initial}" is not declared`);
  if (def.startPermission && !isPermissionCode(def.startPermission)) {
    problems.push(`start permission "${def.startPermission}" is not in the permission registry`);
  }

  for (const [name, s] of Object.entries(def.states)) {
    if (!(STATE_KINDS as readonly string[]).includes(s.kind))
      problems.push(`state "${name}" has unknown kind "${s.kind}"`);
    if (
      s.deadlineWorkingDays !== undefined &&
      (!Number.isSafeInteger(s.deadlineWorkingDays) || s.deadlineWorkingDays < 1)
    ) {
      problems.push(`state "${name}": deadline must be a positive number of working days`);
    }
    if (s.kind === 'notice') {
      if (!s.notice) problems.push(`notice state "${name}" has no notice settings`);
      else {
        if (!Number.isSafeInteger(s.notice.days) || s.notice.days < 1) {
          problems.push(`notice state "${name}": period must be a positive number of days`);
        }
        if (!isPermissionCode(s.notice.reviewPermission)) {
          problems.push(`notice state "${name}": review permission "${s.notice.reviewPermission}" is not registered`);
        }
        const upheld = def.transitions.find((t) => t.action === s.notice!.onUpheld && fromStates(t).includes(name));
        if (!upheld) {
          problems.push(`notice state "${name}": onUpheld "${s.notice.onUpheld}" is not a transition from it`);
        }
      }
    } else if (s.notice) problems.push(`state "${name}" has notice settings but is not of kind notice`);
  }

  const seen = new Set<string>();
  for (const t of def.transitions) {
    const where = `transition "${t.action}"`;
    for (const f of fromStates(t)) {
      if (!known.has(f)) problems.push(`${where} leaves unknown state "${f}"`);
      const id = `${f}→${t.action}`;
      if (seen.has(id)) problems.push(`${where} is declared twice from "${f}"`);
      seen.add(id);
      if (known.has(f) && FINAL_KINDS.includes(def.states[f]!.kind)) {
        problems.push(`${where} leaves final state "${f}"`);
      }
    }
    if (fromStates(t).length === 0) problems.push(`${where} leaves no state`);
    if (!known.has(t.to)) problems.push(`${where} enters unknown state "${t.to}"`);
    if (!/^[a-z][A-Za-z0-9]*$/.test(t.action)) problems.push(`${where}: action must be a code like approve`);
    if (t.by === undefined || t.by === null) {
      problems.push(`${where} names nobody who may take it`);
    } else if (t.by !== 'applicant') {
      if (typeof t.by !== 'object' || !isPermissionCode(t.by.permission)) {
        problems.push(`${where} has no registered permission`);
      } else if (t.by.orgLevel !== 'handling' && t.by.orgLevel !== 'higher') {
        problems.push(`${where} has unknown org level "${String(t.by.orgLevel)}"`);
      }
    }
    for (const g of t.guards ?? []) if (!guards.has(g)) problems.push(`${where} names unknown guard "${g}"`);
    for (const d of t.requiredDocuments ?? []) {
      if (!documents.has(d)) problems.push(`${where} requires undeclared document kind "${d}"`);
    }
    if (known.has(t.to) && def.states[t.to]!.kind === 'rejected' && !t.requireComment) {
      problems.push(`${where} rejects without requiring a reason`);
    }
  }

  // Every state reachable from the initial one, and every unfinished state has a way out.
  const reachable = new Set<string>();
  const queue = known.has(def.initial) ? [def.initial] : [];
  while (queue.length > 0) {
    const s = queue.pop()!;
    if (reachable.has(s)) continue;
    reachable.add(s);
    for (const t of def.transitions) if (fromStates(t).includes(s) && known.has(t.to)) queue.push(t.to);
  }
  for (const s of states) {
    if (known.has(def.initial) && !reachable.has(s)) problems.push(`state "${s}" is unreachable`);
    const kind = def.states[s]!.kind;
    const out = def.transitions.some((t) => fromStates(t).includes(s));
    if (!out && (kind === 'review' || kind === 'notice' || kind === 'waiting')) {
      problems.push(`state "${s}" (${kind}) has no transition out of it`);
    }
  }

  for (const reason of ['merged', 'dissolved'] as const) {
    const outcome = def.onOrgStopped?.[reason];
    if (outcome === undefined || outcome === 'follow') continue;
    const into = def.states[outcome.close];
    if (!into) problems.push(`onOrgStopped.${reason} closes in unknown state "${outcome.close}"`);
    else if (!FINAL_KINDS.includes(into.kind)) {
      problems.push(`onOrgStopped.${reason} closes in "${outcome.close}", which is not final`);
    }
  }
  return problems;
}

export function assertValidDefinition<D>(def: WorkflowDefinition<D>): void {
  const problems = definitionProblems(def);
  if (problems.length > 0) throw new WorkflowDefinitionError(def.key, problems);
}

/** Whether an instance entering `state` is closed: a final kind, or no step leads out of it. */
export function closesIn<D>(def: WorkflowDefinition<D>, state: string): boolean {
  return FINAL_KINDS.includes(def.states[state]!.kind) || transitionsFrom(def, state).length === 0;
}

/** The transitions out of `state`. */
export function transitionsFrom<D>(def: WorkflowDefinition<D>, state: string): TransitionDef<D>[] {
  return def.transitions.filter((t) => fromStates(t).includes(state));
}

/** Definitions by key and version; modules register theirs at startup, invalid ones stop the boot. */
export function createWorkflowRegistry() {
  const byKey = new Map<string, Map<number, WorkflowDefinition>>();
  return {
    register<D>(def: WorkflowDefinition<D>): void {
      assertValidDefinition(def);
      const versions = byKey.get(def.key) ?? new Map<number, WorkflowDefinition>();
      if (versions.has(def.version))
        throw new WorkflowDefinitionError(def.key, [`version ${def.version} is registered twice`]);
      // One place widens the module's data type: the engine stores data as JSON and hands it back.
      versions.set(def.version, def as unknown as WorkflowDefinition);
      byKey.set(def.key, versions);
    },
    /** A given version, or the newest when none is asked for. */
    get(key: string, version?: number): WorkflowDefinition | undefined {
      const versions = byKey.get(key);
      if (!versions) return undefined;
      if (version !== undefined) return versions.get(version);
      return versions.get(Math.max(...versions.keys()));
    },
    keys(): string[] {
      return [...byKey.keys()];
    },
  };
}
export type WorkflowRegistry = ReturnType<typeof createWorkflowRegistry>;
