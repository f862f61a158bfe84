import {
  type foundingApplyBody,
  type foundingStepBody,
  parseCreditCode,
  type workUnitCreateBody,
} from '@zhgh/contracts';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import { covers, narrowScope, scopeFor } from '../../core/access/scope.ts';
import type { RequestContext } from '../../core/actor.ts';
import { AppError, fieldError } from '../../core/app-error.ts';
import { localDate } from '../../core/calendar.ts';
import type { CoreDeps } from '../../core/deps.ts';
import { newId } from '../../core/ids.ts';
import type { WriteScope } from '../../core/unit-of-work.ts';
import { type Effect, transitionsFrom } from '../../core/workflow/definition.ts';
import { type WorkflowEngine, workflowEngineIn } from '../../core/workflow/engine.ts';
import { isUniqueViolation, lockShared } from '../../db/dialect.ts';
import { ORG_TREE_LOCK } from '../../db/org-scoped.ts';
import type { FoundingApplicationTable } from '../../db/schema.ts';
import type { OrgsService } from '../orgs/orgs.service.ts';
import type { RegionsService } from '../regions/regions.service.ts';
import { creditCodeProblem } from '../work-units/work-units.policy.ts';
import type { WorkUnitsService } from '../work-units/work-units.service.ts';
import {
  assemblyProblems,
  choosableHandlers,
  defaultHandler,
  electionProblems,
  regionChain,
  routeFounding,
  unionNameFor,
} from './founding.policy.ts';
import { presentApplication } from './founding.presenter.ts';
import { type ApplicationRow, foundingRepository as repo } from './founding.repository.ts';
import { FOUNDING_KEY, type FoundingData, foundingDefinition } from './founding.workflow.ts';

/** Cipher context of the contact phone (never shared with another table's). */
export const CONTACT_PHONE_CTX = 'founding_application.contact_phone';

type ApplyBody = z.infer<typeof foundingApplyBody>;
type StepBody = z.infer<typeof foundingStepBody>;
type UnitInput = z.infer<typeof workUnitCreateBody>;

const t = (zh: string, en: string) => ({ 'zh-CN': zh, en });
/** Steps that file the member-assembly request, and those that file the election results. */
const ASSEMBLY_ACTIONS = ['requestAssembly', 'resubmitAssembly'];
const ELECTION_ACTIONS = ['submitResults', 'resubmitResults'];

export function createFoundingService(
  deps: CoreDeps,
  engine: WorkflowEngine,
  orgs: OrgsService,
  workUnits: WorkUnitsService,
  regions: RegionsService,
) {
  const { db, write, cipher, dialect } = deps;
  const iso = () => deps.now().toISOString();

  const engineIn = (s: WriteScope) => workflowEngineIn(deps, engine.registry, s);

  /** The workplace has a union already: named only to an actor who could read that union anyway. */
  function unitHasUnion(
    ctx: RequestContext,
    union: { union_name: string | null; union_path: string | null },
    field: string,
  ): AppError {
    const visible = covers(scopeFor(ctx.principal, 'org.read'), union.union_path);
    return new AppError('FOUNDING_UNIT_HAS_UNION', [
      fieldError(
        field,
        'invalid',
        visible && union.union_name
          ? t(`该单位已由「${union.union_name}」覆盖`, `This workplace is covered by "${union.union_name}"`)
          : t('该单位已建立工会', 'This workplace already has a union'),
      ),
    ]);
  }

  /**
   * The final approval, inside the step's transaction: the grassroots union under the handling
   * union (with its counters, as every creation), the workplace registered or, when its credit
   * code is on record without a union, covered and filed under the new union, the chair
   * recorded; the application marks what it made.
   */
  const found: Effect<FoundingData> = async (e) => {
    const s = e.scope;
    const row = await repo.findByInstance(e.trx, e.instance.id);
    if (!row) throw new Error(`founding instance ${e.instance.id} has no application`);
    const existing = await repo.unitByCreditCode(e.trx, row.credit_code);
    if (existing?.union_org_id) throw unitHasUnion(e.ctx, existing, 'creditCode');
    const union = await orgs.createChildIn(s, {
      parentId: e.instance.orgId,
      name: unionNameFor(row.unit_name),
      type: 'grassroots',
      level: null,
      regionCode: row.region_code,
    });
    const unit = existing
      ? await workUnits.coverByUnionIn(s, existing.id, union, {
          chairName: row.chair_name!,
          employeeCount: row.employee_count,
        })
      : await workUnits.registerIn(s, {
          name: row.unit_name,
          creditCode: row.credit_code,
          unitType: row.unit_type as UnitInput['unitType'],
          industry: row.industry as UnitInput['industry'],
          regionCode: row.region_code,
          address: row.address,
          employeeCount: row.employee_count,
          foundedOn: null,
          chairName: row.chair_name!,
          contactName: row.contact_name,
          contactPhone: cipher.decrypt(row.contact_phone_cipher, CONTACT_PHONE_CTX),
          orgId: union.id,
          unionOrgId: union.id,
        });
    const at = e.now.toISOString();
    await repo.update(e.trx, row.id, {
      status: 'founded',
      union_org_id: union.id,
      work_unit_id: unit.id,
      founded_at: at,
      updated_at: at,
    });
    await e.audit({
      action: 'founding.application.found',
      subjectType: 'founding_application',
      subjectId: row.id,
      orgPath: union.path,
      changes: [
        { field: 'status', from: 'open', to: 'founded' },
        { field: 'unionOrgId', to: union.id },
        { field: 'workUnitId', to: unit.id },
        { field: 'workUnitExisted', to: existing !== undefined },
      ],
    });
  };

  engine.registry.register(foundingDefinition({ found }));

  async function present(ctx: RequestContext, rows: readonly ApplicationRow[]) {
    const now = deps.now();
    return rows.map((row) => {
      const def = engine.registry.get(row.instance.definition_key, row.instance.definition_version);
      return presentApplication(
        row,
        cipher.decrypt(row.contact_phone_cipher, CONTACT_PHONE_CTX),
        def,
        def ? engine.actionsFor(ctx, row.instance, def) : [],
        now,
      );
    });
  }

  /** An application the actor may see (the engine's rule), else the 404 of a missing id. */
  async function visible(ctx: RequestContext, id: string) {
    const row = await repo.findById(db, id);
    if (!row?.instance_id) throw AppError.notFound();
    const detail = await engine.get(ctx, row.instance_id);
    return { row, detail };
  }

  async function presentOne(ctx: RequestContext, id: string) {
    const row = (await repo.findById(db, id))!;
    return (await present(ctx, [(await repo.withInstance(db, row))!]))[0]!;
  }

  function normalizeCreditCode(raw: string): string {
    const parsed = parseCreditCode(raw);
    if (!parsed.ok) throw creditCodeProblem('body.creditCode', parsed.problem);
    return parsed.value;
  }

  /** The step's own data, checked against the application; what the step writes to it. */
  function stepData(row: FoundingApplicationTable, body: StepBody): Partial<FoundingApplicationTable> {
    const refuse = (field: string) =>
      AppError.invalid(`body.${field}`, 'unknown_field', {
        'zh-CN': `该环节不接受 ${field}`,
        en: `${field} is not part of the step ${body.action}`,
      });
    const today = localDate(deps.now());
    const set: Partial<FoundingApplicationTable> = {};
    if (body.unit && body.action !== 'resubmit') throw refuse('unit');
    if (body.assembly && !ASSEMBLY_ACTIONS.includes(body.action)) throw refuse('assembly');
    if (body.election && !ELECTION_ACTIONS.includes(body.action)) throw refuse('election');
    if (body.unit) {
      const u = body.unit;
      if (u.unitName !== undefined) set.unit_name = u.unitName;
      if (u.unitType !== undefined) set.unit_type = u.unitType;
      if (u.industry !== undefined) set.industry = u.industry;
      if (u.address !== undefined) set.address = u.address;
      if (u.employeeCount !== undefined) set.employee_count = u.employeeCount;
      if (u.contactName !== undefined) set.contact_name = u.contactName;
      if (u.contactPhone !== undefined) set.contact_phone_cipher = cipher.encrypt(u.contactPhone, CONTACT_PHONE_CTX);
    }
    if (ASSEMBLY_ACTIONS.includes(body.action)) {
      const a = body.assembly;
      if (!a)
        throw AppError.invalid(
          'body.assembly',
          'required',
          t('请填写会员大会申请', 'file the member-assembly request'),
        );
      const problems = assemblyProblems(a, row.employee_count, today, 'body.assembly');
      if (problems.length > 0) throw new AppError('VALIDATION_FAILED', problems);
      set.assembly_date = a.assemblyDate;
      set.assembly_expected_members = a.expectedMembers;
      set.assembly_candidates = JSON.stringify(a.candidates);
    }
    if (ELECTION_ACTIONS.includes(body.action)) {
      const e = body.election;
      if (!e) throw AppError.invalid('body.election', 'required', t('请填写选举结果', 'file the election results'));
      const problems = electionProblems(e, row.employee_count, today, 'body.election');
      if (problems.length > 0) throw new AppError('VALIDATION_FAILED', problems);
      set.elected_on = e.electedOn;
      set.chair_name = e.chairName;
      set.vice_chair_names = JSON.stringify(e.viceChairNames);
      set.committee_names = JSON.stringify(e.committeeNames);
      set.member_count = e.memberCount;
    }
    return set;
  }

  /** Field names the audit records for a change of the application (values may be personal). */
  const FIELD_NAMES: Record<string, string> = {
    unit_name: 'unitName',
    unit_type: 'unitType',
    industry: 'industry',
    address: 'address',
    employee_count: 'employeeCount',
    contact_name: 'contactName',
    contact_phone_cipher: 'contactPhone',
    assembly_date: 'assembly.assemblyDate',
    assembly_expected_members: 'assembly.expectedMembers',
    assembly_candidates: 'assembly.candidates',
    elected_on: 'election.electedOn',
    chair_name: 'election.chairName',
    vice_chair_names: 'election.viceChairNames',
    committee_names: 'election.committeeNames',
    member_count: 'election.memberCount',
  };

  return {
    key: FOUNDING_KEY,

    /** The default handling union of a region and the unions one may choose instead. */
    async handlingUnions(regionCode: string) {
      regions.requireKnown(regionCode, 'query.regionCode');
      const candidates = await repo.handlersIn(db, regionChain(regionCode));
      const fallback = defaultHandler(regionCode, candidates);
      const items = [...(fallback ? [fallback] : []), ...choosableHandlers(regionCode, candidates)];
      return {
        defaultOrgId: fallback?.id ?? null,
        items: items.map((c) => ({ id: c.id, name: c.name, type: c.type, regionCode: c.region_code! })),
      };
    },

    /**
     * A workplace's contact applies: the application row and its instance in one unit of work,
     * routed to the handling union. Refused when the workplace has a union, or an application
     * of its credit code is open (the partial unique index settles two at once).
     */
    async apply(ctx: RequestContext, body: ApplyBody) {
      if (ctx.actor.kind !== 'user') throw new AppError('UNAUTHENTICATED');
      const applicant = ctx.actor.id;
      const creditCode = normalizeCreditCode(body.creditCode);
      regions.requireKnown(body.regionCode, 'body.regionCode');
      const route = routeFounding(
        body.regionCode,
        await repo.handlersIn(db, regionChain(body.regionCode)),
        body.handlingOrgId,
      );
      if ('problem' in route) {
        if (route.problem === 'chosen') {
          throw AppError.invalid(
            'body.handlingOrgId',
            'invalid',
            t(
              '所选工会不是本地区可受理建会的乡镇（街道）、联合或产业工会',
              'The union chosen is not a township, joint or industry union of the region',
            ),
          );
        }
        throw new AppError('FOUNDING_NO_HANDLING_UNION', [fieldError('body.regionCode', 'invalid')]);
      }
      const unit = await repo.unitByCreditCode(db, creditCode);
      if (unit?.union_org_id) throw unitHasUnion(ctx, unit, 'body.creditCode');
      const alreadyOpen = () => new AppError('FOUNDING_ALREADY_OPEN', [fieldError('body.creditCode', 'invalid')]);
      if (await repo.findOpenByCreditCode(db, creditCode)) throw alreadyOpen();

      let id: string;
      try {
        id = await write(ctx, async (s) => {
          await lockShared(s.trx as unknown as Kysely<unknown>, dialect, ORG_TREE_LOCK);
          // The handling union's path as it is now, inside the lock.
          const handler = await repo.findOrg(s.trx, route.handler.id);
          if (!handler) throw AppError.notFound();
          if (handler.status !== 'active') throw new AppError('ORG_NOT_ACTIVE');
          const at = iso();
          const row: FoundingApplicationTable = {
            id: newId(),
            instance_id: null,
            applicant_user_id: applicant,
            unit_name: body.unitName,
            credit_code: creditCode,
            unit_type: body.unitType,
            industry: body.industry,
            region_code: body.regionCode,
            address: body.address,
            employee_count: body.employeeCount,
            contact_name: body.contactName,
            contact_phone_cipher: cipher.encrypt(body.contactPhone, CONTACT_PHONE_CTX),
            assembly_date: null,
            assembly_expected_members: null,
            assembly_candidates: null,
            elected_on: null,
            chair_name: null,
            vice_chair_names: null,
            committee_names: null,
            member_count: null,
            status: 'open',
            union_org_id: null,
            work_unit_id: null,
            org_id: handler.id,
            org_path: handler.path,
            province_root: handler.province_root,
            created_at: at,
            updated_at: at,
            founded_at: null,
          };
          // First the row: a duplicate is refused here, before an instance (and its message) exists.
          await repo.insert(s.trx, row);
          await s.audit({
            action: 'founding.application.create',
            subjectType: 'founding_application',
            subjectId: row.id,
            orgPath: handler.path,
            changes: [
              { field: 'creditCode', to: creditCode },
              { field: 'unitName', to: body.unitName },
              { field: 'handlingOrgId', to: handler.id },
              { field: 'contactPhone', sensitive: true },
            ],
          });
          const data: FoundingData = { applicationId: row.id, unitName: body.unitName, creditCode };
          const view = await engineIn(s).start(ctx, {
            definitionKey: FOUNDING_KEY,
            orgId: handler.id,
            subjectId: row.id,
            applicantUserId: applicant,
            data,
          });
          await repo.update(s.trx, row.id, { instance_id: view.id });
          return row.id;
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw alreadyOpen();
        throw err;
      }
      return presentOne(ctx, id);
    },

    async mine(ctx: RequestContext) {
      if (ctx.actor.kind !== 'user') throw new AppError('UNAUTHENTICATED');
      return { items: await present(ctx, await repo.ofApplicant(db, ctx.actor.id)) };
    },

    async list(
      ctx: RequestContext,
      query: {
        orgId?: string | undefined;
        state?: string | undefined;
        status?: FoundingApplicationTable['status'] | undefined;
        overdue?: boolean | undefined;
        q?: string | undefined;
        page: number;
        pageSize: number;
      },
    ) {
      let scope = scopeFor(ctx.principal, 'founding.review');
      if (query.orgId) {
        const org = await repo.findOrg(db, query.orgId);
        if (!org) throw AppError.notFound();
        scope = narrowScope(scope, org.path);
      }
      const { rows, total } = await repo.list(
        db,
        scope,
        { state: query.state, status: query.status, overdueAt: query.overdue ? iso() : undefined, q: query.q },
        { limit: query.pageSize, offset: (query.page - 1) * query.pageSize },
      );
      return { items: await present(ctx, rows), total, page: query.page, pageSize: query.pageSize };
    },

    async get(ctx: RequestContext, id: string) {
      await visible(ctx, id);
      return presentOne(ctx, id);
    },

    /**
     * One step: the step's data (corrections, the assembly request, the election results) is
     * written to the application and the engine takes the step in the same unit of work, so a
     * refused step leaves the application as it was.
     */
    async step(ctx: RequestContext, id: string, body: StepBody) {
      const { row, detail } = await visible(ctx, id);
      // The engine's order of refusals: not available now (409), not yours to take (403), then the input.
      if (!detail.actions.includes(body.action)) {
        const available = transitionsFrom(detail.definition, detail.instance.state).some(
          (x) => x.action === body.action,
        );
        throw new AppError(available ? 'WORKFLOW_ACTION_FORBIDDEN' : 'WORKFLOW_ACTION_UNAVAILABLE');
      }
      const set = stepData(row, body);
      try {
        await write(ctx, async (s) => {
          const changed = Object.keys(set);
          if (changed.length > 0) {
            await repo.update(s.trx, row.id, { ...set, updated_at: iso() });
            await s.audit({
              action: 'founding.application.file',
              subjectType: 'founding_application',
              subjectId: row.id,
              orgPath: row.org_path,
              changes: changed.map((c) => ({ field: FIELD_NAMES[c] ?? c, sensitive: true as const })),
            });
          }
          await engineIn(s).act(ctx, row.instance_id!, {
            action: body.action,
            comment: body.comment ?? null,
            ...(body.expectedVersion !== undefined ? { expectedVersion: body.expectedVersion } : {}),
          });
        });
      } catch (err) {
        // A workplace registered by someone else while the union was being founded.
        if (isUniqueViolation(err))
          throw new AppError('FOUNDING_UNIT_HAS_UNION', [fieldError('creditCode', 'invalid')]);
        throw err;
      }
      return presentOne(ctx, id);
    },
  };
}
export type FoundingService = ReturnType<typeof createFoundingService>;
