import type { orgCreateBody, orgUpdateBody } from '@zhgh/contracts';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import { requireInScope, type Scope, scopeFor } from '../../core/access/scope.ts';
import type { RequestContext } from '../../core/actor.ts';
import { AppError, fieldError } from '../../core/app-error.ts';
import { diffFields } from '../../core/audit/audit.ts';
import { localDate } from '../../core/calendar.ts';
import type { CoreDeps } from '../../core/deps.ts';
import { newId } from '../../core/ids.ts';
import { formatYuan } from '../../core/ledger/bank-file.ts';
import type { Ledger } from '../../core/ledger/ledger.ts';
import { notifyInApp } from '../../core/notify/inbox.ts';
import type { OrgStop } from '../../core/workflow/definition.ts';
import type { WorkflowEngine } from '../../core/workflow/engine.ts';
import type { WriteScope } from '../../core/unit-of-work.ts';
import { lockChain, lockShared } from '../../db/dialect.ts';
import { ORG_TREE_LOCK } from '../../db/org-scoped.ts';
import type { DB, MembershipTable, OrganizationTable } from '../../db/schema.ts';
import { authRepository } from '../auth/auth.repository.ts';
import { membershipsRepository } from '../memberships/memberships.repository.ts';
import type { RegionsService } from '../regions/regions.service.ts';
import {
  applyCounterDeltas,
  CounterDeltas,
  mergedActiveOfUnionized,
  readNodeValues,
  STAT_KEYS,
} from '../stats/stats.counters.ts';
import {
  checkChildrenFit,
  checkCoversUnits,
  checkLevel,
  checkMerge,
  checkMove,
  checkPlacement,
  checkRootType,
  requireActive,
  requireNotRoot,
} from './orgs.policy.ts';
import { orgsRepository as repo } from './orgs.repository.ts';
import { parentPath, provinceRootOf } from '../../core/org-path.ts';

type Q = Kysely<DB>;

export function createOrgsService(deps: CoreDeps, regions: RegionsService, workflow: WorkflowEngine, ledger: Ledger) {
  const { db, write, dialect } = deps;
  const iso = () => deps.now().toISOString();

  /** Load an organization the actor may see with `permission`; NOT_FOUND otherwise. */
  async function loadInScope(
    ctx: RequestContext,
    id: string,
    permission: string,
    q: Q = db,
  ): Promise<OrganizationTable> {
    return loadIn(q, id, scopeFor(ctx.principal, permission));
  }

  async function loadIn(q: Q, id: string, scope: Scope): Promise<OrganizationTable> {
    const org = await repo.findById(q, id);
    if (!org) throw AppError.notFound();
    requireInScope(scope, org.path);
    return org;
  }

  /**
   * An organization that stops (dissolved or merged) loses its grants and takes no members,
   * and each module's own record of an application names it: an application waiting there on
   * the union's decision would stay undecided, or be approved into a union that no longer
   * takes anyone. So its cadres decide those first, as members are transferred first. Those
   * waiting on the applicant (a founding's assembly being prepared, for weeks) or rejected and
   * open to appeal do not stop the restructuring, which the cadres could not hasten: the stop
   * hands them on or closes them (`workflow.orgStopped`), as each definition's rule says.
   */
  async function refuseOpenCases(q: Q, org: OrganizationTable): Promise<void> {
    const open = await workflow.countStopBlockers(q, org);
    if (open > 0) {
      throw new AppError('ORG_HAS_OPEN_CASES', [
        fieldError('params.id', 'invalid', {
          'zh-CN': `该组织还有 ${open} 件申请待审核或在公示中，请先办结`,
          en: `The organization still has ${open} application(s) under review or on notice: decide them first`,
        }),
      ]);
    }
  }

  /**
   * A merger hands the source's budgets to the target (`ledger.handOver`), but money the source
   * owes people is tied to the payout batch and award that owe it, kept at the source: its
   * finance cadres pay it out (or cancel the draft) first, as applications are decided first.
   */
  async function refuseFundsInFlight(q: Q, org: OrganizationTable): Promise<void> {
    const { owed, batches } = await ledger.inFlightAt(q, org);
    if (owed === 0 && batches === 0) return;
    const yuan = formatYuan(owed);
    throw new AppError('ORG_HAS_FUNDS_IN_FLIGHT', [
      fieldError('params.id', 'invalid', {
        'zh-CN': `该组织还有待付款项 ${yuan} 元、未对账的付款批次 ${batches} 个，请先付清或取消`,
        en: `The organization still owes ${yuan} yuan and has ${batches} payout batch(es) not reconciled: settle or cancel them first`,
      }),
    ]);
  }

  /**
   * Members signed up on the portal find a new union on their card: the inbox says why, linked
   * to the membership now open (no SMS: nothing is asked of them, and a union may have
   * thousands). Returns how many were told.
   */
  async function tellMembersMerged(
    s: WriteScope,
    reopened: readonly MembershipTable[],
    source: OrganizationTable,
    target: OrganizationTable,
  ): Promise<number> {
    const users = await membershipsRepository.usersOfPersons(
      s.trx,
      reopened.map((m) => m.person_id),
    );
    const membershipOf = new Map(reopened.map((m) => [m.person_id, m.id]));
    await notifyInApp(
      s,
      deps.now(),
      [...users].map(([personId, userId]) => ({
        userId,
        kind: 'membership.merged',
        title: { 'zh-CN': '所在工会已合并', en: 'Your union has merged' },
        body: {
          'zh-CN': `${source.name}已并入${target.name}，您的会籍随之转入，会员号不变。`,
          en: `${source.name} has merged into ${target.name}; your membership moved there with the same member number.`,
        },
        link: { type: 'membership', id: membershipOf.get(personId)! },
      })),
    );
    return users.size;
  }

  const stopOf = (reason: OrgStop['reason'], org: OrganizationTable, successor: OrganizationTable): OrgStop => ({
    reason,
    org: { id: org.id, path: org.path, province_root: org.province_root, name: org.name },
    successor: { id: successor.id, path: successor.path, province_root: successor.province_root, name: successor.name },
  });

  async function insertUnder(
    ctx: RequestContext,
    parentId: string,
    input: z.infer<typeof orgCreateBody>,
    scope: Scope | null,
  ): Promise<OrganizationTable> {
    checkInput(input);
    return write(ctx, (s) => insertUnderIn(s, parentId, input, scope));
  }

  function checkInput(input: z.infer<typeof orgCreateBody>): void {
    if (input.regionCode) regions.requireKnown(input.regionCode, 'body.regionCode');
    checkLevel(input.type, input.level, 'body.level');
  }

  /** The creation itself, inside a unit of work the caller opened (its own or another module's). */
  async function insertUnderIn(
    s: WriteScope,
    parentId: string,
    input: z.infer<typeof orgCreateBody>,
    scope: Scope | null,
  ): Promise<OrganizationTable> {
    const level = input.type === 'federation' ? (input.level ?? null) : null;
    await lockShared(s.trx as unknown as Kysely<unknown>, dialect, ORG_TREE_LOCK);
    // The parent as it is now, inside the lock: a concurrent move cannot leave a stale path.
    const parent = await repo.findById(s.trx, parentId);
    if (!parent) throw AppError.notFound();
    if (scope) requireInScope(scope, parent.path);
    requireActive(parent);
    checkPlacement({ type: input.type, level }, parent, 'body.type', 'body.level');
    const id = newId();
    const now = iso();
    const row: OrganizationTable = {
      id,
      parent_id: parent.id,
      name: input.name,
      type: input.type,
      level,
      region_code: input.regionCode ?? null,
      path: `${parent.path}${id}/`,
      depth: parent.depth + 1,
      province_root: parent.province_root,
      status: 'active',
      created_at: now,
      updated_at: now,
      dissolved_at: null,
      merged_into_id: null,
      status_reason: null,
    };
    await repo.insert(s.trx, row);
    await countUnion(s.trx, row, 1);
    await s.audit({
      action: 'org.create',
      subjectType: 'organization',
      subjectId: id,
      orgPath: row.path,
      changes: [
        { field: 'name', to: row.name },
        { field: 'type', to: row.type },
        { field: 'parentId', to: parent.id },
      ],
    });
    return row;
  }

  /** An active organization starts (+1) or stops (-1) counting in its subtree's unions by type. */
  async function countUnion(trx: Q, org: Pick<OrganizationTable, 'path' | 'type'>, sign: 1 | -1): Promise<void> {
    const deltas = new CounterDeltas();
    deltas.union(org.path, org.type, sign);
    await applyCounterDeltas(trx, dialect, deltas);
  }

  /** End the sessions of users whose grants were revoked: their scope must not outlive the grant. */
  async function endSessions(trx: Q, userIds: readonly string[], reason: string): Promise<number> {
    let ended = 0;
    for (const userId of userIds) ended += await authRepository.revokeSessionsOfUser(trx, userId, iso(), reason);
    return ended;
  }

  return {
    loadInScope,

    /** Active-children and covered-unit counts for presenting organizations. */
    async counts(orgs: readonly OrganizationTable[]) {
      return repo.counts(
        db,
        orgs.map((o) => o.id),
      );
    },

    /** How many organizations exist at all (start-up decides whether to load demo data). */
    async count() {
      return repo.countAll(db);
    },

    async get(ctx: RequestContext, id: string) {
      return loadInScope(ctx, id, 'org.read');
    },

    async children(ctx: RequestContext, id: string, options: { includeInactive?: boolean } = {}) {
      await loadInScope(ctx, id, 'org.read');
      return repo.findChildrenInScope(db, id, scopeFor(ctx.principal, 'org.read'), options);
    },

    /** The organizations at the top of the actor's org.read scope. */
    async roots(ctx: RequestContext) {
      return repo.findByPaths(db, scopeFor(ctx.principal, 'org.read').paths);
    },

    async create(ctx: RequestContext, input: z.infer<typeof orgCreateBody>) {
      // The parent id comes from the body: it must be in scope like any id in a URL.
      await loadInScope(ctx, input.parentId, 'org.create');
      return insertUnder(ctx, input.parentId, input, scopeFor(ctx.principal, 'org.create'));
    },

    /**
     * System bootstrap (demo seed, CLI, test factories): create under any parent without an
     * actor's scope. Never bound to a route.
     */
    async provisionChild(ctx: RequestContext, input: z.infer<typeof orgCreateBody>) {
      return insertUnder(ctx, input.parentId, input, null);
    },

    /**
     * Create under a parent inside the caller's unit of work, with the counters and the audit
     * event a creation always has. For a module whose own approved step is the authority (the
     * final approval of a union founding creates the union in the same transaction), so no
     * actor scope is applied: the caller checked its own rule. Never bound to a route.
     */
    async createChildIn(s: WriteScope, input: z.infer<typeof orgCreateBody>) {
      checkInput(input);
      return insertUnderIn(s, input.parentId, input, null);
    },

    /** Create a root (a province or national federation). Only the seed and CLI call this. */
    async createRoot(
      ctx: RequestContext,
      input: { name: string; level: 'national' | 'province'; regionCode?: string },
    ) {
      if (input.regionCode) regions.requireKnown(input.regionCode, 'regionCode');
      return write(ctx, async (s) => {
        const id = newId();
        const now = iso();
        const path = `/${id}/`;
        const row: OrganizationTable = {
          id,
          parent_id: null,
          name: input.name,
          type: 'federation',
          level: input.level,
          region_code: input.regionCode ?? null,
          path,
          depth: 0,
          province_root: provinceRootOf(path)!,
          status: 'active',
          created_at: now,
          updated_at: now,
          dissolved_at: null,
          merged_into_id: null,
          status_reason: null,
        };
        await repo.insert(s.trx, row);
        await countUnion(s.trx, row, 1);
        await s.audit({
          action: 'org.create',
          subjectType: 'organization',
          subjectId: id,
          orgPath: path,
          changes: [{ field: 'name', to: input.name }],
        });
        return row;
      });
    },

    /** Rename, or change region, level or type within the tree rules. */
    async update(ctx: RequestContext, id: string, input: z.infer<typeof orgUpdateBody>) {
      const org = await loadInScope(ctx, id, 'org.update');
      requireActive(org);
      if (input.regionCode) regions.requireKnown(input.regionCode, 'body.regionCode');
      const type = input.type ?? org.type;
      // A federation keeps its level unless told otherwise; other types have none.
      const level = type === 'federation' ? (input.level !== undefined ? input.level : org.level) : null;
      checkLevel(type, input.level, 'body.level');
      if (type !== org.type || level !== org.level) {
        const field = type !== org.type ? 'body.type' : 'body.level';
        if (org.parent_id === null) {
          checkRootType(type, 'body.type');
        } else {
          const parent = (await repo.findById(db, org.parent_id))!;
          checkPlacement({ type, level }, parent, field, 'body.level');
        }
        checkChildrenFit({ type, level }, await repo.activeChildKinds(db, org.id), field, 'body.level');
        const counts = await repo.counts(db, [org.id]);
        checkCoversUnits(type, counts.workUnits.get(org.id) ?? 0, 'body.type');
      }
      const after = {
        name: input.name ?? org.name,
        region_code: input.regionCode !== undefined ? input.regionCode : org.region_code,
        type,
        level,
      };
      // Audited under the names the API uses.
      const named = (o: typeof after) => ({ name: o.name, regionCode: o.region_code, type: o.type, level: o.level });
      const changes = diffFields(named(org), named(after));
      if (changes.length === 0) return org;
      return write(ctx, async (s) => {
        const now = iso();
        if (after.type !== org.type) {
          // Counted by type under the path as it is now: a concurrent move may have changed it.
          await lockShared(s.trx as unknown as Kysely<unknown>, dialect, ORG_TREE_LOCK);
          const current = (await repo.findById(s.trx, org.id))!;
          requireActive(current);
          const deltas = new CounterDeltas();
          deltas.union(current.path, current.type, -1);
          deltas.union(current.path, after.type, 1);
          await applyCounterDeltas(s.trx, dialect, deltas);
        }
        await repo.update(s.trx, org.id, { ...after, updated_at: now });
        await s.audit({
          action: 'org.update',
          subjectType: 'organization',
          subjectId: org.id,
          orgPath: org.path,
          changes,
        });
        return { ...org, ...after, updated_at: now };
      });
    },

    /**
     * Move an organization with its whole subtree under another parent. Every org-scoped
     * table's paths are rewritten by set-based updates in one transaction, so the tree, the
     * members, the accounts, the grants (and with them their holders' scope) move together
     * or not at all.
     */
    async move(ctx: RequestContext, id: string, newParentId: string) {
      const scope = scopeFor(ctx.principal, 'org.restructure');
      const node = await loadIn(db, id, scope);
      const parent = await loadIn(db, newParentId, scope);
      checkMove(node, parent);
      if (node.parent_id === parent.id) return node;
      return write(ctx, async (s) => {
        await lockChain(s.trx as unknown as Kysely<unknown>, dialect, ORG_TREE_LOCK);
        // Again inside the lock: a concurrent restructuring may have changed either.
        const n = await loadIn(s.trx, id, scope);
        const p = await loadIn(s.trx, newParentId, scope);
        checkMove(n, p);
        const now = iso();
        const to = `${p.path}${n.id}/`;
        const rowsRewritten = await repo.rewriteSubtree(s.trx, dialect, {
          from: n.path,
          to,
          provinceRoot: p.province_root,
          depthDelta: p.depth + 1 - n.depth,
        });
        await repo.update(s.trx, n.id, { parent_id: p.id, updated_at: now });
        // Counters are per organization id, so the subtree's own stay as they are; its totals
        // leave the old ancestors and join the new ones.
        const values = await readNodeValues(s.trx, n.id);
        const deltas = new CounterDeltas();
        deltas.subtree(parentPath(n.path)!, values, -1);
        deltas.subtree(p.path, values, 1);
        await applyCounterDeltas(s.trx, dialect, deltas);
        await s.audit({
          action: 'org.move',
          subjectType: 'organization',
          subjectId: n.id,
          orgPath: to,
          changes: [
            { field: 'parentId', from: n.parent_id, to: p.id },
            { field: 'path', from: n.path, to },
            { field: 'rowsRewritten', to: rowsRewritten },
          ],
        });
        return (await repo.findById(s.trx, n.id))!;
      });
    },

    /**
     * Dissolve an organization that has no active children and no members. Its work units
     * (without a union), accounts, model-worker registry entries and open applications pass to
     * the parent, its open enrollment events close, its live grants are revoked and their
     * holders signed out. Nothing is deleted.
     */
    async dissolve(ctx: RequestContext, id: string, reason: string) {
      const scope = scopeFor(ctx.principal, 'org.restructure');
      const check = async (q: Q) => {
        const org = await loadIn(q, id, scope);
        requireNotRoot(org);
        requireActive(org);
        if ((await repo.activeChildKinds(q, org.id)).length > 0) throw new AppError('ORG_HAS_CHILDREN');
        await refuseOpenCases(q, org);
        const members = await repo.countOpenMemberships(q, dialect, org.path);
        if (members > 0) {
          throw new AppError('ORG_HAS_MEMBERS', [
            fieldError('params.id', 'invalid', {
              'zh-CN': `该组织还有 ${members} 名会员（会籍未结束），请先办理会籍接转或将该组织合并`,
              en: `The organization still has ${members} member(s) with open memberships: transfer them or merge the organization first`,
            }),
          ]);
        }
        return org;
      };
      await check(db);
      return write(ctx, async (s) => {
        await lockChain(s.trx as unknown as Kysely<unknown>, dialect, ORG_TREE_LOCK);
        const org = await check(s.trx);
        const parent = (await repo.findById(s.trx, org.parent_id!))!;
        const now = iso();
        await repo.update(s.trx, org.id, {
          status: 'dissolved',
          dissolved_at: now,
          status_reason: reason,
          updated_at: now,
        });
        // The units it covered lose their union and those filed at it pass to the parent:
        // each counts out as it was and back in as it will be.
        const deltas = new CounterDeltas();
        deltas.union(org.path, org.type, -1);
        for (const u of await repo.findWorkUnitsOf(s.trx, org.id)) {
          deltas.unit(u.org_path, u, -1);
          const filedHere = u.org_id === org.id;
          deltas.unit(
            filedHere ? parent.path : u.org_path,
            { ...u, union_org_id: u.union_org_id === org.id ? null : u.union_org_id },
            1,
          );
        }
        const workUnits = await repo.repointWorkUnits(s.trx, org.id, { union: null, org: parent }, now);
        // After the units moved: the counters read which unions cover units as the transaction leaves them.
        await applyCounterDeltas(s.trx, dialect, deltas);
        const modelWorkers = await repo.repointModelWorkers(s.trx, org.id, parent, now);
        const accounts = await repo.rehomeAccounts(s.trx, org, parent, now);
        const eventsClosed = await repo.closeEnrollmentEventsAt(s.trx, org.id, now, ctx.actor.id);
        const revoked = await repo.revokeLiveGrantsAt(s.trx, org.id, ctx.actor.id, now);
        const sessionsEnded = await endSessions(s.trx, revoked.users, 'org_dissolved');
        const cases = await workflow.orgStopped(s, ctx, stopOf('dissolved', org, parent));
        await s.audit({
          action: 'org.dissolve',
          subjectType: 'organization',
          subjectId: org.id,
          orgPath: org.path,
          changes: [
            { field: 'status', from: org.status, to: 'dissolved' },
            { field: 'reason', to: reason },
            { field: 'workUnitsToParent', to: workUnits },
            { field: 'modelWorkersToParent', to: modelWorkers },
            { field: 'accountsToParent', to: accounts },
            { field: 'enrollmentEventsClosed', to: eventsClosed },
            { field: 'grantsRevoked', to: revoked.grants },
            { field: 'sessionsEnded', to: sessionsEnded },
            { field: 'casesToParent', to: cases.followed },
            { field: 'casesClosed', to: cases.closed },
          ],
        });
        return (await repo.findById(s.trx, org.id))!;
      });
    },

    /**
     * What `merge` would do, read without writing: the same scope and tree rules (a refusal
     * there is the merge's own error), what stops it until settled (applications waiting on
     * the union, money owed) and what would move. The counts are as of now; the merge itself
     * checks again under the tree lock.
     */
    async mergePreview(ctx: RequestContext, id: string, targetId: string) {
      const scope = scopeFor(ctx.principal, 'org.restructure');
      const source = await loadIn(db, id, scope);
      const target = await loadIn(db, targetId, scope);
      checkMerge(source, target, await repo.activeChildKinds(db, source.id));
      const applicationsWaiting = await workflow.countStopBlockers(db, source);
      const inFlight = await ledger.inFlightAt(db, source);
      return {
        membershipsToTransfer: await repo.countOpenMembershipsAt(db, source.id),
        childrenToMove: await repo.countChildren(db, source.id),
        workUnitsToMove: (await repo.findWorkUnitsOf(db, source.id)).length,
        grantsToRevoke: await repo.countLiveGrantsAt(db, source.id, iso()),
        applicationsWaiting,
        fundsOwed: inFlight.owed,
        payoutBatchesOpen: inFlight.batches,
        fundsToHandOver: await ledger.toHandOver(db, source),
        blocked: applicationsWaiting > 0 || inFlight.owed > 0 || inFlight.batches > 0,
      };
    },

    /**
     * Merge an organization into another, in one transaction: each open membership at the
     * source is closed (transferred out, history kept; its open inactivity proposal lapses)
     * and reopened at the target with the same member number and card; the children move
     * under the target (paths rewritten as in a move); work units, accounts, model-worker
     * registry entries and open applications follow, the source's open enrollment events
     * close (`AT_STOPPED_NODE` says, table by table, what becomes of the rows filed at the
     * source itself); the money on its budgets passes to the target's, while money it still
     * owes people stops the merger; live grants at the source are revoked and their holders
     * signed out, so nobody's scope grows by the merge.
     */
    async merge(ctx: RequestContext, id: string, input: { targetId: string; reason: string }) {
      const scope = scopeFor(ctx.principal, 'org.restructure');
      const check = async (q: Q) => {
        const source = await loadIn(q, id, scope);
        const target = await loadIn(q, input.targetId, scope);
        checkMerge(source, target, await repo.activeChildKinds(q, source.id));
        await refuseOpenCases(q, source);
        await refuseFundsInFlight(q, source);
        return { source, target };
      };
      await check(db);
      return write(ctx, async (s) => {
        await lockChain(s.trx as unknown as Kysely<unknown>, dialect, ORG_TREE_LOCK);
        const { source, target } = await check(s.trx);
        const now = iso();
        const today = localDate(deps.now());
        // Read before anything moves: which of the two covers units, and their own members.
        const activeOfUnionized = await mergedActiveOfUnionized(s.trx, source.id, target.id);

        const open = await repo.findOpenMembershipsAt(s.trx, source.id);
        await repo.closeOpenMembershipsAt(s.trx, source.id, {
          status: 'transferred_out',
          endedOn: today,
          reason: `merged into ${target.name}`,
          now,
        });
        const reopened: MembershipTable[] = open.map((m) => ({
          ...m,
          id: newId(),
          org_id: target.id,
          org_path: target.path,
          province_root: target.province_root,
          started_on: today,
          ended_on: null,
          end_reason: null,
          created_at: now,
          updated_at: now,
        }));
        await repo.insertMemberships(s.trx, reopened);
        const told = await tellMembersMerged(s, reopened, source, target);
        // A transfer out filed before the merger waits on the union it goes to, so it did not
        // stop the merger: it now leaves from the target, whose cadres see it as theirs.
        const transfersRepointed = await repo.repointOpenTransfersFrom(
          s.trx,
          source.id,
          new Map(open.map((m, i) => [m.id, reopened[i]!.id])),
          now,
        );

        // Everything the source's subtree counts goes to the target, but the source itself,
        // which stops being an active union: its totals leave its ancestors (and itself).
        const values = await readNodeValues(s.trx, source.id);
        const arriving = new Map(values);
        const ownType = STAT_KEYS.unionType + source.type;
        arriving.set(ownType, (arriving.get(ownType) ?? 0) - 1);
        const deltas = new CounterDeltas();
        deltas.subtree(source.path, values, -1);
        deltas.subtree(target.path, arriving, 1);
        // The source's members now belong to the target, which covers the units of both. The
        // units pass below without `deltas.unit`: their own counts travel in the values above.
        deltas.add(target.path, STAT_KEYS.activeOfUnionized, activeOfUnionized);
        await applyCounterDeltas(s.trx, dialect, deltas);

        const rowsRewritten = await repo.rewriteSubtree(s.trx, dialect, {
          from: source.path,
          to: target.path,
          provinceRoot: target.province_root,
          depthDelta: target.depth - source.depth,
          keepRoot: true,
        });
        const childrenMoved = await repo.reparentChildren(s.trx, source.id, target.id, now);
        const workUnitsMoved = await repo.repointWorkUnits(s.trx, source.id, { union: target.id, org: target }, now);
        const accountsMoved = await repo.rehomeAccounts(s.trx, source, target, now);
        const modelWorkersMoved = await repo.repointModelWorkers(s.trx, source.id, target, now);
        const proposalsLapsed = await repo.lapseInactivityProposalsAt(s.trx, source.id, now);
        const eventsClosed = await repo.closeEnrollmentEventsAt(s.trx, source.id, now, ctx.actor.id);
        const revoked = await repo.revokeLiveGrantsAt(s.trx, source.id, ctx.actor.id, now);
        const sessionsEnded = await endSessions(s.trx, revoked.users, 'org_merged');
        const cases = await workflow.orgStopped(s, ctx, stopOf('merged', source, target));
        // Under the ledger's lock no payout or approval can slip in between the last check and
        // the hand-over (the lock is the audit chain's, which the merge's own event takes anyway).
        await ledger.serialise(s.trx);
        await refuseFundsInFlight(s.trx, source);
        const funds = await ledger.handOver(s, source, target, ctx.actor.id);
        await repo.update(s.trx, source.id, {
          status: 'merged',
          merged_into_id: target.id,
          status_reason: input.reason,
          updated_at: now,
        });
        await s.audit({
          action: 'org.merge',
          subjectType: 'organization',
          subjectId: source.id,
          orgPath: target.path,
          changes: [
            { field: 'status', from: source.status, to: 'merged' },
            { field: 'mergedIntoId', to: target.id },
            { field: 'reason', to: input.reason },
            { field: 'membershipsTransferred', to: reopened.length },
            { field: 'childrenMoved', to: childrenMoved },
            { field: 'workUnitsMoved', to: workUnitsMoved },
            { field: 'accountsMoved', to: accountsMoved },
            { field: 'modelWorkersMoved', to: modelWorkersMoved },
            { field: 'inactivityProposalsLapsed', to: proposalsLapsed },
            { field: 'enrollmentEventsClosed', to: eventsClosed },
            { field: 'grantsRevoked', to: revoked.grants },
            { field: 'sessionsEnded', to: sessionsEnded },
            { field: 'rowsRewritten', to: rowsRewritten },
            { field: 'casesHandedOn', to: cases.followed },
            { field: 'casesClosed', to: cases.closed },
            { field: 'transfersRepointed', to: transfersRepointed },
            { field: 'membersTold', to: told },
            { field: 'budgetsHandedOver', to: funds.accounts },
            { field: 'fundsHandedOver', to: funds.amount },
          ],
        });
        return {
          source: (await repo.findById(s.trx, source.id))!,
          target: (await repo.findById(s.trx, target.id))!,
          membershipsTransferred: reopened.length,
          childrenMoved,
          workUnitsMoved,
          grantsRevoked: revoked.grants,
          applicationsHandedOn: cases.followed,
          applicationsClosed: cases.closed,
          fundsHandedOver: funds,
        };
      });
    },
  };
}
export type OrgsService = ReturnType<typeof createOrgsService>;
