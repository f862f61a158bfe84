import type { RequestContext } from '../../core/actor.ts';
import { diffFields } from '../../core/audit/audit.ts';
import { localDate } from '../../core/calendar.ts';
import type { CoreDeps } from '../../core/deps.ts';
import type { MembershipTable, PersonTable } from '../../db/schema.ts';
import { formatMemberNumber } from '../../modules/members/members.policy.ts';
import { membersRepository } from '../../modules/members/members.repository.ts';
import { orgsRepository } from '../../modules/orgs/orgs.repository.ts';
import { rebuildStatCounters } from '../../modules/stats/stats.counters.ts';
import { workUnitsRepository } from '../../modules/work-units/work-units.repository.ts';
import { type FederationPlan, generateMembers, IdSource } from './federation.ts';
import { Random } from './random.ts';
import { memberRows, workUnitRow } from './rows.ts';

/**
 * Load a (small) federation plan through the repositories, in one transaction with an audit
 * event per organization and unit, as the services would have left them, and one per union
 * for its members, as a roster import leaves them. Persons and
 * memberships are sealed by rows.ts exactly as the members service seals them; member numbers
 * come from the same yearly sequence. The rows bypass the services' counter updates, so the
 * statistics counters are recounted at the end, in the same transaction.
 */
export async function loadFederation(deps: CoreDeps, ctx: RequestContext, plan: FederationPlan): Promise<void> {
  const now = deps.now();
  const iso = now.toISOString();
  const today = localDate(now);
  const ids = new IdSource(new Random(plan.size.seed).fork(3), now.getTime());
  await deps.write(ctx, async (s) => {
    for (const org of plan.orgs) {
      await orgsRepository.insert(s.trx, org);
      await s.audit({
        action: 'org.create',
        subjectType: 'organization',
        subjectId: org.id,
        orgPath: org.path,
        changes: [
          { field: 'name', to: org.name },
          { field: 'type', to: org.type },
          ...(org.parent_id ? [{ field: 'parentId', to: org.parent_id }] : []),
        ],
      });
    }
    for (const unit of plan.workUnits) {
      const row = workUnitRow(unit, deps);
      await workUnitsRepository.insert(s.trx, row);
      await s.audit({
        action: 'workUnit.create',
        subjectType: 'work_unit',
        subjectId: row.id,
        orgPath: row.org_path,
        changes: diffFields(
          null,
          { name: row.name, creditCode: row.credit_code, orgId: row.org_id, unionOrgId: row.union_org_id },
          [],
        ).filter((c) => c.to !== null),
      });
    }
    const year = Number(today.slice(0, 4));
    for (const batch of generateMembers(plan, today)) {
      const first = await membersRepository.drawMemberNumbers(s.trx, year, batch.length);
      const persons: PersonTable[] = [];
      const memberships: MembershipTable[] = [];
      batch.forEach((m, i) => {
        const rows = memberRows(m, deps, ids, formatMemberNumber(year, first + i), iso);
        persons.push(rows.person);
        memberships.push(rows.membership);
      });
      await membersRepository.insertMany(s.trx, persons, memberships);
      // One event per union and batch, as a roster import records its rows: an event per
      // member would make the demo load several times slower for no reader's benefit.
      const byUnion = new Map<string, MembershipTable[]>();
      for (const m of memberships) {
        const list = byUnion.get(m.org_id);
        if (list) list.push(m);
        else byUnion.set(m.org_id, [m]);
      }
      for (const [orgId, list] of byUnion) {
        await s.audit({
          action: 'member.import',
          subjectType: 'organization',
          subjectId: orgId,
          orgPath: list[0]!.org_path,
          changes: [
            { field: 'source', to: 'demo' },
            { field: 'registered', to: list.length },
            { field: 'memberNumbers', from: list[0]!.member_number, to: list.at(-1)!.member_number },
          ],
        });
      }
    }
    await rebuildStatCounters(s.trx, deps.dialect, today);
  });
}
