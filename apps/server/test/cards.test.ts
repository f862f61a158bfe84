import { createHmac, randomUUID } from 'node:crypto';
import { CARD_MAC_LENGTH, cardMac, cardStep, cardTokenMessage, formatCardToken, parseCardToken } from '@zhgh/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Agent,
  agent,
  errorOf,
  makeMember,
  makeOrg,
  makeUser,
  randomPhone,
  signIn,
  signInBySms,
} from './factories.ts';
import { createTestApp, createTestClock } from './harness.ts';

const clock = createTestClock();
let t: Awaited<ReturnType<typeof createTestApp>>;
let merchant: Agent;

/** A member account linked (by its phone) to a record with an open membership. */
async function cardHolder(options: { name?: string } = {}) {
  const phone = randomPhone();
  const m = await makeMember(t.app, { phone, name: options.name ?? '王小明' });
  await makeUser(t.app, { kind: 'member', org: null, phone });
  const a = await signInBySms(t.app, phone);
  expect((await a.get('/api/me/real-name')).json()).toMatchObject({ bound: true });
  return { agent: a, member: m };
}

function tokenAt(secret: string, cardId: string, at: Date): string {
  const step = cardStep(at);
  const digest = createHmac('sha256', Buffer.from(secret, 'base64url')).update(cardTokenMessage(cardId, step)).digest();
  return formatCardToken(cardId, step, cardMac(digest));
}

async function issue(a: Agent) {
  const res = await a.post('/api/me/card');
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.json<{ cardId: string; secret: string }>();
}

const verify = (code: string, by = merchant) =>
  by.post('/api/cards/verify', { code }).then((r) => ({ status: r.status, body: r.json() }));

beforeAll(async () => {
  t = await createTestApp({ CARD_VERIFY_ACCOUNT_LIMIT_PER_MINUTE: '1000' }, { now: clock.now });
  merchant = await signIn(t.app, await makeUser(t.app, { kind: 'merchant', roles: ['merchant'] }));
});
afterAll(async () => t.close());

describe('card token format', () => {
  it('formats and parses, forgiving case and spaces', () => {
    const id = randomUUID();
    const token = formatCardToken(id, 29_000_000, 'ABCDEFGHIJKLMNOP');
    expect(parseCardToken(token)).toEqual({ cardId: id, step: 29_000_000, mac: 'ABCDEFGHIJKLMNOP' });
    expect(parseCardToken(`  ${token.toLowerCase()} `)).toEqual({
      cardId: id,
      step: 29_000_000,
      mac: 'ABCDEFGHIJKLMNOP',
    });
  });

  it('refuses malformed tokens', () => {
    const id = randomUUID();
    for (const bad of [
      '',
      'ZG1',
      `XX1.${id}.1.ABCDEFGHIJKLMNOP`,
      `ZG1.not-a-uuid.1.ABCDEFGHIJKLMNOP`,
      `ZG1.${id}.-1.ABCDEFGHIJKLMNOP`,
      `ZG1.${id}.1.ABCDEFGHIJKLMNO`,
      `ZG1.${id}.1.ABCDEFGHIJKLMNO1`,
      `ZG1.${id}.1.ABCDEFGHIJKLMNOP.x`,
    ]) {
      expect(parseCardToken(bad), bad).toBeNull();
    }
  });

  it('takes the first 16 base32 characters of the digest (RFC 4648 alphabet)', () => {
    // base32("foobarfoob") is MZXW6YTBOJTG633C (Python's base64.b32encode agrees).
    expect(cardMac(new TextEncoder().encode('foobarfoobarfoobar'))).toBe('MZXW6YTBOJTG633C');
    const mac = cardMac(createHmac('sha256', 'k').update('m').digest());
    expect(mac).toMatch(new RegExp(`^[A-Z2-7]{${CARD_MAC_LENGTH}}$`));
  });

  it('steps by the minute', () => {
    expect(cardStep(new Date('1970-01-01T00:01:59Z'))).toBe(1);
    expect(cardStep(new Date('1970-01-01T00:02:00Z'))).toBe(2);
  });
});

describe('my card', () => {
  it('requires authentication', async () => {
    const anon = agent(t.app);
    expect((await anon.get('/api/me/card')).status).toBe(401);
    expect((await anon.post('/api/me/card')).status).toBe(401);
    expect((await anon.get('/api/me/card/pdf')).status).toBe(401);
  });

  it('refuses an account without a bound real-name record', async () => {
    const phone = randomPhone();
    await makeUser(t.app, { kind: 'member', org: null, phone });
    const a = await signInBySms(t.app, phone);
    for (const res of [await a.get('/api/me/card'), await a.post('/api/me/card'), await a.get('/api/me/card/pdf')]) {
      expect(errorOf(res)).toMatchObject({ status: 409, code: 'CARD_PERSON_NOT_BOUND' });
    }
  });

  it('shows the masked card before and after issue; the secret is answered once', async () => {
    const { agent: a, member } = await cardHolder({ name: '王小明' });
    const before = (await a.get('/api/me/card')).json();
    expect(before).toMatchObject({
      issued: false,
      cardId: null,
      name: '王*明',
      memberNumber: member.membership.member_number,
      unionName: member.org.name,
      membershipStatus: 'active',
      valid: true,
    });
    expect(JSON.stringify(before)).not.toContain('小');
    const issued = await issue(a);
    expect(issued.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const after = (await a.get('/api/me/card')).json();
    expect(after).toMatchObject({ issued: true, cardId: issued.cardId, valid: true });
    expect(after).not.toHaveProperty('secret');
    const row = await t.app.core.db
      .selectFrom('member_card')
      .selectAll()
      .where('id', '=', issued.cardId)
      .executeTakeFirstOrThrow();
    expect(row.secret_cipher).not.toContain(issued.secret);
    const audit = await t.app.core.db
      .selectFrom('audit_event')
      .selectAll()
      .where('subject_id', '=', issued.cardId)
      .execute();
    expect(audit.map((e) => e.action)).toEqual(['card.issue']);
    expect(JSON.stringify(audit)).not.toContain(issued.secret);
  });

  it('re-issuing (a new phone) revokes the previous card', async () => {
    const { agent: a } = await cardHolder();
    const first = await issue(a);
    const firstToken = tokenAt(first.secret, first.cardId, clock.now());
    expect((await verify(firstToken)).body.result).toBe('valid');
    const second = await issue(a);
    expect(second.cardId).not.toBe(first.cardId);
    expect(second.secret).not.toBe(first.secret);
    const cards = await t.app.core.db
      .selectFrom('member_card')
      .select(['id', 'status'])
      .where('id', 'in', [first.cardId, second.cardId])
      .execute();
    expect(Object.fromEntries(cards.map((c) => [c.id, c.status]))).toEqual({
      [first.cardId]: 'revoked',
      [second.cardId]: 'active',
    });
    expect((await verify(firstToken)).body).toMatchObject({ result: 'invalid', maskedName: null });
    expect((await verify(tokenAt(second.secret, second.cardId, clock.now()))).body.result).toBe('valid');
  });

  it('two issues at once leave exactly one active card and never a 500', async () => {
    const { agent: a, member } = await cardHolder();
    const answers = await Promise.all([a.post('/api/me/card'), a.post('/api/me/card'), a.post('/api/me/card')]);
    for (const res of answers) expect([201, 409], JSON.stringify(res.body)).toContain(res.status);
    const active = await t.app.core.db
      .selectFrom('member_card')
      .select('id')
      .where('person_id', '=', member.person.id)
      .where('status', '=', 'active')
      .execute();
    expect(active).toHaveLength(1);
  });

  it('prints a PDF card with the CJK font and a QR of the member number', async () => {
    const { agent: a, member } = await cardHolder();
    const res = await a.get('/api/me/card/pdf');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    const pdf = String(res.body);
    expect(pdf.startsWith('%PDF')).toBe(true);
    expect(pdf).toContain(`member-number:${member.membership.member_number}`);
    expect(pdf).toContain('NotoSans');
  });

  it('refuses to issue when the membership has ended, and shows the card as not valid', async () => {
    const { agent: a, member } = await cardHolder();
    const card = await issue(a);
    await t.app.core.db
      .updateTable('membership')
      .set({ status: 'withdrawn', ended_on: '2026-01-01', end_reason: 'voluntary' })
      .where('person_id', '=', member.person.id)
      .execute();
    expect((await a.get('/api/me/card')).json()).toMatchObject({
      issued: true,
      membershipStatus: 'withdrawn',
      valid: false,
    });
    expect(errorOf(await a.post('/api/me/card'))).toMatchObject({ status: 409, code: 'CARD_NO_MEMBERSHIP' });
    const res = await verify(tokenAt(card.secret, card.cardId, clock.now()));
    expect(res.body).toMatchObject({ result: 'membership_ended', membershipStatus: 'withdrawn', maskedName: '王*明' });
  });
});

describe('verifying a card', () => {
  it('requires authentication and the card.verify permission', async () => {
    expect((await agent(t.app).post('/api/cards/verify', { code: 'x' })).status).toBe(401);
    const cadre = await signIn(t.app, await makeUser(t.app, { org: await makeOrg(t.app) }));
    expect(errorOf(await cadre.post('/api/cards/verify', { code: 'x' }))).toMatchObject({
      status: 403,
      code: 'FORBIDDEN',
    });
    const member = await signInBySms(t.app, (await makeUser(t.app, { kind: 'member', org: null })).phone!);
    expect((await member.post('/api/cards/verify', { code: 'x' })).status).toBe(403);
  });

  it('answers 400 naming the field for a missing or oversized code', async () => {
    expect(errorOf(await merchant.post('/api/cards/verify', {}))).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      fields: ['body.code'],
    });
    expect(errorOf(await merchant.post('/api/cards/verify', { code: 'x'.repeat(201) })).fields).toEqual(['body.code']);
    expect(errorOf(await merchant.post('/api/cards/verify', { code: '   ' })).fields).toEqual(['body.code']);
  });

  it('is valid now and within a minute either side, expired after two minutes', async () => {
    const { agent: a } = await cardHolder({ name: '李四' });
    const card = await issue(a);
    const token = tokenAt(card.secret, card.cardId, clock.now());
    const now = await verify(token);
    expect(now).toMatchObject({
      status: 200,
      body: { result: 'valid', membershipStatus: 'active', maskedName: '李*' },
    });
    expect(JSON.stringify(now.body)).not.toContain('李四');
    // The merchant's clock may run a minute ahead of the phone's.
    const ahead = tokenAt(card.secret, card.cardId, new Date(clock.now().getTime() + 60_000));
    expect((await verify(ahead)).body.result).toBe('valid');
    const farAhead = tokenAt(card.secret, card.cardId, new Date(clock.now().getTime() + 3 * 60_000));
    expect((await verify(farAhead)).body).toMatchObject({ result: 'invalid', maskedName: null });

    clock.advance(2 * 60_000 + 1_000);
    expect((await verify(token)).body).toMatchObject({
      result: 'expired',
      maskedName: '李*',
      membershipStatus: 'active',
    });
    expect((await verify(tokenAt(card.secret, card.cardId, clock.now()))).body.result).toBe('valid');
  });

  it('refuses a forged mac, an unknown card and a malformed code as invalid, saying nothing of a person', async () => {
    const { agent: a } = await cardHolder();
    const card = await issue(a);
    const real = tokenAt(card.secret, card.cardId, clock.now());
    const forged = real.slice(0, -4) + (real.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const otherSecret = tokenAt(Buffer.alloc(32, 7).toString('base64url'), card.cardId, clock.now());
    const unknown = tokenAt(card.secret, randomUUID(), clock.now());
    for (const code of [forged, otherSecret, unknown, 'hello', `ZG1.${card.cardId}`]) {
      const res = await verify(code);
      expect(res, code).toMatchObject({
        status: 200,
        body: { result: 'invalid', membershipStatus: null, maskedName: null, unionName: null },
      });
    }
  });

  it('logs every check with an audit event in the same unit of work', async () => {
    const who = await makeUser(t.app, { kind: 'merchant', roles: ['merchant'] });
    const m = await signIn(t.app, who);
    const { agent: a } = await cardHolder();
    const card = await issue(a);
    await verify(tokenAt(card.secret, card.cardId, clock.now()), m);
    await verify('forged', m);
    const rows = await t.app.core.db
      .selectFrom('card_verification')
      .selectAll()
      .where('merchant_user_id', '=', who.user.id)
      .orderBy('at')
      .orderBy('id')
      .execute();
    expect(rows.map((r) => [r.card_id, r.result])).toEqual([
      [card.cardId, 'valid'],
      [null, 'invalid'],
    ]);
    expect(rows[0]!.ip).toBeTruthy();
    const audit = await t.app.core.db
      .selectFrom('audit_event')
      .select(['action', 'subject_id'])
      .where(
        'subject_id',
        'in',
        rows.map((r) => r.id),
      )
      .execute();
    expect(audit.map((e) => e.action)).toEqual(['card.verify', 'card.verify']);
  });
});

describe('verification rate limits', () => {
  it('answers 429 when one merchant account checks too often', async () => {
    const limited = await createTestApp({ CARD_VERIFY_ACCOUNT_LIMIT_PER_MINUTE: '3' });
    try {
      const m = await signIn(limited.app, await makeUser(limited.app, { kind: 'merchant', roles: ['merchant'] }));
      for (let i = 0; i < 3; i++) expect((await m.post('/api/cards/verify', { code: 'x' })).status).toBe(200);
      expect(errorOf(await m.post('/api/cards/verify', { code: 'x' }))).toMatchObject({
        status: 429,
        code: 'RATE_LIMITED',
      });
      // Another merchant is not held back by the first one's checks.
      const other = await signIn(limited.app, await makeUser(limited.app, { kind: 'merchant', roles: ['merchant'] }));
      expect((await other.post('/api/cards/verify', { code: 'x' })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('lets no more checks through than the account limit when they arrive at once', async () => {
    const limited = await createTestApp({ CARD_VERIFY_ACCOUNT_LIMIT_PER_MINUTE: '3' });
    try {
      const merchant = await makeUser(limited.app, { kind: 'merchant', roles: ['merchant'] });
      const m = await signIn(limited.app, merchant);
      const statuses = await Promise.all(
        Array.from({ length: 8 }, () => m.post('/api/cards/verify', { code: 'x' }).then((r) => r.status)),
      );
      expect(statuses.filter((s) => s === 200)).toHaveLength(3);
      expect(statuses.filter((s) => s === 429)).toHaveLength(5);
      const logged = await limited.app.core.db
        .selectFrom('card_verification')
        .select('id')
        .where('merchant_user_id', '=', merchant.user.id)
        .execute();
      expect(logged).toHaveLength(3);
    } finally {
      await limited.close();
    }
  });

  it('answers 429 when one address checks too often', async () => {
    const limited = await createTestApp({ CARD_VERIFY_IP_LIMIT_PER_MINUTE: '2' });
    try {
      const m = await signIn(limited.app, await makeUser(limited.app, { kind: 'merchant', roles: ['merchant'] }));
      for (let i = 0; i < 2; i++) expect((await m.post('/api/cards/verify', { code: 'x' })).status).toBe(200);
      expect(errorOf(await m.post('/api/cards/verify', { code: 'x' }))).toMatchObject({
        status: 429,
        code: 'RATE_LIMITED',
      });
    } finally {
      await limited.close();
    }
  });
});
