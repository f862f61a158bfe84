import { parseIdNumber } from '@zhgh/contracts';
import type { RequestContext } from '../../core/actor.ts';
import { AppError, fieldError } from '../../core/app-error.ts';
import type { CoreDeps } from '../../core/deps.ts';
import type { WorkflowEngine } from '../../core/workflow/engine.ts';
import { PERSON_FIELD_CONTEXTS } from '../members/members.policy.ts';
import { presentSummary } from '../workflow/workflow.presenter.ts';
import { presentNotification, presentRealName } from './me.presenter.ts';
import { meRepository as repo } from './me.repository.ts';

const USER_PHONE_CTX = 'user.phone';
const pageOf = (page: number, pageSize: number) => ({ limit: pageSize, offset: (page - 1) * pageSize });

/** The session's user; these routes are `authenticated`, so a user is always there. */
function me(ctx: RequestContext): string {
  if (ctx.actor.kind !== 'user') throw new AppError('UNAUTHENTICATED');
  return ctx.actor.id;
}

/**
 * The signed-in user's own inbox, applications and real-name link. Nothing here is
 * org-scoped: every read and write names the session's user, so another user's row answers
 * 404 exactly like a missing one.
 */
export function createMeService(deps: CoreDeps, engine: WorkflowEngine) {
  const { db, write, cipher, blind } = deps;

  async function realNameOf(personId: string) {
    const person = await repo.person(db, personId);
    if (!person) return presentRealName(null, []);
    return presentRealName(
      { name: person.name, idNumber: cipher.decrypt(person.id_number_cipher, PERSON_FIELD_CONTEXTS.idNumber) },
      await repo.openMemberships(db, personId),
    );
  }

  async function bind(ctx: RequestContext, userId: string, personId: string, how: 'phone' | 'idNumber') {
    await write(ctx, async (s) => {
      if (await repo.accountOfPerson(s.trx, personId, userId)) throw new AppError('REAL_NAME_TAKEN');
      if (!(await repo.bind(s.trx, userId, personId, deps.now().toISOString()))) {
        throw new AppError('CONFLICT', undefined, 'account already bound');
      }
      await s.audit({
        action: 'user.realName.bind',
        subjectType: 'user_account',
        subjectId: userId,
        changes: [
          { field: 'personId', from: null, to: personId },
          { field: 'matchedBy', to: how },
        ],
      });
    });
  }

  return {
    async notifications(ctx: RequestContext, query: { unread: boolean; page: number; pageSize: number }) {
      const { rows, total } = await repo.notifications(db, me(ctx), query.unread, pageOf(query.page, query.pageSize));
      return { items: rows.map(presentNotification), total, page: query.page, pageSize: query.pageSize };
    },

    async unreadCount(ctx: RequestContext) {
      return { count: await repo.unreadCount(db, me(ctx)) };
    },

    async readNotification(ctx: RequestContext, id: string) {
      const userId = me(ctx);
      const found = await repo.findNotification(db, userId, id);
      if (!found) throw AppError.notFound();
      if (found.read_at) return presentNotification(found);
      const at = deps.now().toISOString();
      await write(ctx, async (s) => {
        await repo.markRead(s.trx, userId, id, at);
        await s.audit({ action: 'notification.read', subjectType: 'notification', subjectId: id });
      });
      return presentNotification({ ...found, read_at: at });
    },

    async readAllNotifications(ctx: RequestContext) {
      const userId = me(ctx);
      const count = await write(ctx, async (s) => {
        const n = await repo.markRead(s.trx, userId, null, deps.now().toISOString());
        await s.audit({
          action: 'notification.readAll',
          subjectType: 'user_account',
          subjectId: userId,
          changes: [{ field: 'read', to: n }],
        });
        return n;
      });
      return { count };
    },

    async applications(ctx: RequestContext, query: { page: number; pageSize: number }) {
      const { rows, total } = await repo.applications(db, me(ctx), pageOf(query.page, query.pageSize));
      const now = deps.now();
      return {
        items: rows.map((row) => {
          const def = engine.registry.get(row.definition_key, row.definition_version);
          return presentSummary(engine.toView(row), def, def ? engine.actionsFor(ctx, row, def) : [], now);
        }),
        total,
        page: query.page,
        pageSize: query.pageSize,
      };
    },

    /** Only the applicant's own steps: a cadre who applied still decides nothing here. */
    async act(
      ctx: RequestContext,
      id: string,
      input: { action: string; comment?: string | undefined; expectedVersion?: number | undefined },
    ) {
      const userId = me(ctx);
      const detail = await engine.get(ctx, id);
      if (detail.instance.applicantUserId !== userId) throw AppError.notFound('not the applicant');
      const t = detail.definition.transitions.find((x) => x.action === input.action);
      if (!t || t.by !== 'applicant') {
        throw new AppError('WORKFLOW_ACTION_UNAVAILABLE', undefined, `${input.action} is not an applicant step`);
      }
      const view = await engine.act(ctx, id, {
        action: input.action,
        ...(input.comment !== undefined ? { comment: input.comment } : {}),
        ...(input.expectedVersion !== undefined ? { expectedVersion: input.expectedVersion } : {}),
      });
      const after = await engine.get(ctx, id);
      return presentSummary(view, detail.definition, after.actions, deps.now());
    },

    /**
     * The account's real-name record. Not yet linked: when exactly one person has the phone
     * the member signed in with (an SMS code proved it theirs), the link is made here.
     */
    async realName(ctx: RequestContext) {
      const userId = me(ctx);
      const account = await repo.account(db, userId);
      if (!account) throw AppError.notFound();
      if (account.person_id) return realNameOf(account.person_id);
      if (!account.phone_cipher) return presentRealName(null, []);
      const phone = cipher.decrypt(account.phone_cipher, USER_PHONE_CTX);
      const holders = await repo.personsBy(db, 'phone_index', blind.index(phone, PERSON_FIELD_CONTEXTS.phone));
      if (holders.length !== 1 || (await repo.accountOfPerson(db, holders[0]!.id, userId))) {
        return presentRealName(null, []);
      }
      try {
        await bind(ctx, userId, holders[0]!.id, 'phone');
      } catch (err) {
        // Another request linked it first (or another account took the record): show what is.
        if (!(err instanceof AppError)) throw err;
        const now = await repo.account(db, userId);
        return now?.person_id ? realNameOf(now.person_id) : presentRealName(null, []);
      }
      return realNameOf(holders[0]!.id);
    },

    /** Link by name and ID number; the record's phone must be the account's, so nobody claims another's record. */
    async bindRealName(ctx: RequestContext, input: { name: string; idNumber: string }) {
      const userId = me(ctx);
      const parsed = parseIdNumber(input.idNumber, deps.now());
      if (!parsed.ok) throw AppError.invalid('body.idNumber', 'format');
      const account = await repo.account(db, userId);
      if (!account) throw AppError.notFound();
      const notMatched = (field: string, zh: string, en: string) =>
        new AppError('REAL_NAME_NOT_MATCHED', [fieldError(field, 'invalid', { 'zh-CN': zh, en })]);
      const [person] = await repo.personsBy(
        db,
        'id_number_index',
        blind.index(parsed.value, PERSON_FIELD_CONTEXTS.idNumber),
        1,
      );
      if (!person) {
        throw notMatched('body.idNumber', '没有找到该身份证号的实名信息', 'No real-name record has this ID number');
      }
      if (account.person_id === person.id) return realNameOf(person.id);
      if (account.person_id) throw new AppError('CONFLICT', undefined, 'account bound to another record');
      if (person.name.replace(/\s/g, '') !== input.name.replace(/\s/g, '')) {
        throw notMatched('body.name', '姓名与身份证号登记的不一致', 'The name does not match the record');
      }
      const phone = account.phone_cipher ? cipher.decrypt(account.phone_cipher, USER_PHONE_CTX) : null;
      if (!phone || person.phone_index !== blind.index(phone, PERSON_FIELD_CONTEXTS.phone)) {
        throw notMatched(
          'phone',
          '实名信息登记的手机号与您登录的手机号不一致，请联系所在工会更新',
          'The phone on the record is not the one you signed in with; ask your union to update it',
        );
      }
      await bind(ctx, userId, person.id, 'idNumber');
      return realNameOf(person.id);
    },
  };
}
export type MeService = ReturnType<typeof createMeService>;
