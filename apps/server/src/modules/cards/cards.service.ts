import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  CARD_STEP_TOLERANCE,
  type CardVerifyResult,
  cardMac,
  cardStep,
  cardTokenMessage,
  parseCardToken,
} from '@zhgh/contracts';
import type { Kysely } from 'kysely';
import type { RequestContext } from '../../core/actor.ts';
import { AppError } from '../../core/app-error.ts';
import { maskName } from '../../core/crypto/mask.ts';
import type { CoreDeps } from '../../core/deps.ts';
import { newId } from '../../core/ids.ts';
import type { WriteScope } from '../../core/unit-of-work.ts';
import { qrPng, renderPdf } from '../../core/pdf.ts';
import { isUniqueViolation, lockChain } from '../../db/dialect.ts';
import { isOpen, presentCard, presentVerification, type CardMembership } from './cards.presenter.ts';
import { cardsRepository as repo } from './cards.repository.ts';

/** Own cipher context: a card secret decrypts nowhere else, and no other field decrypts here. */
const CARD_SECRET_CTX = 'member_card.secret';

function me(ctx: RequestContext): string {
  if (ctx.actor.kind !== 'user') throw new AppError('UNAUTHENTICATED');
  return ctx.actor.id;
}

/** The HMAC the portal computes with Web Crypto, here with node:crypto. */
export function macOf(secret: Buffer, cardId: string, step: number): string {
  return cardMac(createHmac('sha256', secret).update(cardTokenMessage(cardId, step)).digest());
}

/**
 * E-member cards (decision 0015): issued to the account that speaks for a person with an
 * open membership; verified by merchants from a token only the card's secret can make.
 */
export function createCardsService(deps: CoreDeps) {
  const { db, dialect, write, cipher, config } = deps;

  /** The bound person and the membership the card shows; refuses with the reason otherwise. */
  async function holder(userId: string) {
    const account = await repo.account(db, userId);
    if (!account?.person_id) throw new AppError('CARD_PERSON_NOT_BOUND');
    const person = await repo.person(db, account.person_id);
    if (!person) throw new AppError('CARD_PERSON_NOT_BOUND');
    const card = await repo.activeCardOf(db, userId);
    // A transfer opens a membership in another union: the card follows the person's open one;
    // only with none open does it show the ended membership it was issued for.
    const membership =
      (await repo.openMembership(db, person.id)) ?? (card ? await repo.membership(db, card.membership_id) : undefined);
    if (!membership) throw new AppError('CARD_NO_MEMBERSHIP');
    return { person, membership, card };
  }

  async function whoHolds(cardPersonId: string, cardMembershipId: string) {
    const person = await repo.person(db, cardPersonId);
    const membership = (await repo.openMembership(db, cardPersonId)) ?? (await repo.membership(db, cardMembershipId));
    return person && membership ? { name: person.name, membership } : null;
  }

  return {
    async mine(ctx: RequestContext) {
      const { person, membership, card } = await holder(me(ctx));
      return presentCard(person.name, membership, card);
    },

    /**
     * Issue on this phone; an earlier card (another phone) is revoked in the same transaction.
     * A card issued on approval of a join application has no phone yet: the member's first
     * issue claims it and receives its secret, so nothing is revoked that no phone held.
     */
    async issue(ctx: RequestContext) {
      const userId = me(ctx);
      const { person, membership, card } = await holder(userId);
      if (!isOpen(membership.status)) throw new AppError('CARD_NO_MEMBERSHIP');
      if (card && card.claimed_at === null) {
        const at = deps.now().toISOString();
        await write(ctx, async (s) => {
          // Two taps at once: one claims, the other is told it happened meanwhile.
          if (!(await repo.claim(s.trx, card.id, at)))
            throw new AppError('CONFLICT', undefined, 'card claimed concurrently');
          await s.audit({
            action: 'card.claim',
            subjectType: 'member_card',
            subjectId: card.id,
            orgPath: membership.org_path,
            changes: [{ field: 'claimedAt', from: null, to: at }],
          });
        });
        const secret = cipher.decrypt(card.secret_cipher, CARD_SECRET_CTX);
        return { ...presentCard(person.name, membership, { ...card, claimed_at: at }), secret };
      }
      const secret = randomBytes(32).toString('base64url');
      const at = deps.now().toISOString();
      const row = {
        id: newId(),
        user_id: userId,
        person_id: person.id,
        membership_id: membership.id,
        secret_cipher: cipher.encrypt(secret, CARD_SECRET_CTX),
        status: 'active' as const,
        issued_at: at,
        revoked_at: null,
        claimed_at: at,
      };
      try {
        await write(ctx, async (s) => {
          const revoked = await repo.revokeActive(s.trx, userId, at);
          await repo.insertCard(s.trx, row);
          await s.audit({
            action: revoked.length > 0 ? 'card.reissue' : 'card.issue',
            subjectType: 'member_card',
            subjectId: row.id,
            orgPath: membership.org_path,
            changes: [
              { field: 'membershipId', to: membership.id },
              ...(revoked.length > 0 ? [{ field: 'revokedCardIds', to: revoked }] : []),
              { field: 'secret', sensitive: true as const },
            ],
          });
        });
      } catch (err) {
        // Another issue on this account committed between our revoke and insert (two taps).
        if (isUniqueViolation(err)) throw new AppError('CONFLICT', undefined, 'card issued concurrently');
        throw err;
      }
      return { ...presentCard(person.name, membership, row), secret };
    },

    /**
     * Issue a card to an account inside the caller's unit of work (an approved join
     * application: the step, the membership and the card commit together). Its secret waits
     * encrypted for the member's phone to claim it; a card the account held before (an ended
     * membership's) is revoked.
     */
    async issueIn(s: WriteScope, input: { userId: string; personId: string; membershipId: string; orgPath: string }) {
      const at = deps.now().toISOString();
      const row = {
        id: newId(),
        user_id: input.userId,
        person_id: input.personId,
        membership_id: input.membershipId,
        secret_cipher: cipher.encrypt(randomBytes(32).toString('base64url'), CARD_SECRET_CTX),
        status: 'active' as const,
        issued_at: at,
        revoked_at: null,
        claimed_at: null,
      };
      const revoked = await repo.revokeActive(s.trx, input.userId, at);
      await repo.insertCard(s.trx, row);
      await s.audit({
        action: 'card.issue',
        subjectType: 'member_card',
        subjectId: row.id,
        orgPath: input.orgPath,
        changes: [
          { field: 'membershipId', to: input.membershipId },
          ...(revoked.length > 0 ? [{ field: 'revokedCardIds', to: revoked }] : []),
          { field: 'secret', sensitive: true as const },
        ],
      });
      return row;
    },

    async pdf(ctx: RequestContext) {
      const { person, membership } = await holder(me(ctx));
      if (!isOpen(membership.status)) throw new AppError('CARD_NO_MEMBERSHIP');
      const body = await renderCardPdf(maskName(person.name), membership);
      return { filename: `会员卡-${membership.member_number ?? 'member'}.pdf`, body };
    },

    /**
     * A merchant's check. Every attempt that passes the rate limits is logged with its result
     * and audited in one unit of work, so a merchant probing tokens leaves a trail.
     */
    async verify(ctx: RequestContext, code: string) {
      const merchantId = me(ctx);
      const now = deps.now();
      const at = now.toISOString();
      const since = new Date(now.getTime() - 60_000).toISOString();
      const overLimit = async (q: typeof db) =>
        (await repo.verificationsSince(q, merchantId, since)) >= config.CARD_VERIFY_ACCOUNT_LIMIT_PER_MINUTE;
      const limited = () => new AppError('RATE_LIMITED', undefined, 'card verifications per account');
      // A cheap refusal before the token's cryptography; the count that decides is taken again
      // below, inside the transaction that logs the check.
      if (await overLimit(db)) throw limited();
      let result: CardVerifyResult = 'invalid';
      let cardId: string | null = null;
      let who: Awaited<ReturnType<typeof whoHolds>> = null;
      const token = parseCardToken(code);
      const card = token ? await repo.findCard(db, token.cardId) : undefined;
      if (token && card) {
        const secret = Buffer.from(cipher.decrypt(card.secret_cipher, CARD_SECRET_CTX), 'base64url');
        const expected = Buffer.from(macOf(secret, card.id, token.step));
        const given = Buffer.from(token.mac);
        const genuine = expected.length === given.length && timingSafeEqual(expected, given);
        const drift = token.step - cardStep(now);
        if (genuine) cardId = card.id;
        // A revoked card (an old phone) and a step from the future are as good as forged.
        if (genuine && card.status === 'active' && drift <= CARD_STEP_TOLERANCE) {
          who = await whoHolds(card.person_id, card.membership_id);
          if (!who) result = 'invalid';
          else if (drift < -CARD_STEP_TOLERANCE) result = 'expired';
          else result = isOpen(who.membership.status) ? 'valid' : 'membership_ended';
        }
      }
      await write(ctx, async (s) => {
        // One merchant account's checks, one at a time: checks arriving together would all
        // count the same logged rows and all pass the minute's last free slot.
        await lockChain(s.trx as unknown as Kysely<unknown>, dialect, merchantLockKey(merchantId));
        if (await overLimit(s.trx)) throw limited();
        const id = newId();
        await repo.insertVerification(s.trx, {
          id,
          card_id: cardId,
          merchant_user_id: merchantId,
          result,
          at,
          ip: ctx.ip ?? null,
        });
        await s.audit({
          action: 'card.verify',
          subjectType: 'card_verification',
          subjectId: id,
          orgPath: who?.membership.org_path ?? null,
          changes: [
            { field: 'result', to: result },
            { field: 'cardId', to: cardId },
          ],
        });
      });
      return presentVerification(result, at, who);
    },
  };
}
export type CardsService = ReturnType<typeof createCardsService>;

/**
 * A merchant account's advisory lock key: 31 bits of a keyed hash of its id. A collision only
 * makes two accounts' checks wait for each other.
 */
function merchantLockKey(merchantId: string): number {
  return createHmac('sha256', 'card.verify').update(merchantId).digest().readInt32BE(0) & 0x7fffffff;
}

/** ID-1 card size (85.6 × 54 mm) in points. */
const CARD_SIZE: [number, number] = [242.65, 153.07];

async function renderCardPdf(maskedName: string, m: CardMembership): Promise<Buffer> {
  const number = m.member_number ?? '';
  const qr = number ? await qrPng(number, 200) : null;
  const meta = {
    size: CARD_SIZE,
    title: `会员卡 ${number}`,
    keywords: `member-number:${number}`,
    subject: 'MEMBER CARD',
  };
  return renderPdf(meta, (doc) => {
    const W = doc.page.width;
    const H = doc.page.height;
    doc.rect(0, 0, W, H).fill('#b71c1c');
    doc.rect(0, 34, W, H - 34).fill('#ffffff');
    doc
      .fillColor('#ffffff')
      .fontSize(13)
      .text('中华全国总工会 会员卡', 12, 10, { width: W - 24 });
    doc.fillColor('#222222').fontSize(14).text(maskedName, 12, 46, { width: 140 });
    doc.fontSize(7.5).fillColor('#555555');
    doc.text(`会员号  ${number || '—'}`, 12, 72, { width: 140 });
    doc.text(`所在工会  ${m.org_name}`, 12, 86, { width: 140 });
    doc.text(`入会日期  ${m.started_on}`, 12, 112, { width: 140 });
    doc
      .fontSize(5.5)
      .fillColor('#888888')
      .text('纸质卡二维码仅含会员号；核验请出示手机电子会员卡', 12, 136, { width: 150 });
    if (qr) doc.image(qr, W - 84, 46, { width: 72, height: 72 });
  });
}
