import type { z } from 'zod';
import type { subsidyApplyBody, subsidyPlanBody, subsidyPolicyBody, subsidyStepBody } from '@zhgh/contracts';
import type { Kysely, Transaction } from 'kysely';
import { narrowScope, requireInScope, scopeFor } from '../../core/access/scope.ts';
import { type RequestContext, SYSTEM_ACTOR } from '../../core/actor.ts';
import { AppError, fieldError } from '../../core/app-error.ts';
import { localDate } from '../../core/calendar.ts';
import type { CoreDeps } from '../../core/deps.ts';
import { newId } from '../../core/ids.ts';
import { formatYuan } from '../../core/ledger/bank-file.ts';
import type { Ledger } from '../../core/ledger/ledger.ts';
import { PERSON_PHONE_CONTEXT, type Payouts } from '../../core/ledger/payouts.ts';
import type { WriteScope } from '../../core/unit-of-work.ts';
import { type WorkflowEngine, workflowEngineIn } from '../../core/workflow/engine.ts';
import type {
  DB,
  OrganizationTable,
  SubsidyAwardTable,
  SubsidyKind,
  SubsidyPlanTable,
  SubsidyPolicyTable,
  WorkflowInstanceTable,
} from '../../db/schema.ts';
import { eligibilityProblems, inForce, type PolicyRule, SEED_RULES, seedVersions } from './subsidies.policy.ts';
import { presentApplication, presentAward, presentPlan, presentPolicy, type PlanSkip } from './subsidies.presenter.ts';
import { subsidiesRepository as repo } from './subsidies.repository.ts';
import {
  FARMER_KEY,
  HARDSHIP_KEY,
  keyOfKind,
  kindOfKey,
  SUBSIDY_KEYS,
  type SubsidyData,
  subsidyDefinitions,
} from './subsidies.workflow.ts';
import { idsOnPath, pathsUpTo } from '../../core/org-path.ts';

/** Ledger purpose of the city's model-worker subsidy fund. */
export const SUBSIDY_PURPOSE = 'model_worker_subsidy';
/** Awards planned per transaction: the ledger, the awards and the engine steps of one chunk commit together. */
export const PLAN_CHUNK = 500;
/** Reference type of the payout lines this module puts in batches. */
export const AWARD_REFERENCE = 'subsidy_award';

type Q = Kysely<DB>;
type StoredRule = PolicyRule & { id: string | null };

const SYS: RequestContext = { actor: SYSTEM_ACTOR };
const t = (zh: string, en: string) => ({ 'zh-CN': zh, en });
const KIND_NAMES: Record<SubsidyKind, string> = {
  festival: '双节慰问金',
  hardship: '特殊困难补助',
  farmer: '农民劳模生活补助',
};

/** The day before a YYYY-MM-DD date. */
export function dayBefore(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
}

/** Rolls back a plan chunk that found, inside the lock, nothing left to plan. */
class NothingPlanned extends Error {}

export function createSubsidiesService(deps: CoreDeps, engine: WorkflowEngine, ledger: Ledger, payouts: Payouts) {
  const { db, write } = deps;
  const iso = () => deps.now().toISOString();

  const engineIn = (s: WriteScope) => workflowEngineIn(deps, engine.registry, s);

  /**
   * Versions for a kind where a union stands: the nearest federation (the union or an ancestor)
   * that set its own rules decides; with none anywhere, the seed rules.
   */
  async function versionsFor(q: Q, orgPath: string, kind: SubsidyKind) {
    const rows = await repo.policiesOn(q, pathsUpTo(orgPath), kind);
    if (rows.length === 0) return null;
    const deepest = rows.reduce((a, r) => (r.org_path.length > a.length ? r.org_path : a), '');
    return rows.filter((r) => r.org_path === deepest);
  }

  function noPolicy(date: string): AppError {
    return new AppError(
      'SUBSIDY_NO_POLICY',
      [fieldError('paymentDate', 'invalid', t(`${date} 没有有效的补助政策`, `no rule in force on ${date}`))],
      date,
    );
  }

  async function ruleFor(
    q: Q | Transaction<DB>,
    orgPath: string,
    kind: SubsidyKind,
    date: string,
  ): Promise<StoredRule> {
    const rows = await versionsFor(q as Q, orgPath, kind);
    if (!rows) {
      const seed = seedVersions(kind).find((v) => v.from <= date && (v.to === null || v.to >= date));
      if (!seed) throw noPolicy(date);
      return { ...seed.rule, id: null };
    }
    const row = rows.filter((r) => inForce(r, date)).at(-1);
    if (!row) throw noPolicy(date);
    return row;
  }

  /** The seed rules written down for a federation at first use, so payments name the version they used. */
  async function storeSeed(
    s: WriteScope,
    ctx: RequestContext,
    org: OrganizationTable,
    kind: SubsidyKind,
    /** A new version starts this day: the seed is written down only for the time before it. */
    before?: string,
  ) {
    const stored: SubsidyPolicyTable[] = [];
    for (const seed of seedVersions(kind)) {
      if (before !== undefined && seed.from >= before) continue;
      const end = before !== undefined && (seed.to === null || seed.to >= before) ? dayBefore(before) : seed.to;
      const v = { ...seed, to: end };
      const row: SubsidyPolicyTable = {
        id: newId(),
        org_id: org.id,
        org_path: org.path,
        province_root: org.province_root,
        ...v.rule,
        kind,
        effective_from: v.from,
        effective_to: v.to,
        created_by: ctx.actor.id,
        created_at: iso(),
      };
      await repo.insertPolicy(s.trx, row);
      await s.audit({
        action: 'subsidy.policy.seed',
        subjectType: 'subsidy_policy',
        subjectId: row.id,
        orgPath: org.path,
        changes: [
          { field: 'kind', to: kind },
          { field: 'effectiveFrom', to: row.effective_from },
          { field: 'effectiveTo', to: row.effective_to },
          { field: 'amountMinFen', to: row.amount_min_fen },
          { field: 'amountMaxFen', to: row.amount_max_fen },
        ],
      });
      stored.push(row);
    }
    return stored;
  }

  /** The stored rule a payment uses on its date (the seed is written down on first use). */
  async function storedRuleFor(
    s: WriteScope,
    ctx: RequestContext,
    org: OrganizationTable,
    kind: SubsidyKind,
    date: string,
  ): Promise<SubsidyPolicyTable> {
    if (!(await versionsFor(s.trx as Q, org.path, kind))) await storeSeed(s, ctx, org, kind);
    const rule = await ruleFor(s.trx, org.path, kind, date);
    return rule as SubsidyPolicyTable;
  }

  for (const def of subsidyDefinitions(ruleFor)) engine.registry.register(def);

  // The bank's answer, inside the reconciliation's transaction: the award and its application
  // follow it. Failed money is back on the payee's payable (the core moved it), so the next
  // plan pays it again without a second budget transfer.
  payouts.onSettled(AWARD_REFERENCE, async (s, settled) => {
    const award = await repo.findAward(s.trx, settled.line.reference_id!);
    if (!award) return;
    const at = iso();
    const moved = await repo.updateAwardFrom(
      s.trx,
      award.id,
      ['planned'],
      settled.status === 'paid'
        ? { status: 'paid', paid_at: at, failure_reason: null, updated_at: at }
        : { status: 'failed', failure_reason: settled.reason, updated_at: at },
    );
    if (!moved) return;
    await s.audit({
      action: `subsidy.award.${settled.status}`,
      subjectType: 'subsidy_award',
      subjectId: award.id,
      orgPath: award.org_path,
      changes: [{ field: 'status', from: 'planned', to: settled.status }],
    });
    if (award.instance_id) {
      await engineIn(s).act(SYS, award.instance_id, {
        action: settled.status === 'paid' ? 'settlePaid' : 'settleFailed',
        comment: settled.reason,
      });
    }
  });

  async function orgInScope(ctx: RequestContext, permission: string, orgId: string) {
    const org = await repo.findOrg(db, orgId);
    if (!org) throw AppError.notFound();
    requireInScope(scopeFor(ctx.principal, permission), org.path);
    return org;
  }

  function requireFederation(org: OrganizationTable) {
    if (org.type !== 'federation')
      throw new AppError('SUBSIDY_PAYER_NOT_FEDERATION', [fieldError('body.orgId', 'invalid')]);
  }

  async function presentRows(ctx: RequestContext, rows: WorkflowInstanceTable[]) {
    const awards = new Map(
      (
        await repo.awardsOfInstances(
          db,
          rows.map((r) => r.id),
        )
      ).map((a) => [a.instance_id, a]),
    );
    const now = deps.now();
    return rows.map((row) => {
      const def = engine.registry.get(row.definition_key, row.definition_version)!;
      return presentApplication(
        engine.toView(row),
        def,
        engine.actionsFor(ctx, row, def),
        awards.get(row.id) ?? null,
        now,
      );
    });
  }

  async function presentOne(ctx: RequestContext, id: string) {
    const row = await repo.findInstance(db, id);
    if (!row) throw AppError.notFound();
    return (await presentRows(ctx, [row]))[0]!;
  }

  /** A subsidy application the actor may see (the engine's rule), else the 404 of a missing id. */
  async function visibleApplication(ctx: RequestContext, id: string) {
    const row = await repo.findInstance(db, id);
    if (!row || !(SUBSIDY_KEYS as readonly string[]).includes(row.definition_key)) throw AppError.notFound();
    await engine.get(ctx, id);
    return row;
  }

  return {
    definitions: SUBSIDY_KEYS,

    /**
     * Demo seed and first installation: the seed rules (2019-01-01, five years) and their renewal
     * from 2024-01-01 written down for a federation that has none, and money in its subsidy
     * budget, so a new installation can pay this year. System only: no route carries it.
     */
    async provisionDefaults(ctx: RequestContext, orgId: string, budgetFen: number) {
      const org = await repo.findOrg(db, orgId);
      if (!org) throw AppError.notFound();
      const key = `subsidy:budget:${orgId}:initial`;
      const funded = await db
        .selectFrom('ledger_transfer')
        .select('id')
        .where('idempotency_key', '=', key)
        .executeTakeFirst();
      const ruled = await Promise.all(
        (['festival', 'hardship', 'farmer'] as const).map(async (k) => (await versionsFor(db, org.path, k)) !== null),
      );
      // Provisioned before: nothing to write (and a write must leave an audit event).
      if (funded && ruled.every(Boolean)) return;
      await write(ctx, async (s) => {
        for (const kind of ['festival', 'hardship', 'farmer'] as const) {
          if (!(await versionsFor(s.trx as Q, org.path, kind))) await storeSeed(s, ctx, org, kind);
        }
        const funding = await ledger.openAccount(s, { kind: 'funding', orgId, purpose: SUBSIDY_PURPOSE });
        const budget = await ledger.openAccount(s, { kind: 'budget', orgId, purpose: SUBSIDY_PURPOSE });
        await ledger.post(s, {
          idempotencyKey: key,
          debitAccountId: funding.id,
          creditAccountId: budget.id,
          amount: budgetFen,
          kind: 'allocation',
          memo: '市级劳模专项补助资金',
        });
      });
    },
    ruleFor: (orgPath: string, kind: SubsidyKind, date: string) => ruleFor(db, orgPath, kind, date),

    async policies(ctx: RequestContext, query: { orgId: string; kind?: SubsidyKind | undefined }) {
      const org = await orgInScope(ctx, 'subsidy.policy', query.orgId);
      const items = [];
      for (const kind of query.kind ? [query.kind] : (['festival', 'hardship', 'farmer'] as const)) {
        const rows = await versionsFor(db, org.path, kind);
        if (rows) items.push(...rows.map((r) => presentPolicy(r, false)));
        else {
          items.push(
            ...seedVersions(kind).map((v) =>
              presentPolicy(
                {
                  ...v.rule,
                  id: null,
                  org_id: null,
                  effective_from: v.from,
                  effective_to: v.to,
                  created_at: null,
                },
                true,
              ),
            ),
          );
        }
      }
      return { items };
    },

    async addPolicy(ctx: RequestContext, body: z.infer<typeof subsidyPolicyBody>) {
      const org = await orgInScope(ctx, 'subsidy.policy', body.orgId);
      requireFederation(org);
      const to = body.effectiveTo ?? null;
      if (body.amountMaxFen < body.amountMinFen) throw AppError.invalid('body.amountMaxFen', 'too_small');
      if (to !== null && to < body.effectiveFrom) throw AppError.invalid('body.effectiveTo', 'too_small');
      if (body.kind === 'farmer' && (body.menMinAge == null || body.womenMinAge == null)) {
        throw AppError.invalid(body.menMinAge == null ? 'body.menMinAge' : 'body.womenMinAge', 'required');
      }
      return write(ctx, async (s) => {
        // The chain lock every writer takes: two versions added at once are checked one after the other.
        await ledger.serialise(s.trx);
        let own = (await repo.policiesOn(s.trx, [org.path], body.kind)).filter((r) => r.org_path === org.path);
        // A federation's first own version starts from the rules it lived under until now.
        if (own.length === 0 && !(await versionsFor(s.trx as Q, org.path, body.kind))) {
          own = await storeSeed(s, ctx, org, body.kind, body.effectiveFrom);
        }
        for (const v of own) {
          const overlaps =
            v.effective_from <= (to ?? '9999-12-31') && (v.effective_to ?? '9999-12-31') >= body.effectiveFrom;
          if (!overlaps) continue;
          // An open-ended version ends the day before its successor starts, unless a payment
          // dated on or after that day already used it.
          const closable =
            v.effective_to === null &&
            v.effective_from < body.effectiveFrom &&
            !(await repo.usedFrom(s.trx, v.id, body.effectiveFrom));
          if (!closable) {
            throw new AppError('SUBSIDY_POLICY_OVERLAP', [
              fieldError(
                'body.effectiveFrom',
                'invalid',
                t(`与 ${v.effective_from} 起的政策重叠`, `overlaps the version from ${v.effective_from}`),
              ),
            ]);
          }
          const end = dayBefore(body.effectiveFrom);
          await repo.closePolicy(s.trx, v.id, end);
          await s.audit({
            action: 'subsidy.policy.close',
            subjectType: 'subsidy_policy',
            subjectId: v.id,
            orgPath: org.path,
            changes: [{ field: 'effectiveTo', from: null, to: end }],
          });
        }
        const row: SubsidyPolicyTable = {
          id: newId(),
          org_id: org.id,
          org_path: org.path,
          province_root: org.province_root,
          kind: body.kind,
          effective_from: body.effectiveFrom,
          effective_to: to,
          amount_min_fen: body.amountMinFen,
          amount_max_fen: body.amountMaxFen,
          men_min_age: body.menMinAge ?? null,
          women_min_age: body.womenMinAge ?? null,
          times_per_year: body.timesPerYear,
          notice_days: body.noticeDays,
          created_by: ctx.actor.id,
          created_at: iso(),
        };
        await repo.insertPolicy(s.trx, row);
        await s.audit({
          action: 'subsidy.policy.add',
          subjectType: 'subsidy_policy',
          subjectId: row.id,
          orgPath: org.path,
          changes: [
            { field: 'kind', to: row.kind },
            { field: 'effectiveFrom', to: row.effective_from },
            { field: 'effectiveTo', to: row.effective_to },
            { field: 'amountMinFen', to: row.amount_min_fen },
            { field: 'amountMaxFen', to: row.amount_max_fen },
            { field: 'menMinAge', to: row.men_min_age },
            { field: 'womenMinAge', to: row.women_min_age },
          ],
        });
        return presentPolicy(row, false);
      });
    },

    async apply(ctx: RequestContext, body: z.infer<typeof subsidyApplyBody>) {
      if (ctx.actor.kind !== 'user') throw new AppError('UNAUTHENTICATED');
      const forSelf = body.personId === undefined;
      const personId = forSelf ? await repo.personIdOfUser(db, ctx.actor.id) : body.personId!;
      if (!personId) throw new AppError('SUBSIDY_PERSON_NOT_BOUND');
      const worker = (await repo.workersOfPerson(db, personId))[0];
      if (!worker) {
        if (!forSelf) throw AppError.notFound();
        throw new AppError('SUBSIDY_NOT_ELIGIBLE', [
          fieldError('modelWorker', 'required', t('不在劳模名册中', 'not in the model-worker registry')),
        ]);
      }
      // The survey is the model worker's own union's, when it lies under the registry's union.
      const membership = await repo.activeMembershipOrg(db, personId);
      const handling =
        membership && membership.org_path.startsWith(worker.org_path)
          ? { id: membership.org_id, path: membership.org_path }
          : { id: worker.org_id, path: worker.org_path };
      // A union applying for someone must reach them first: outside its scope the person does not exist.
      if (!forSelf) requireInScope(scopeFor(ctx.principal, 'subsidy.review'), handling.path);

      const today = localDate(deps.now());
      const year = Number(today.slice(0, 4));
      const rule = await ruleFor(db, handling.path, body.kind, today);
      const problems = eligibilityProblems(body.kind, worker, worker, rule, today);
      if (problems.length > 0) throw new AppError('SUBSIDY_NOT_ELIGIBLE', problems);
      if (body.kind === 'hardship') {
        if (!body.cause) throw AppError.invalid('body.cause', 'required');
        const amount = body.requestedAmountFen;
        if (amount === undefined) throw AppError.invalid('body.requestedAmountFen', 'required');
        if (amount < rule.amount_min_fen || amount > rule.amount_max_fen) {
          throw AppError.invalid(
            'body.requestedAmountFen',
            amount < rule.amount_min_fen ? 'too_small' : 'too_big',
            t(
              `每次补助 ${formatYuan(rule.amount_min_fen)}–${formatYuan(rule.amount_max_fen)} 元`,
              `between ${formatYuan(rule.amount_min_fen)} and ${formatYuan(rule.amount_max_fen)} yuan`,
            ),
          );
        }
      }
      const key = keyOfKind(body.kind);
      const open = (await repo.openInstancesOf(db, personId, key)).some(
        (i) => (JSON.parse(i.data) as SubsidyData).year === year,
      );
      if (open || (await repo.awardOf(db, personId, body.kind, year))) {
        throw new AppError('SUBSIDY_ONCE_PER_YEAR', [fieldError('body.kind', 'invalid')]);
      }
      const data: SubsidyData = {
        kind: body.kind,
        year,
        personId,
        modelWorkerId: worker.id,
        personName: worker.person_name,
        appliedOn: today,
        cause: body.kind === 'hardship' ? body.cause! : null,
        description: body.description ?? null,
        requestedAmountFen: body.kind === 'hardship' ? body.requestedAmountFen! : rule.amount_min_fen,
        approvedAmountFen: null,
        surveyFindings: null,
      };
      const view = await engine.start(ctx, {
        definitionKey: key,
        orgId: handling.id,
        subjectId: worker.id,
        applicantUserId: forSelf ? ctx.actor.id : await repo.userOfPerson(db, personId),
        applicantPersonId: personId,
        data,
      });
      return presentOne(ctx, view.id);
    },

    async applications(
      ctx: RequestContext,
      query: {
        orgId?: string | undefined;
        kind?: 'hardship' | 'farmer' | undefined;
        state?: string | undefined;
        year?: number | undefined;
        overdue?: boolean | undefined;
        page: number;
        pageSize: number;
      },
    ) {
      let scope = scopeFor(ctx.principal, 'subsidy.review');
      if (query.orgId) {
        const org = await repo.findOrg(db, query.orgId);
        if (!org) throw AppError.notFound();
        scope = narrowScope(scope, org.path);
      }
      const keys = query.kind ? [keyOfKind(query.kind)] : [...SUBSIDY_KEYS];
      const { rows, total } = await repo.queue(
        db,
        scope,
        keys,
        { state: query.state, overdueAt: query.overdue ? iso() : undefined },
        { limit: query.pageSize, offset: (query.page - 1) * query.pageSize },
      );
      const filtered = query.year ? rows.filter((r) => (JSON.parse(r.data) as SubsidyData).year === query.year) : rows;
      return { items: await presentRows(ctx, filtered), total, page: query.page, pageSize: query.pageSize };
    },

    async application(ctx: RequestContext, id: string) {
      await visibleApplication(ctx, id);
      return presentOne(ctx, id);
    },

    async step(ctx: RequestContext, id: string, body: z.infer<typeof subsidyStepBody>) {
      const row = await visibleApplication(ctx, id);
      const current = JSON.parse(row.data) as SubsidyData;
      const data: Partial<SubsidyData> = {};
      if (body.action === 'verify' || body.action === 'appealGrant') {
        const rule = await ruleFor(db, row.org_path, current.kind, localDate(deps.now()));
        data.surveyFindings = body.surveyFindings ?? null;
        // The farmer allowance is a fixed amount: the rule in force says it.
        data.approvedAmountFen = body.approvedAmountFen ?? (current.kind === 'farmer' ? rule.amount_min_fen : null);
        // The notice that follows runs for the rule's period.
        data.noticeDays = rule.notice_days;
      } else if (body.action === 'resubmit') {
        if (body.cause !== undefined) data.cause = body.cause;
        if (body.requestedAmountFen !== undefined) data.requestedAmountFen = body.requestedAmountFen;
        if (body.description !== undefined) data.description = body.description;
      }
      await engine.act(ctx, id, {
        action: body.action,
        comment: body.comment ?? null,
        ...(body.expectedVersion !== undefined ? { expectedVersion: body.expectedVersion } : {}),
        ...(Object.keys(data).length > 0 ? { data } : {}),
      });
      return presentOne(ctx, id);
    },

    /**
     * The year's festival greetings for every eligible model worker below a federation, without
     * applications. A second run adds only the newly eligible; the unique (person, kind, year)
     * keeps anyone from getting two, even from two federations or two runs at once.
     */
    async festival(ctx: RequestContext, body: { orgId: string; year: number }) {
      const org = await orgInScope(ctx, 'subsidy.policy', body.orgId);
      requireFederation(org);
      const candidates = async (q: Q) => {
        const workers = await repo.eligibleWorkersUnder(q, org.path);
        const byPerson = new Map(workers.map((w) => [w.person_id, w]));
        const have = await repo.awardPersonIdsOf(q, 'festival', body.year, [...byPerson.keys()]);
        return { all: byPerson.size, fresh: [...byPerson.values()].filter((w) => !have.has(w.person_id)) };
      };
      const seen = await candidates(db);
      if (seen.fresh.length === 0) return { created: 0, existing: seen.all };
      const created = await write(ctx, async (s) => {
        await ledger.serialise(s.trx);
        const { fresh } = await candidates(s.trx as Q);
        // Filed for the report under the model worker's own union when it lies below the registry's.
        const memberships = await repo.activeMembershipsOf(
          s.trx,
          fresh.map((w) => w.person_id),
        );
        const unitOf = (w: (typeof fresh)[number]) => {
          const m = memberships.get(w.person_id);
          return m && m.org_path.startsWith(w.org_path) ? m.org_id : w.org_id;
        };
        const at = iso();
        const rows: SubsidyAwardTable[] = fresh.map((w) => ({
          id: newId(),
          kind: 'festival',
          year: body.year,
          person_id: w.person_id,
          model_worker_id: w.id,
          instance_id: null,
          unit_org_id: unitOf(w),
          policy_id: null,
          amount_fen: null,
          org_id: org.id,
          org_path: org.path,
          province_root: org.province_root,
          plan_id: null,
          payment_date: null,
          payout_line_id: null,
          status: 'pending',
          transfer_id: null,
          failure_reason: null,
          created_at: at,
          updated_at: at,
          paid_at: null,
        }));
        for (let i = 0; i < rows.length; i += PLAN_CHUNK) await repo.insertAwards(s.trx, rows.slice(i, i + PLAN_CHUNK));
        await s.audit({
          action: 'subsidy.festival.generate',
          subjectType: 'organization',
          subjectId: org.id,
          orgPath: org.path,
          changes: [
            { field: 'year', to: body.year },
            { field: 'created', to: rows.length },
          ],
        });
        return rows.length;
      });
      return { created, existing: seen.all - created };
    },

    /**
     * The city federation's payment plan (发放方案): approved applications waiting in `plan` and
     * the generated greetings of the year. Per chunk, one unit of work: the award rows, the
     * transfer budget → payee's payable (key `subsidy:<kind>:<year>:<person>`, so nothing is
     * moved twice), and the applications' step to `paying`. Then one payout batch of the lines.
     */
    async createPlan(ctx: RequestContext, body: z.infer<typeof subsidyPlanBody>) {
      const org = await orgInScope(ctx, 'finance.pay', body.orgId);
      requireFederation(org);
      const paymentDate = body.paymentDate ?? localDate(deps.now());
      const kinds: SubsidyKind[] = body.kind ? [body.kind] : ['festival', 'hardship', 'farmer'];

      type Candidate = { kind: SubsidyKind; instanceId: string | null; awardId: string | null; personId: string };
      const collect = async (q: Q): Promise<Candidate[]> => {
        const keys = kinds.filter((k) => k !== 'festival').map((k) => keyOfKind(k as 'hardship' | 'farmer'));
        const instances = keys.length ? await repo.instancesIn(q, keys, 'plan', org.path) : [];
        const festival = kinds.includes('festival') ? await repo.awaitingFestival(q, org.id, body.year) : [];
        return [
          ...instances
            .filter((i) => (JSON.parse(i.data) as SubsidyData).year === body.year)
            .map((i) => ({
              kind: kindOfKey(i.definition_key) as SubsidyKind,
              instanceId: i.id,
              awardId: null,
              personId: i.applicant_person_id!,
            })),
          ...festival.map((a) => ({
            kind: 'festival' as const,
            instanceId: null,
            awardId: a.id,
            personId: a.person_id,
          })),
        ];
      };
      const candidates = await collect(db);
      if (candidates.length === 0) throw new AppError('SUBSIDY_NOTHING_TO_PLAN');

      const planId = newId();
      let planStored = false;
      const skipped: PlanSkip[] = [];
      const lines: { personId: string; amount: number; memo: string; reference: { type: string; id: string } }[] = [];

      for (let i = 0; i < candidates.length; i += PLAN_CHUNK) {
        const chunk = candidates.slice(i, i + PLAN_CHUNK);
        try {
          const result = await write(ctx, async (s) => {
            // Inside the chain lock what another plan took is visible: it is skipped, not paid twice.
            await ledger.serialise(s.trx);
            const at = iso();
            const chunkLines: typeof lines = [];
            const chunkAwards: { award: SubsidyAwardTable; phone: string | null }[] = [];
            const chunkSkips: PlanSkip[] = [];
            const rules = new Map<SubsidyKind, SubsidyPolicyTable>();
            const budget = await ledger.openAccount(s, { kind: 'budget', orgId: org.id, purpose: SUBSIDY_PURPOSE });
            const scoped = engineIn(s);
            for (const c of chunk) {
              const instance = c.instanceId ? await repo.findInstance(s.trx, c.instanceId) : null;
              if (c.instanceId && instance?.state !== 'plan') continue;
              const data = instance ? (JSON.parse(instance.data) as SubsidyData) : null;
              let award = c.awardId
                ? await repo.findAward(s.trx, c.awardId)
                : await repo.awardOf(s.trx, c.personId, c.kind, body.year);
              if (award && award.status !== 'pending' && award.status !== 'failed') continue;
              if (award && c.instanceId && award.instance_id !== c.instanceId) {
                chunkSkips.push({ personName: data!.personName, kind: c.kind, reason: 'already_awarded' });
                continue;
              }
              const worker = await repo.findWorker(s.trx, award?.model_worker_id ?? data!.modelWorkerId);
              if (!worker) continue;
              if (!worker.has_bank_card) {
                chunkSkips.push({ personName: worker.person_name, kind: c.kind, reason: 'no_bank_card' });
                continue;
              }
              // A failed payment keeps its amount: that money is back on the payable already.
              let rule: SubsidyPolicyTable | null = null;
              let amount = award?.status === 'failed' ? award.amount_fen! : null;
              if (amount === null) {
                rule = rules.get(c.kind) ?? (await storedRuleFor(s, ctx, org, c.kind, paymentDate));
                rules.set(c.kind, rule);
                amount = c.kind === 'hardship' ? data!.approvedAmountFen! : rule.amount_min_fen;
                if (amount < rule.amount_min_fen || amount > rule.amount_max_fen) {
                  chunkSkips.push({ personName: worker.person_name, kind: c.kind, reason: 'amount_outside_rule' });
                  continue;
                }
              }
              if (!planStored) {
                const plan: SubsidyPlanTable = {
                  id: planId,
                  org_id: org.id,
                  org_path: org.path,
                  province_root: org.province_root,
                  year: body.year,
                  kind: body.kind ?? null,
                  payment_date: paymentDate,
                  status: 'building',
                  payout_batch_id: null,
                  award_count: 0,
                  total_fen: 0,
                  created_by: ctx.actor.id,
                  created_at: at,
                  updated_at: at,
                };
                await repo.insertPlan(s.trx, plan);
                planStored = true;
              }
              const set = {
                status: 'planned' as const,
                plan_id: planId,
                amount_fen: amount,
                policy_id: award?.policy_id ?? rule?.id ?? null,
                payment_date: award?.status === 'failed' ? award.payment_date : paymentDate,
                failure_reason: null,
                payout_line_id: null,
                updated_at: at,
              };
              if (award) {
                if (!(await repo.updateAwardFrom(s.trx, award.id, ['pending', 'failed'], set))) continue;
                award = { ...award, ...set };
              } else {
                award = {
                  id: newId(),
                  kind: c.kind,
                  year: body.year,
                  person_id: c.personId,
                  model_worker_id: worker.id,
                  instance_id: c.instanceId,
                  unit_org_id: instance!.org_id,
                  org_id: org.id,
                  org_path: org.path,
                  province_root: org.province_root,
                  transfer_id: null,
                  created_at: at,
                  paid_at: null,
                  ...set,
                };
                await repo.insertAward(s.trx, award);
              }
              const payable = await ledger.openAccount(s, {
                kind: 'payable',
                orgId: org.id,
                purpose: SUBSIDY_PURPOSE,
                personId: c.personId,
              });
              const memo = `${body.year}年度劳模${KIND_NAMES[c.kind]}`;
              const posted = await ledger.post(
                s,
                {
                  idempotencyKey: `subsidy:${c.kind}:${body.year}:${c.personId}`,
                  debitAccountId: budget.id,
                  creditAccountId: payable.id,
                  amount,
                  kind: 'subsidy.award',
                  memo,
                  reference: { type: AWARD_REFERENCE, id: award.id },
                },
                ctx.actor.id,
              );
              if (!award.transfer_id) {
                await repo.updateAwardFrom(s.trx, award.id, ['planned'], { transfer_id: posted.transfer.id });
              }
              await s.audit({
                action: 'subsidy.award.plan',
                subjectType: 'subsidy_award',
                subjectId: award.id,
                orgPath: org.path,
                changes: [
                  { field: 'planId', to: planId },
                  { field: 'amountFen', to: amount },
                  { field: 'kind', to: c.kind },
                ],
              });
              if (c.instanceId) await scoped.act(SYS, c.instanceId, { action: 'schedule' });
              chunkLines.push({
                personId: c.personId,
                amount,
                memo,
                reference: { type: AWARD_REFERENCE, id: award.id },
              });
              chunkAwards.push({ award, phone: worker.phone_cipher });
            }
            if (chunkLines.length === 0) throw new NothingPlanned();
            // Festival greetings have no application to carry a notice: the payee hears by SMS,
            // queued with the chunk that planned the award.
            await deps.smsQueue.enqueue(
              s,
              chunkAwards.flatMap(({ award, phone }) =>
                award.kind === 'festival' && phone
                  ? [
                      {
                        phone: deps.cipher.decrypt(phone, PERSON_PHONE_CONTEXT),
                        purpose: 'subsidy.festival',
                        text: `【工会】您的${award.year}年度劳模双节慰问金 ${formatYuan(award.amount_fen!)} 元已列入市总工会发放计划，将汇入您登记的银行卡。`,
                      },
                    ]
                  : [],
              ),
            );
            return { chunkLines, chunkSkips };
          });
          lines.push(...result.chunkLines);
          skipped.push(...result.chunkSkips);
        } catch (err) {
          if (!(err instanceof NothingPlanned)) throw err;
        }
      }
      if (lines.length === 0) throw new AppError('SUBSIDY_NOTHING_TO_PLAN');

      const { batch, lines: batchLines } = await payouts.createBatch(ctx, {
        orgId: org.id,
        purpose: SUBSIDY_PURPOSE,
        lines,
        memo: `${body.year}年度劳模专项补助`,
      });
      const total = lines.reduce((sum, l) => sum + l.amount, 0);
      await write(ctx, async (s) => {
        await repo.setLines(
          s.trx,
          batchLines.map((l) => ({ awardId: l.reference_id!, lineId: l.id })),
        );
        await repo.updatePlan(s.trx, planId, {
          status: 'batched',
          payout_batch_id: batch.id,
          award_count: lines.length,
          total_fen: total,
          updated_at: iso(),
        });
        await s.audit({
          action: 'subsidy.plan.create',
          subjectType: 'subsidy_plan',
          subjectId: planId,
          orgPath: org.path,
          changes: [
            { field: 'year', to: body.year },
            { field: 'paymentDate', to: paymentDate },
            { field: 'payoutBatchId', to: batch.id },
            { field: 'awardCount', to: lines.length },
            { field: 'totalFen', to: total },
          ],
        });
      });
      const plan = (await repo.findPlan(db, planId))!;
      return presentPlan(plan, await repo.planTotals(db, [planId]), skipped);
    },

    async plans(
      ctx: RequestContext,
      query: { orgId?: string | undefined; year?: number | undefined; page: number; pageSize: number },
    ) {
      let scope = scopeFor(ctx.principal, 'finance.read');
      if (query.orgId) {
        const org = await repo.findOrg(db, query.orgId);
        if (!org) throw AppError.notFound();
        scope = narrowScope(scope, org.path);
      }
      const { rows, total } = await repo.plans(db, scope, query.year, {
        limit: query.pageSize,
        offset: (query.page - 1) * query.pageSize,
      });
      const totals = await repo.planTotals(
        db,
        rows.map((r) => r.id),
      );
      return {
        items: rows.map((r) =>
          presentPlan(
            r,
            totals.filter((x) => x.plan_id === r.id),
            [],
          ),
        ),
        total,
        page: query.page,
        pageSize: query.pageSize,
      };
    },

    async mine(ctx: RequestContext) {
      if (ctx.actor.kind !== 'user') throw new AppError('UNAUTHENTICATED');
      const personId = await repo.personIdOfUser(db, ctx.actor.id);
      if (!personId) throw new AppError('SUBSIDY_PERSON_NOT_BOUND');
      const rows = await repo.instancesOfPerson(db, personId, SUBSIDY_KEYS);
      const awards = await repo.awardsOfPerson(db, personId);
      const worker = (await repo.workersOfPerson(db, personId))[0];
      return {
        applications: await presentRows(ctx, rows),
        awards: awards.map((a) => presentAward(a, worker?.person_name ?? '')),
      };
    },

    /** Paid per kind and per county (the county federation above the model worker's union). */
    async report(ctx: RequestContext, query: { orgId: string; year: number }) {
      const org = await orgInScope(ctx, 'subsidy.review', query.orgId);
      const paid = await repo.paidIn(db, narrowScope(scopeFor(ctx.principal, 'subsidy.review'), org.path), query.year);
      const ids = [...new Set(paid.flatMap((p) => idsOnPath(p.unit_path)))];
      const orgs = new Map((await repo.orgsByIds(db, ids)).map((o) => [o.id, o]));
      const rows = new Map<
        string,
        { countyId: string | null; countyName: string | null; kind: SubsidyKind; count: number; totalFen: number }
      >();
      const totals = new Map<SubsidyKind, { kind: SubsidyKind; count: number; totalFen: number }>();
      for (const p of paid) {
        const county = idsOnPath(p.unit_path)
          .map((id) => orgs.get(id))
          .filter((o) => o?.level === 'county')
          .at(-1);
        const key = `${county?.id ?? ''}:${p.kind}`;
        const row = rows.get(key) ?? {
          countyId: county?.id ?? null,
          countyName: county?.name ?? null,
          kind: p.kind,
          count: 0,
          totalFen: 0,
        };
        row.count++;
        row.totalFen += Number(p.amount_fen);
        rows.set(key, row);
        const tot = totals.get(p.kind) ?? { kind: p.kind, count: 0, totalFen: 0 };
        tot.count++;
        tot.totalFen += Number(p.amount_fen);
        totals.set(p.kind, tot);
      }
      return {
        year: query.year,
        rows: [...rows.values()].sort(
          (a, b) => (a.countyName ?? '').localeCompare(b.countyName ?? '') || a.kind.localeCompare(b.kind),
        ),
        totals: [...totals.values()],
      };
    },
  };
}
export type SubsidiesService = ReturnType<typeof createSubsidiesService>;

export { FARMER_KEY, HARDSHIP_KEY, SEED_RULES };
