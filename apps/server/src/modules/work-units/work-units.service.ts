import { parseCreditCode, type workUnitCreateBody, type workUnitUpdateBody } from '@zhgh/contracts';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import { covers, narrowScope, requireInScope, type Scope, scopeFor } from '../../core/access/scope.ts';
import type { RequestContext } from '../../core/actor.ts';
import { AppError } from '../../core/app-error.ts';
import { diffFields } from '../../core/audit/audit.ts';
import { localDate } from '../../core/calendar.ts';
import type { CoreDeps } from '../../core/deps.ts';
import { newId } from '../../core/ids.ts';
import type { WriteScope } from '../../core/unit-of-work.ts';
import { isUniqueViolation, lockShared } from '../../db/dialect.ts';
import type { DB, OrganizationTable, WorkUnitTable } from '../../db/schema.ts';
import { requireActive } from '../orgs/orgs.policy.ts';
import { orgsRepository } from '../orgs/orgs.repository.ts';
import { ORG_TREE_LOCK } from '../../db/org-scoped.ts';
import type { RegionsService } from '../regions/regions.service.ts';
import { applyCounterDeltas, CounterDeltas } from '../stats/stats.counters.ts';
import { checkFoundedOn, checkUnion, creditCodeProblem, creditCodeTaken } from './work-units.policy.ts';
import { presentWorkUnit } from './work-units.presenter.ts';
import { workUnitsRepository as repo } from './work-units.repository.ts';

const PHONE_CTX = 'work_unit.contact_phone';
/** Fields whose values the audit log records as changed, never as values. */
const SENSITIVE = ['contactPhone'];

type Q = Kysely<DB>;
type CreateInput = z.infer<typeof workUnitCreateBody>;
type UpdateInput = z.infer<typeof workUnitUpdateBody>;

export function createWorkUnitsService(deps: CoreDeps, regions: RegionsService) {
  const { db, write, dialect, cipher } = deps;
  const iso = () => deps.now().toISOString();

  const present = (u: WorkUnitTable) =>
    presentWorkUnit(u, u.contact_phone_cipher ? cipher.decrypt(u.contact_phone_cipher, PHONE_CTX) : null);

  /** An organization named in a request; outside `scope` it does not exist. Null scope: system. */
  async function loadOrg(q: Q, id: string, scope: Scope | null): Promise<OrganizationTable> {
    const org = await orgsRepository.findById(q, id);
    if (!org) throw AppError.notFound();
    if (scope) requireInScope(scope, org.path);
    return org;
  }

  async function loadUnit(id: string, scope: Scope): Promise<WorkUnitTable> {
    const unit = await repo.findById(db, id);
    if (!unit) throw AppError.notFound();
    requireInScope(scope, unit.org_path);
    return unit;
  }

  function normalizeCreditCode(raw: string | null | undefined): string | null | undefined {
    if (raw === undefined || raw === null) return raw;
    const parsed = parseCreditCode(raw);
    if (!parsed.ok) throw creditCodeProblem('body.creditCode', parsed.problem);
    return parsed.value;
  }

  /** The code belongs to another unit: name it only if the actor could read that unit anyway. */
  async function refuseTakenCreditCode(ctx: RequestContext, code: string, exceptId: string | null) {
    const existing = await repo.findByCreditCode(db, code);
    if (!existing || existing.id === exceptId) return;
    const visible = ctx.principal ? covers(scopeFor(ctx.principal, 'org.read'), existing.org_path) : false;
    throw creditCodeTaken('body.creditCode', visible ? existing : null);
  }

  /** Write, turning a unique violation of a concurrent registration into the same refusal. */
  async function writeUnit<T>(
    ctx: RequestContext,
    code: string | null | undefined,
    work: (s: WriteScope) => Promise<T>,
  ): Promise<T> {
    try {
      return await write(ctx, work);
    } catch (err) {
      if (code && isUniqueViolation(err)) {
        await refuseTakenCreditCode(ctx, code, null);
        throw creditCodeTaken('body.creditCode', null);
      }
      throw err;
    }
  }

  async function insert(ctx: RequestContext, input: CreateInput, scope: Scope | null) {
    const org = await loadOrg(db, input.orgId, scope);
    const union = input.unionOrgId ? await loadOrg(db, input.unionOrgId, scope) : null;
    requireActive(org);
    if (union) checkUnion(union, 'body.unionOrgId');
    regions.requireKnown(input.regionCode, 'body.regionCode');
    const creditCode = normalizeCreditCode(input.creditCode) ?? null;
    checkFoundedOn(input.foundedOn, localDate(deps.now()), 'body.foundedOn');
    if (creditCode) await refuseTakenCreditCode(ctx, creditCode, null);
    return writeUnit(ctx, creditCode, (s) => insertRow(s, input, creditCode, scope));
  }

  /** The row, its counters and its audit event, inside the caller's unit of work. */
  async function insertRow(s: WriteScope, input: CreateInput, creditCode: string | null, scope: Scope | null) {
    await lockShared(s.trx as unknown as Kysely<unknown>, dialect, ORG_TREE_LOCK);
    // The organization's path as it is now, inside the lock (a move may just have rewritten it).
    const at = await loadOrg(s.trx, input.orgId, scope);
    requireActive(at);
    const now = iso();
    const row: WorkUnitTable = {
      id: newId(),
      name: input.name,
      credit_code: creditCode,
      unit_type: input.unitType,
      industry: input.industry,
      region_code: input.regionCode,
      address: input.address ?? null,
      employee_count: input.employeeCount,
      founded_on: input.foundedOn ?? null,
      chair_name: input.chairName ?? null,
      contact_name: input.contactName ?? null,
      contact_phone_cipher: input.contactPhone ? cipher.encrypt(input.contactPhone, PHONE_CTX) : null,
      union_org_id: input.unionOrgId ?? null,
      org_id: at.id,
      org_path: at.path,
      province_root: at.province_root,
      created_at: now,
      updated_at: now,
    };
    await repo.insert(s.trx, row);
    const deltas = new CounterDeltas();
    deltas.unit(row.org_path, row, 1);
    await applyCounterDeltas(s.trx, dialect, deltas);
    await s.audit({
      action: 'workUnit.create',
      subjectType: 'work_unit',
      subjectId: row.id,
      orgPath: row.org_path,
      changes: diffFields(null, withoutNulls(auditable(row)), SENSITIVE),
    });
    return row;
  }

  return {
    present,

    async list(
      ctx: RequestContext,
      q: {
        page: number;
        pageSize: number;
        orgId?: string | undefined;
        hasUnion?: boolean | undefined;
        industry?: string | undefined;
        unitType?: string | undefined;
        q?: string | undefined;
      },
    ) {
      let scope = scopeFor(ctx.principal, 'org.read');
      if (q.orgId) scope = narrowScope(scope, (await loadOrg(db, q.orgId, scope)).path);
      return repo.list(
        db,
        scope,
        { hasUnion: q.hasUnion, industry: q.industry, unitType: q.unitType, q: q.q },
        { limit: q.pageSize, offset: (q.page - 1) * q.pageSize },
      );
    },

    async get(ctx: RequestContext, id: string) {
      return loadUnit(id, scopeFor(ctx.principal, 'org.read'));
    },

    async create(ctx: RequestContext, input: CreateInput) {
      return insert(ctx, input, scopeFor(ctx.principal, 'org.update'));
    },

    /** System bootstrap (demo seed, test factories): no actor's scope. Never bound to a route. */
    async provision(ctx: RequestContext, input: CreateInput) {
      return insert(ctx, input, null);
    },

    /** The unit holding a credit code, read in the caller's transaction. */
    async findByCreditCodeIn(s: WriteScope, creditCode: string) {
      return repo.findByCreditCode(s.trx, creditCode);
    },

    /**
     * Register a unit inside the caller's unit of work, for a module whose own approved step is
     * the authority (a union founding registers the workplace it founded for). No actor scope;
     * the rules of a registration hold (credit code, region, a covering union of units).
     * Never bound to a route.
     */
    async registerIn(s: WriteScope, input: CreateInput) {
      const union = input.unionOrgId ? await loadOrg(s.trx, input.unionOrgId, null) : null;
      if (union) checkUnion(union, 'body.unionOrgId');
      regions.requireKnown(input.regionCode, 'body.regionCode');
      const creditCode = normalizeCreditCode(input.creditCode) ?? null;
      checkFoundedOn(input.foundedOn, localDate(deps.now()), 'body.foundedOn');
      return insertRow(s, input, creditCode, null);
    },

    /**
     * A union founded for an existing unit covers it and answers for it: the unit is filed
     * under the union, its chair and head count recorded, the counters moved (out as it was,
     * in as it is), audited like an update. Inside the caller's unit of work; never bound to a
     * route.
     */
    async coverByUnionIn(
      s: WriteScope,
      unitId: string,
      union: OrganizationTable,
      set: { chairName: string; employeeCount: number },
    ) {
      checkUnion(union, 'unionOrgId');
      await lockShared(s.trx as unknown as Kysely<unknown>, dialect, ORG_TREE_LOCK);
      const current = await repo.findById(s.trx, unitId);
      if (!current) throw AppError.notFound();
      const at = await loadOrg(s.trx, union.id, null);
      const now = iso();
      const change: Partial<WorkUnitTable> = {
        union_org_id: at.id,
        org_id: at.id,
        org_path: at.path,
        province_root: at.province_root,
        chair_name: set.chairName,
        employee_count: set.employeeCount,
        updated_at: now,
      };
      await repo.update(s.trx, current.id, change);
      const after = { ...current, ...change };
      const deltas = new CounterDeltas();
      deltas.unit(current.org_path, current, -1);
      deltas.unit(after.org_path, after, 1);
      await applyCounterDeltas(s.trx, dialect, deltas);
      await s.audit({
        action: 'workUnit.update',
        subjectType: 'work_unit',
        subjectId: current.id,
        orgPath: after.org_path,
        changes: diffFields(auditable(current), auditable(after), SENSITIVE),
      });
      return after;
    },

    async update(ctx: RequestContext, id: string, input: UpdateInput) {
      const scope = scopeFor(ctx.principal, 'org.update');
      const unit = await loadUnit(id, scope);
      const org = input.orgId && input.orgId !== unit.org_id ? await loadOrg(db, input.orgId, scope) : null;
      const union = input.unionOrgId ? await loadOrg(db, input.unionOrgId, scope) : null;
      if (org) requireActive(org);
      if (union && union.id !== unit.union_org_id) checkUnion(union, 'body.unionOrgId');
      if (input.regionCode) regions.requireKnown(input.regionCode, 'body.regionCode');
      const creditCode = normalizeCreditCode(input.creditCode);
      checkFoundedOn(input.foundedOn, localDate(deps.now()), 'body.foundedOn');
      if (creditCode && creditCode !== unit.credit_code) await refuseTakenCreditCode(ctx, creditCode, unit.id);

      const set: Partial<WorkUnitTable> = {};
      const put = <K extends keyof WorkUnitTable>(key: K, value: WorkUnitTable[K] | undefined) => {
        if (value !== undefined && value !== unit[key]) set[key] = value;
      };
      put('name', input.name);
      put('credit_code', creditCode);
      put('unit_type', input.unitType);
      put('industry', input.industry);
      put('region_code', input.regionCode);
      put('address', input.address);
      put('employee_count', input.employeeCount);
      put('founded_on', input.foundedOn);
      put('chair_name', input.chairName);
      put('contact_name', input.contactName);
      put('union_org_id', input.unionOrgId);
      if (input.contactPhone !== undefined) {
        const before = unit.contact_phone_cipher ? cipher.decrypt(unit.contact_phone_cipher, PHONE_CTX) : null;
        if (input.contactPhone !== before) {
          set.contact_phone_cipher = input.contactPhone ? cipher.encrypt(input.contactPhone, PHONE_CTX) : null;
        }
      }
      if (Object.keys(set).length === 0 && !org) return unit;

      return writeUnit(ctx, creditCode, async (s) => {
        // Inside the tree lock, paths stay put: the unit's own (for its counters) and a new org's.
        await lockShared(s.trx as unknown as Kysely<unknown>, dialect, ORG_TREE_LOCK);
        if (org) {
          const at = await loadOrg(s.trx, org.id, scope);
          requireActive(at);
          Object.assign(set, { org_id: at.id, org_path: at.path, province_root: at.province_root });
        }
        const current = (await repo.findById(s.trx, unit.id))!;
        const now = iso();
        await repo.update(s.trx, unit.id, { ...set, updated_at: now });
        const deltas = new CounterDeltas();
        deltas.unit(current.org_path, current, -1);
        deltas.unit(set.org_path ?? current.org_path, { ...current, ...set }, 1);
        await applyCounterDeltas(s.trx, dialect, deltas);
        const after = { ...unit, ...set, updated_at: now };
        await s.audit({
          action: 'workUnit.update',
          subjectType: 'work_unit',
          subjectId: unit.id,
          orgPath: after.org_path,
          changes: diffFields(auditable(unit), auditable(after), SENSITIVE),
        });
        return after;
      });
    },
  };
}
export type WorkUnitsService = ReturnType<typeof createWorkUnitsService>;

/** The fields an audit event compares, under the names the API uses (paths and times are bookkeeping). */
function auditable(u: WorkUnitTable): Record<string, unknown> {
  return {
    name: u.name,
    creditCode: u.credit_code,
    unitType: u.unit_type,
    industry: u.industry,
    regionCode: u.region_code,
    address: u.address,
    employeeCount: u.employee_count,
    foundedOn: u.founded_on,
    chairName: u.chair_name,
    contactName: u.contact_name,
    contactPhone: u.contact_phone_cipher,
    orgId: u.org_id,
    unionOrgId: u.union_org_id,
  };
}

function withoutNulls(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null));
}
