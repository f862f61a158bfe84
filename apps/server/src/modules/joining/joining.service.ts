import {
  ageOn,
  type ErrorCode,
  type JoinForm,
  type JoinRoute,
  type JoinSource,
  type NEW_FORM_GROUPS,
  type CodeOf,
  parseCreditCode,
  statusOf,
} from '@zhgh/contracts';
import type { Kysely } from 'kysely';
import { covers, narrowScope, requireInScope, scopeFor } from '../../core/access/scope.ts';
import type { RequestContext } from '../../core/actor.ts';
import { AppError, fieldError } from '../../core/app-error.ts';
import { localDate } from '../../core/calendar.ts';
import type { CoreDeps } from '../../core/deps.ts';
import { newId } from '../../core/ids.ts';
import type { WriteScope } from '../../core/unit-of-work.ts';
import type { InstanceView } from '../../core/workflow/definition.ts';
import { type WorkflowEngine, workflowEngineIn } from '../../core/workflow/engine.ts';
import { isUniqueViolation } from '../../db/dialect.ts';
import type { DB, JoinApplicationTable, WorkUnitTable } from '../../db/schema.ts';
import type { CardsService } from '../cards/cards.service.ts';
import { type Identity, PERSON_FIELD_CONTEXTS } from '../members/members.policy.ts';
import { membersRepository } from '../members/members.repository.ts';
import { type MembersService } from '../members/members.service.ts';
import type { RegionsService } from '../regions/regions.service.ts';
import {
  alreadyMember,
  applicationPending,
  checkJoinForm,
  chooseUnion,
  documentsNeeded,
  rankLocal,
  type RouteOrg,
  unionChanged,
  welcomeText,
  type WorkRegion,
} from './joining.policy.ts';
import { presentApplication } from './joining.presenter.ts';
import { type ApplicationRow, joiningRepository as repo } from './joining.repository.ts';
import { type Approval, JOIN_KEY, type JoinData, joinDefinition } from './joining.workflow.ts';

type Q = Kysely<DB>;
const C = PERSON_FIELD_CONTEXTS;
const USER_PHONE_CTX = 'user.phone';
const POOL_TYPES = ['industry', 'joint', 'grassroots'];

/** What starts one application: the form, and the phone when it is not the applicant account's. */
export interface StartJoinInput extends JoinForm {
  phone?: string | null | undefined;
}

/**
 * How an application comes in. Portal: the signed-in worker for themselves. Group enrollment
 * (list import, event QR code) starts rows for workers without an account, by a cadre holding
 * `membership.enroll` at the union, grouped by `batchId`.
 */
export interface StartJoinOptions {
  source: JoinSource;
  batchId?: string | null | undefined;
  applicantUserId?: string | null | undefined;
}

/**
 * One application to file where the union is settled: routed by `prepare` from a worker's
 * form, or the union that enrolls a list or runs an event (group enrollment).
 */
export interface Filing {
  name: string;
  identity: Identity;
  phone: string | null;
  workUnitId: string | null;
  workUnitName: string | null;
  workRegionCode: string | null;
  employmentType: string;
  newFormGroup: string | null;
  unionOrgId: string;
  route: JoinRoute;
  /** The person on record with this ID number, if any (a rejoin). */
  personId: string | null;
}

/** One row's answer in a batch approval. */
export interface JoinBatchAnswer {
  id: string;
  ok: boolean;
  state: string | null;
  code: ErrorCode | null;
  status: number | null;
}

function userOf(ctx: RequestContext): string {
  if (ctx.actor.kind !== 'user') throw new AppError('UNAUTHENTICATED');
  return ctx.actor.id;
}

/** A member number already held is a join refusal here: the worker is told how to transfer. */
function asJoinError(err: unknown): unknown {
  if (err instanceof AppError && err.code === 'MEMBER_ID_NUMBER_TAKEN') {
    return new AppError('JOIN_ALREADY_MEMBER', err.fields, err.detail);
  }
  return err;
}

export function createJoiningService(
  deps: CoreDeps,
  engine: WorkflowEngine,
  members: MembersService,
  cards: CardsService,
  regions: RegionsService,
) {
  const { db, write, cipher, blind } = deps;
  const today = () => localDate(deps.now());
  const idIndex = (idNumber: string) => blind.index(idNumber, C.idNumber);
  const phoneIndex = (phone: string) => blind.index(phone, C.phone);

  /**
   * Approval, inside the engine's step (one application, or a batch chunk at once): the person
   * (created, or reused on rejoining) and the membership with its member number, opened
   * set-based for a chunk; the applicant account linked to the person, the e-member card issued
   * to that account; and the welcome naming the union and the number.
   */
  const approve: Approval = async (es) => {
    if (es.length === 0) return [];
    const { trx, scope: s, ctx, now } = es[0]!;
    const apps = await repo.findByInstances(
      trx,
      es.map((e) => e.instance.id),
    );
    const opened = await members.openMembershipsIn(
      s,
      ctx,
      apps.map((app) => ({
        orgId: app.union_org_id,
        name: app.name,
        identity: {
          idNumber: cipher.decrypt(app.id_number_cipher, C.idNumber),
          gender: app.gender,
          birthDate: app.birth_date,
        } satisfies Identity,
        phone: app.phone_cipher ? cipher.decrypt(app.phone_cipher, C.phone) : null,
        employmentType: app.employment_type,
        newFormGroup: app.new_form_group,
        workUnitId: app.work_unit_id,
        // The record names a registered unit by id, an unregistered one by name (never both).
        workUnitName: app.work_unit_id ? null : app.work_unit_name,
        joinDate: localDate(now),
      })),
    );
    const at = now.toISOString();
    await repo.recordApprovals(
      trx,
      apps.map((app, i) => ({
        instanceId: app.instance_id!,
        personId: opened[i]!.person.id,
        membershipId: opened[i]!.membership.id,
      })),
      // One step for the whole set: the engine groups a batch by target state.
      es[0]!.to,
      at,
    );
    for (const [i, app] of apps.entries()) {
      const { person, membership } = opened[i]!;
      if (!app.applicant_user_id) continue;
      const account = await repo.account(trx, app.applicant_user_id);
      let bound = account?.person_id === person.id;
      // The account speaks for the person from now on, unless another account already does.
      if (account && !account.person_id && !(await repo.otherAccountOf(trx, person.id, account.id))) {
        bound = await repo.bindAccount(trx, account.id, person.id, at);
        if (bound) {
          await s.audit({
            action: 'user.realName.bind',
            subjectType: 'user_account',
            subjectId: account.id,
            changes: [
              { field: 'personId', from: null, to: person.id },
              { field: 'matchedBy', to: 'joinApplication' },
            ],
          });
        }
      }
      if (bound && account) {
        await cards.issueIn(s, {
          userId: account.id,
          personId: person.id,
          membershipId: membership.id,
          orgPath: membership.org_path,
        });
      }
    }
    const unionNames = await repo.orgNames(
      trx as Q,
      opened.map((o) => o.membership.org_id),
    );
    return opened.map(({ membership }) =>
      welcomeText(unionNames.get(membership.org_id) ?? '', membership.member_number ?? ''),
    );
  };

  engine.registry.register(joinDefinition(approve));

  const engineIn = (s: WriteScope) => workflowEngineIn(deps, engine.registry, s);

  /** A region code of the form, and the codes it lies in: the county, then its city. */
  function workRegion(code: string, field: string): WorkRegion {
    const region = regions.requireKnown(code, field);
    return {
      code: region.code,
      codes: region.level === 'county' && region.parentCode ? [region.code, region.parentCode] : [region.code],
    };
  }

  async function routeFor(form: JoinForm, creditCode: string | null) {
    let unit: WorkUnitTable | null = null;
    if (form.workUnitId) {
      unit = (await repo.findWorkUnit(db, form.workUnitId)) ?? null;
      if (!unit) {
        throw AppError.invalid('body.workUnitId', 'invalid', {
          'zh-CN': '没有找到这个登记的工作单位，请重新选择',
          en: 'No such registered employer; pick again',
        });
      }
    } else if (creditCode) {
      unit = (await repo.findWorkUnitByCreditCode(db, creditCode)) ?? null;
    }
    // The form's region, else where the registered employer is.
    const region = form.workRegionCode
      ? workRegion(form.workRegionCode, 'body.workRegionCode')
      : unit?.region_code
        ? workRegion(unit.region_code, 'body.workRegionCode')
        : null;
    const pool =
      form.employmentType === 'new_form' && form.newFormGroup && region
        ? await repo.poolFor(db, form.newFormGroup, region.codes)
        : null;
    const routing = chooseUnion({
      employmentType: form.employmentType,
      employer: unit
        ? { union: await repo.routeOrg(db, unit.union_org_id), answering: await repo.routeOrg(db, unit.org_id) }
        : null,
      region,
      pool,
      local: region ? await repo.localUnions(db, region.codes) : [],
      chosenLocalId: form.localUnionId ?? null,
    });
    return { ...routing, unit, region };
  }

  /**
   * Whether the refusal may name the union holding the membership: to a worker on the portal
   * only when the ID number is their own bound record; to a cadre inside their member.read scope.
   */
  function mayNameHolder(
    ctx: RequestContext,
    source: JoinSource,
    open: { person_id: string; org_path: string },
    boundPersonId: string | null,
  ): boolean {
    if (ctx.actor.kind === 'system') return true;
    // The worker applying for themselves (portal, event QR code) is told only of their own record.
    if (source === 'portal' || source === 'event') return boundPersonId !== null && boundPersonId === open.person_id;
    return covers(scopeFor(ctx.principal, 'member.read'), open.org_path);
  }

  /**
   * What every application must pass about its applicant, however it came in: no open
   * membership (its union named only to whom `mayNameHolder` allows), no other application
   * pending, the applicant account's own real-name record and nobody else's, and a phone that
   * is not another person's. The phone is the form's, else the applicant account's.
   */
  async function checkApplicant(
    ctx: RequestContext,
    identity: Identity,
    options: StartJoinOptions & { phone?: string | null | undefined; instanceId?: string },
  ) {
    const index = idIndex(identity.idNumber);
    const account = options.applicantUserId ? await repo.account(db, options.applicantUserId) : undefined;
    const phone =
      options.phone ?? (account?.phone_cipher ? cipher.decrypt(account.phone_cipher, USER_PHONE_CTX) : null) ?? null;

    const open = await membersRepository.findOpenMembershipByIdNumberIndex(db, index);
    if (open) {
      throw alreadyMember(
        mayNameHolder(ctx, options.source, open, account?.person_id ?? null) ? { orgName: open.org_name } : null,
      );
    }
    const pending = await repo.pendingOf(db, index);
    if (pending && pending.instance_id !== options.instanceId) throw applicationPending();

    const person = await membersRepository.findPersonByIdNumberIndex(db, index);
    if (account) {
      if (account.person_id && account.person_id !== person?.id) {
        throw new AppError('REAL_NAME_NOT_MATCHED', [
          fieldError('body.idNumber', 'invalid', {
            'zh-CN': '您的账号已绑定另一份实名信息，请用本人身份证号申请',
            en: 'Your account is linked to another real-name record: apply with your own ID number',
          }),
        ]);
      }
      if (person && (await repo.otherAccountOf(db, person.id, account.id))) throw new AppError('REAL_NAME_TAKEN');
    }
    if (phone) {
      const holder = await membersRepository.findPersonByPhoneIndex(db, phoneIndex(phone));
      if (holder && holder.id_number_index !== index) {
        throw new AppError('PHONE_TAKEN', [
          fieldError('phone', 'invalid', {
            'zh-CN': '您的手机号已登记在另一名会员名下，请联系工会核实',
            en: 'Your phone number is registered to another person; ask the union to check',
          }),
        ]);
      }
    }
    return { person: person ?? null, phone };
  }

  /** The stored form of a filing: the ID number and phone encrypted under the person's contexts. */
  function fieldsOf(f: Filing) {
    return {
      name: f.name,
      id_number_cipher: cipher.encrypt(f.identity.idNumber, C.idNumber),
      id_number_index: idIndex(f.identity.idNumber),
      gender: f.identity.gender,
      birth_date: f.identity.birthDate,
      phone_cipher: f.phone ? cipher.encrypt(f.phone, C.phone) : null,
      phone_index: f.phone ? phoneIndex(f.phone) : null,
      employment_type: f.employmentType,
      new_form_group: f.newFormGroup,
      work_unit_id: f.workUnitId,
      work_unit_name: f.workUnitName,
      work_region_code: f.workRegionCode,
      union_org_id: f.unionOrgId,
      route: f.route,
    } satisfies Partial<JoinApplicationTable>;
  }

  /** Everything a new or corrected form must pass before it is written. */
  async function prepare(
    ctx: RequestContext,
    form: StartJoinInput,
    options: StartJoinOptions & { instanceId?: string },
  ) {
    const { identity, creditCode } = checkJoinForm(form, today());
    const routed = await routeFor(form, creditCode);
    const { person, phone } = await checkApplicant(ctx, identity, { ...options, phone: form.phone });
    const filing: Filing = {
      name: form.name,
      identity,
      phone,
      workUnitId: routed.unit?.id ?? null,
      workUnitName: routed.unit?.name ?? form.workUnitName ?? null,
      workRegionCode: routed.region?.code ?? null,
      employmentType: form.employmentType,
      newFormGroup: form.newFormGroup ?? null,
      unionOrgId: routed.union.id,
      route: routed.route as JoinRoute,
      personId: person?.id ?? null,
    };
    return { filing, union: routed.union, route: routed.route };
  }

  async function presentRows(ctx: RequestContext, rows: ApplicationRow[]) {
    const ids = rows.map((r) => r.instance.id);
    const [names, attached, reasons, numbers] = await Promise.all([
      repo.orgNames(
        db,
        rows.map((r) => r.app.union_org_id),
      ),
      repo.attachedKinds(db, ids),
      repo.rejectionReasons(db, ids),
      repo.memberNumbers(
        db,
        rows.flatMap((r) => (r.app.membership_id ? [r.app.membership_id] : [])),
      ),
    ]);
    const now = deps.now();
    const day = new Date(`${today()}T00:00:00Z`);
    return rows.map(({ app, instance }) => {
      const definition = engine.registry.get(instance.definition_key, instance.definition_version)!;
      return presentApplication(
        {
          app,
          instance: engine.toView(instance),
          definition,
          actions: engine.actionsFor(ctx, instance, definition),
          idNumber: cipher.decrypt(app.id_number_cipher, C.idNumber),
          phone: app.phone_cipher ? cipher.decrypt(app.phone_cipher, C.phone) : null,
          age: ageOn(app.birth_date, day),
          unionName: names.get(app.union_org_id) ?? '',
          documentsNeeded: documentsNeeded(app.source, app.employment_type, app.route),
          documentsAttached: attached.get(instance.id) ?? new Set(),
          rejectionReason: reasons.get(instance.id) ?? null,
          memberNumber: app.membership_id ? (numbers.get(app.membership_id) ?? null) : null,
        },
        now,
      );
    });
  }

  /** A join application the actor may see (the engine's rule), else the 404 of a missing id. */
  async function visible(ctx: RequestContext, id: string): Promise<ApplicationRow> {
    const row = await repo.findRow(db, id);
    if (!row || row.instance.definition_key !== JOIN_KEY) throw AppError.notFound();
    await engine.get(ctx, id);
    return row;
  }

  async function presentOne(ctx: RequestContext, id: string) {
    return (await presentRows(ctx, [(await repo.findRow(db, id))!]))[0]!;
  }

  /** A step whose effect may open a membership: refusals said as joining says them. */
  async function step(
    ctx: RequestContext,
    id: string,
    input: Parameters<WorkflowEngine['act']>[2],
    app: ApplicationRow,
  ) {
    try {
      await engine.act(ctx, id, input);
    } catch (err) {
      if (isUniqueViolation(err)) {
        // A concurrent registration of the person or phone committed first: explain it.
        await members
          .explainTaken(ctx, {
            identity: {
              idNumber: cipher.decrypt(app.app.id_number_cipher, C.idNumber),
              gender: app.app.gender,
              birthDate: app.app.birth_date,
            },
            phone: app.app.phone_cipher ? cipher.decrypt(app.app.phone_cipher, C.phone) : null,
          })
          .catch((explained: unknown) => {
            throw asJoinError(explained);
          });
        throw new AppError('CONFLICT', undefined, 'unique violation without a visible holder');
      }
      throw asJoinError(err);
    }
  }

  /**
   * File applications inside the caller's unit of work: each form row first (the one-pending
   * index refuses a duplicate before the instance exists), then its instance on the engine,
   * then the link between them. The instance data holds ids only. Group enrollment files its
   * list rows and event scans here, at the union that enrolls them.
   */
  async function fileIn(
    s: WriteScope,
    ctx: RequestContext,
    filings: readonly Filing[],
    options: StartJoinOptions,
  ): Promise<InstanceView[]> {
    const scoped = engineIn(s);
    const at = deps.now().toISOString();
    const views: InstanceView[] = [];
    for (const f of filings) {
      const row: JoinApplicationTable = {
        id: newId(),
        instance_id: null,
        source: options.source,
        batch_id: options.batchId ?? null,
        applicant_user_id: options.applicantUserId ?? null,
        ...fieldsOf(f),
        state: 'submitted',
        pending: 1,
        person_id: null,
        membership_id: null,
        created_at: at,
        updated_at: at,
      };
      await repo.insertApplication(s.trx, row);
      const data: JoinData = { applicationId: row.id, unionOrgId: f.unionOrgId, source: options.source };
      const view = await scoped.start(ctx, {
        definitionKey: JOIN_KEY,
        orgId: f.unionOrgId,
        subjectId: row.id,
        applicantUserId: options.applicantUserId ?? null,
        applicantPersonId: f.personId,
        data,
      });
      await repo.linkInstance(s.trx, row.id, view.id);
      views.push(view);
    }
    return views;
  }

  /** Start one application, routed and checked (the portal, and the demo's list rows). */
  async function start(ctx: RequestContext, input: StartJoinInput, options: StartJoinOptions) {
    const { filing } = await prepare(ctx, input, options);
    try {
      const [view] = await write(ctx, (s) => fileIn(s, ctx, [filing], options));
      return view!;
    } catch (err) {
      // Two applications for one ID number at once: the index let one through.
      if (isUniqueViolation(err)) throw applicationPending();
      throw err;
    }
  }

  return {
    definitionKey: JOIN_KEY,
    start,
    fileIn,
    checkApplicant,

    /** The worker applies for themselves; their signed-in phone (proved by SMS) is the record's. */
    async submit(ctx: RequestContext, body: JoinForm) {
      const userId = userOf(ctx);
      const view = await start(ctx, body, { source: 'portal', applicantUserId: userId });
      return presentOne(ctx, view.id);
    },

    async mine(ctx: RequestContext) {
      return { items: await presentRows(ctx, await repo.mine(db, userOf(ctx))) };
    },

    async get(ctx: RequestContext, id: string) {
      await visible(ctx, id);
      return presentOne(ctx, id);
    },

    /** The applicant corrects the form of a pending or rejected application. */
    async resubmit(ctx: RequestContext, id: string, body: JoinForm & { expectedVersion?: number | undefined }) {
      const row = await visible(ctx, id);
      const detail = await engine.get(ctx, id);
      if (!detail.actions.includes('resubmit')) {
        throw new AppError(
          row.instance.applicant_user_id === ctx.actor.id ? 'WORKFLOW_ACTION_UNAVAILABLE' : 'WORKFLOW_ACTION_FORBIDDEN',
        );
      }
      const { expectedVersion, ...form } = body;
      const prepared = await prepare(ctx, form, {
        source: row.app.source,
        applicantUserId: row.app.applicant_user_id,
        instanceId: id,
      });
      if (prepared.union.id !== row.app.union_org_id) throw unionChanged(prepared.route);
      try {
        await write(ctx, async (s) => {
          await repo.updateApplication(s.trx, id, {
            ...fieldsOf(prepared.filing),
            updated_at: deps.now().toISOString(),
          });
          await engineIn(s).act(ctx, id, {
            action: 'resubmit',
            ...(expectedVersion !== undefined ? { expectedVersion } : {}),
          });
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw applicationPending();
        throw err;
      }
      return presentOne(ctx, id);
    },

    async queue(
      ctx: RequestContext,
      query: {
        orgId?: string | undefined;
        state?: string | undefined;
        overdue?: boolean | undefined;
        batchId?: string | undefined;
        page: number;
        pageSize: number;
      },
    ) {
      let scope = scopeFor(ctx.principal, 'membership.review');
      if (query.orgId) {
        const org = await repo.findOrg(db, query.orgId);
        if (!org) throw AppError.notFound();
        scope = narrowScope(scope, org.path);
      }
      const { rows, total } = await repo.queue(
        db,
        scope,
        {
          state: query.state,
          overdueAt: query.overdue ? deps.now().toISOString() : undefined,
          batchId: query.batchId,
        },
        { limit: query.pageSize, offset: (query.page - 1) * query.pageSize },
      );
      return { items: await presentRows(ctx, rows), total, page: query.page, pageSize: query.pageSize };
    },

    /** Approve; at the higher union during an appeal, grant it. */
    async approve(
      ctx: RequestContext,
      id: string,
      body: { comment?: string | undefined; expectedVersion?: number | undefined },
    ) {
      const row = await visible(ctx, id);
      const action = row.instance.state === 'appealReview' ? 'appealGrant' : 'approve';
      await step(
        ctx,
        id,
        {
          action,
          comment: body.comment ?? null,
          ...(body.expectedVersion !== undefined ? { expectedVersion: body.expectedVersion } : {}),
        },
        row,
      );
      return presentOne(ctx, id);
    },

    /** Reject with a reason; at the higher union during an appeal, deny it. */
    async reject(ctx: RequestContext, id: string, body: { reason: string; expectedVersion?: number | undefined }) {
      const row = await visible(ctx, id);
      const action = row.instance.state === 'appealReview' ? 'appealDeny' : 'reject';
      await step(
        ctx,
        id,
        {
          action,
          comment: body.reason,
          ...(body.expectedVersion !== undefined ? { expectedVersion: body.expectedVersion } : {}),
        },
        row,
      );
      return presentOne(ctx, id);
    },

    /**
     * 一键审核: the engine takes the selected steps in chunks, each row answered on its own. Ids
     * that are not join applications answer like missing ones.
     */
    async batchApprove(ctx: RequestContext, body: { ids: readonly string[]; comment?: string | undefined }) {
      const ids = [...new Set(body.ids)];
      const instances = ids.length
        ? await db
            .selectFrom('workflow_instance')
            .select(['id', 'definition_key', 'state'])
            .where('id', 'in', ids)
            .execute()
        : [];
      const byId = new Map(instances.map((i) => [i.id, i]));
      const answers = new Map<string, JoinBatchAnswer>();
      const byAction = new Map<string, string[]>();
      for (const id of ids) {
        const i = byId.get(id);
        if (!i || i.definition_key !== JOIN_KEY) {
          answers.set(id, { id, ok: false, state: null, code: 'NOT_FOUND', status: 404 });
          continue;
        }
        const action = i.state === 'appealReview' ? 'appealGrant' : 'approve';
        byAction.set(action, [...(byAction.get(action) ?? []), id]);
      }
      for (const [action, group] of byAction) {
        const results = await engine.actMany(ctx, group, { action, comment: body.comment ?? null });
        for (const r of results) {
          if (r.ok) answers.set(r.id, { id: r.id, ok: true, state: r.state, code: null, status: null });
          else {
            const code: ErrorCode = r.code === 'MEMBER_ID_NUMBER_TAKEN' ? 'JOIN_ALREADY_MEMBER' : r.code;
            answers.set(r.id, { id: r.id, ok: false, state: null, code, status: statusOf(code) });
          }
        }
      }
      const results = body.ids.map((id) => answers.get(id)!);
      return { results, approved: [...answers.values()].filter((a) => a.ok).length };
    },

    /** A federation names the union that takes one new-form group's workers in its region. */
    async setPool(
      ctx: RequestContext,
      body: { federationId: string; newFormGroup: CodeOf<typeof NEW_FORM_GROUPS>; poolOrgId: string },
    ) {
      const federation = await repo.findOrg(db, body.federationId);
      if (!federation) throw AppError.notFound();
      if (ctx.actor.kind !== 'system') requireInScope(scopeFor(ctx.principal, 'org.update'), federation.path);
      if (federation.type !== 'federation' || !federation.region_code) {
        throw AppError.invalid('body.federationId', 'invalid', {
          'zh-CN': '请选择设有行政区划代码的总工会（市、县总工会）',
          en: 'Choose a federation with a region code (a city or county federation)',
        });
      }
      const pool = await repo.findOrg(db, body.poolOrgId);
      if (!pool) throw AppError.notFound();
      if (pool.id === federation.id || !pool.path.startsWith(federation.path) || !POOL_TYPES.includes(pool.type)) {
        throw AppError.invalid('body.poolOrgId', 'invalid', {
          'zh-CN': '请选择该总工会下属的行业工会、联合工会或基层工会',
          en: 'Choose an industry, joint or grassroots union below the federation',
        });
      }
      if (pool.status !== 'active') throw new AppError('ORG_NOT_ACTIVE');
      const at = deps.now().toISOString();
      await write(ctx, async (s) => {
        const before = await repo.findPool(s.trx, federation.id, body.newFormGroup);
        await repo.upsertPool(s.trx, {
          id: before?.id ?? newId(),
          federation_org_id: federation.id,
          new_form_group: body.newFormGroup,
          pool_org_id: pool.id,
          updated_by: ctx.actor.id,
          updated_at: at,
        });
        await s.audit({
          action: 'joining.pool.set',
          subjectType: 'organization',
          subjectId: federation.id,
          orgPath: federation.path,
          changes: [{ field: `pool.${body.newFormGroup}`, from: before?.pool_org_id ?? null, to: pool.id }],
        });
      });
      return {
        federationId: federation.id,
        newFormGroup: body.newFormGroup,
        poolOrgId: pool.id,
        poolOrgName: pool.name,
        updatedAt: at,
      };
    },

    /** Registered employers for the form: by the full credit code, or by part of the name. */
    async employers(q: string) {
      const cc = parseCreditCode(q);
      const rows = await repo.searchEmployers(db, q, cc.ok ? cc.value : null);
      return {
        items: rows.map((r) => ({
          id: r.id,
          name: r.name,
          creditCode: r.credit_code,
          regionCode: r.region_code,
          unionName: r.union_name,
        })),
      };
    },

    /** The township and joint unions a worker of the region may pick, nearest first. */
    async localUnions(regionCode: string) {
      const region = workRegion(regionCode, 'query.regionCode');
      const ranked = rankLocal(region, await repo.localUnions(db, region.codes));
      return { items: ranked.map(({ org }: { org: RouteOrg }) => ({ id: org.id, name: org.name, type: org.type })) };
    },
  };
}
export type JoiningService = ReturnType<typeof createJoiningService>;
