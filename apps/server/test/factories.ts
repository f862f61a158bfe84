import { randomBytes, randomInt } from 'node:crypto';
import {
  creditCodeCheckChar,
  idNumberCheckChar,
  type ORG_TYPES,
  type PermissionCode,
  requiresTotp,
  withDependencies,
} from '@zhgh/contracts';
import type { FastifyInstance } from 'fastify';
import { generateSecret, generateSync } from 'otplib';
import { SYSTEM_ACTOR } from '../src/core/actor.ts';
import { newId } from '../src/core/ids.ts';
import { outboxFile, readOutbox } from '../src/core/notify/sms.ts';
import type { MembershipTable, OrganizationTable, UserAccountTable, WorkUnitTable } from '../src/db/schema.ts';
import { SESSION_COOKIE } from '../src/modules/auth/auth.service.ts';

/**
 * Factories for API tests. Each makes its own parents (an org needs no tree set up first; a
 * user gets an org when none is given), so tests run in any order and in parallel.
 */

/** Meets the cadre policy (length, 3 of 4 classes) and contains no generated user name. */
export const TEST_PASSWORD = 'Gh#2026-test-Pw';

const sys = { actor: SYSTEM_ACTOR };
let counter = 0;
/** Unique per process, readable in failures. */
export const unique = (prefix: string) => `${prefix}${Date.now().toString(36)}${(++counter).toString(36)}`;

export function randomPhone(): string {
  return `139${String(randomInt(0, 100_000_000)).padStart(8, '0')}`;
}

export async function makeOrg(
  app: FastifyInstance,
  options: { parent?: OrganizationTable; name?: string; type?: (typeof ORG_TYPES)[number] } = {},
): Promise<OrganizationTable> {
  const orgs = app.services.orgs;
  if (!options.parent) return orgs.createRoot(sys, { name: options.name ?? unique('省总工会'), level: 'province' });
  return orgs.provisionChild(sys, {
    parentId: options.parent.id,
    name: options.name ?? unique('工会'),
    type: options.type ?? 'federation',
    level: null,
  });
}

/** A tree for scope tests: root → city → county (the "home" node) → grassroots, plus a sibling county. */
export async function makeTree(app: FastifyInstance) {
  const province = await makeOrg(app);
  const city = await makeOrg(app, { parent: province, name: unique('市总工会') });
  const county = await makeOrg(app, { parent: city, name: unique('区总工会') });
  const grassroots = await makeOrg(app, { parent: county, name: unique('公司工会'), type: 'grassroots' });
  const sibling = await makeOrg(app, { parent: city, name: unique('邻区总工会') });
  return { province, city, county, grassroots, sibling };
}

/** A custom role made of exactly these permissions (and what they depend on). */
export async function makeRole(app: FastifyInstance, permissions: readonly string[]) {
  const code = unique('role_')
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_');
  const role = await app.services.access.createRole(sys, {
    code,
    name: { 'zh-CN': code, en: code },
    permissions: [...withDependencies(permissions)],
  });
  return role;
}

export interface TestUser {
  user: UserAccountTable;
  username: string | null;
  password: string;
  phone: string | null;
  /** Present when an authenticator is enrolled. */
  totpSecret: string | null;
}

/**
 * An account with a known password. Cadres holding privileged roles get an enrolled
 * authenticator by default, as sign-in demands one.
 */
export async function makeUser(
  app: FastifyInstance,
  options: {
    kind?: UserAccountTable['kind'];
    org?: OrganizationTable | null;
    /** Role codes granted at `grantAt` (default: the user's org). */
    roles?: readonly string[];
    grantAt?: OrganizationTable;
    totp?: boolean;
    phone?: string | null;
    password?: string | null;
  } = {},
): Promise<TestUser> {
  const kind = options.kind ?? 'cadre';
  const org = options.org === undefined ? (kind === 'member' ? null : await makeOrg(app)) : options.org;
  const roles = options.roles ?? [];
  const access = app.services.access;
  const privileged = await rolesArePrivileged(app, roles);
  const totpSecret = (options.totp ?? privileged) ? generateSecret() : null;
  const username = kind === 'member' ? null : unique('u');
  const password = options.password === undefined ? TEST_PASSWORD : options.password;
  const phone = options.phone === undefined ? (kind === 'member' ? randomPhone() : null) : options.phone;
  const user = await access.provisionUser(sys, {
    kind,
    username,
    displayName: unique('测试'),
    phone,
    orgId: org?.id ?? null,
    password,
    totpSecret,
  });
  const grantAt = options.grantAt ?? org;
  for (const roleCode of roles) {
    if (!grantAt) throw new Error('a grant needs an organization');
    await access.provisionGrant(sys, { userId: user.id, roleCode, orgId: grantAt.id });
  }
  return { user, username, password: password ?? '', phone, totpSecret };
}

async function rolesArePrivileged(app: FastifyInstance, roleCodes: readonly string[]): Promise<boolean> {
  if (roleCodes.length === 0) return false;
  const roles = await app.services.access.listRoles();
  const codes = roles.filter((r) => roleCodes.includes(r.code)).flatMap((r) => r.permissions);
  return requiresTotp(codes);
}

/** The current TOTP code of a secret, at the app's clock. */
export function totpCode(secret: string, at: Date = new Date()): string {
  return generateSync({ secret, epoch: Math.floor(at.getTime() / 1000) });
}

export interface InjectResult {
  status: number;
  body: unknown;
  json<T = Record<string, unknown>>(): T;
  headers: Record<string, unknown>;
}

/** A signed-in browser: the session cookie and the CSRF header on every request. */
export interface Agent {
  cookie: string | null;
  csrf: string | null;
  session: Record<string, unknown> | null;
  request(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<InjectResult>;
  get(url: string): Promise<InjectResult>;
  post(url: string, body?: unknown): Promise<InjectResult>;
  put(url: string, body?: unknown): Promise<InjectResult>;
  delete(url: string): Promise<InjectResult>;
}

export function agent(app: FastifyInstance, cookie: string | null = null, csrf: string | null = null): Agent {
  const a: Agent = {
    cookie,
    csrf,
    session: null,
    async request(method, url, body, headers = {}) {
      const res = await app.inject({
        method: method as 'GET',
        url,
        headers: {
          ...(a.cookie ? { cookie: `${SESSION_COOKIE}=${a.cookie}` } : {}),
          ...(a.csrf ? { 'x-csrf-token': a.csrf } : {}),
          ...headers,
        },
        ...(body !== undefined ? { payload: body as object } : {}),
      });
      const text = res.body;
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // Not JSON (docs, files): keep the text.
      }
      const setCookie = res.cookies.find((c) => c.name === SESSION_COOKIE);
      if (setCookie) a.cookie = setCookie.value || null;
      return {
        status: res.statusCode,
        body: parsed,
        json: <T>() => parsed as T,
        headers: res.headers as Record<string, unknown>,
      };
    },
    get: (url) => a.request('GET', url),
    post: (url, body = {}) => a.request('POST', url, body),
    put: (url, body = {}) => a.request('PUT', url, body),
    delete: (url) => a.request('DELETE', url),
  };
  return a;
}

/** Sign in through the real endpoint (password, plus TOTP when enrolled). */
export async function signIn(app: FastifyInstance, who: TestUser): Promise<Agent> {
  const a = agent(app);
  const res = await a.post('/api/auth/login', {
    account: who.username ?? who.phone,
    password: who.password,
    kind: who.user.kind,
    ...(who.totpSecret ? { totp: totpCode(who.totpSecret, app.core.now()) } : {}),
  });
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${JSON.stringify(res.body)}`);
  const session = res.json();
  a.session = session;
  a.csrf = String(session.csrfToken);
  return a;
}

/** Sign in a member by SMS code, reading the code from the outbox as a phone would. */
export async function signInBySms(app: FastifyInstance, phone: string): Promise<Agent> {
  const a = agent(app);
  const sent = await a.post('/api/auth/sms-codes', { phone });
  if (sent.status !== 202) throw new Error(`sms send failed: ${sent.status} ${JSON.stringify(sent.body)}`);
  const code = lastSmsCode(app, phone);
  const res = await a.post('/api/auth/sms-login', { phone, code });
  if (res.status !== 200) throw new Error(`sms sign-in failed: ${res.status} ${JSON.stringify(res.body)}`);
  const session = res.json();
  a.session = session;
  a.csrf = String(session.csrfToken);
  return a;
}

/** The newest 6-digit code the outbox holds for a phone. */
export function lastSmsCode(app: FastifyInstance, phone: string): string {
  const mine = readOutbox(outboxFile(app.core.config.DATA_DIR)).filter((m) => m.phone === phone);
  const code = /\d{6}/.exec(mine.at(-1)?.text ?? '')?.[0];
  if (!code) throw new Error(`no SMS code in the outbox for ${phone}`);
  return code;
}

/** All permissions that do not bring `missing` along through their dependencies. */
export function permissionsWithout(all: readonly PermissionCode[], missing: string): PermissionCode[] {
  return all.filter((p) => !withDependencies([p]).has(missing as PermissionCode));
}

export const randomToken = () => randomBytes(8).toString('hex');

/** An answer's body without its request id, so two error answers can be compared whole. */
export function withoutRequestId(res: InjectResult): unknown {
  const body = structuredClone(res.body) as { error?: { requestId?: unknown } } | null;
  if (body?.error) delete body.error.requestId;
  return body;
}

/** The error code of an answer and the fields it names, for compact assertions. */
export function errorOf(res: InjectResult): { status: number; code: string | undefined; fields: string[] } {
  const error = (res.body as { error?: { code?: string; fields?: { field: string }[] } } | null)?.error;
  return { status: res.status, code: error?.code, fields: (error?.fields ?? []).map((f) => f.field) };
}

/** A unified social credit code that passes GB 32100, unique per call. */
export function randomCreditCode(regionCode = '610113'): string {
  const alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  let org = '';
  for (let i = 0; i < 9; i++) org += alphabet[randomInt(0, alphabet.length)];
  const first17 = `91${regionCode}${org}`;
  return first17 + creditCodeCheckChar(first17);
}

/**
 * A work unit answered for by `org` (default: a fresh grassroots union under a fresh
 * federation, which also covers it), with a valid credit code and a contact phone.
 */
export async function makeWorkUnit(
  app: FastifyInstance,
  options: {
    org?: OrganizationTable;
    /** The covering union; default: `org` when it is a grassroots or joint union, else none. */
    union?: OrganizationTable | null;
    name?: string;
    creditCode?: string | null;
    employeeCount?: number;
    contactPhone?: string | null;
  } = {},
): Promise<WorkUnitTable> {
  const org = options.org ?? (await makeOrg(app, { parent: await makeOrg(app), type: 'grassroots' }));
  const union = options.union !== undefined ? options.union : ['grassroots', 'joint'].includes(org.type) ? org : null;
  return app.services.workUnits.provision(sys, {
    name: options.name ?? unique('测试单位'),
    creditCode: options.creditCode === undefined ? randomCreditCode() : options.creditCode,
    unitType: '170',
    industry: 'C',
    regionCode: '610113',
    address: '西安市雁塔区科技路 1 号',
    employeeCount: options.employeeCount ?? 120,
    foundedOn: '2015-06-01',
    chairName: '王主席',
    contactName: '李联系',
    contactPhone: options.contactPhone === undefined ? randomPhone() : options.contactPhone,
    orgId: org.id,
    unionOrgId: union?.id ?? null,
  });
}

/** One part of a multipart form: a text field, or a file with a name and a content type. */
export type FormPart = string | { filename: string; content: Buffer; contentType?: string };

/** A multipart/form-data body, built by hand so tests control every byte. */
export function multipartBody(form: Record<string, FormPart>): { body: Buffer; contentType: string } {
  const boundary = `----zhgh${randomToken()}`;
  const chunks: Buffer[] = [];
  for (const [name, part] of Object.entries(form)) {
    if (typeof part === 'string') {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${part}\r\n`));
    } else {
      chunks.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${part.filename}"\r\n` +
            `Content-Type: ${part.contentType ?? 'application/octet-stream'}\r\n\r\n`,
        ),
        part.content,
        Buffer.from('\r\n'),
      );
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Upload a form as a signed-in agent (session cookie and CSRF header included). */
export function postMultipart(a: Agent, url: string, form: Record<string, FormPart>): Promise<InjectResult> {
  const { body, contentType } = multipartBody(form);
  return a.request('POST', url, body, { 'content-type': contentType });
}

/** ID numbers handed out in this process: every call gets a new person. */
const issuedIdNumbers = new Set<string>();

/**
 * A valid, unused 18-character ID number (GB 11643: region, birth date, sequence whose last
 * digit is odd for men, check character). Birth date and gender as asked, else random
 * (born 1960–1989: old enough for any join date since 2006).
 */
export function randomIdNumber(
  options: { birthDate?: string; gender?: 'male' | 'female'; region?: string } = {},
): string {
  for (let attempt = 0; ; attempt++) {
    if (attempt > 5_000) throw new Error(`no unused ID number left for ${JSON.stringify(options)}`);
    const birth =
      options.birthDate ??
      new Date(Date.UTC(1960, 0, 1) + randomInt(0, 30 * 365) * 86_400_000).toISOString().slice(0, 10);
    let seq = randomInt(0, 1000);
    if (options.gender) seq = seq - (seq % 2) + (options.gender === 'male' ? 1 : 0);
    const first17 = `${options.region ?? '610113'}${birth.replaceAll('-', '')}${String(seq).padStart(3, '0')}`;
    const id = first17 + idNumberCheckChar(first17);
    if (!issuedIdNumbers.has(id)) {
      issuedIdNumbers.add(id);
      return id;
    }
  }
}

/** A registration body for POST /api/members: valid, with a fresh ID number and phone. */
export function memberBody(orgId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    orgId,
    name: '王小明',
    idNumber: randomIdNumber(),
    ethnicity: '01',
    politicalStatus: 'masses',
    education: 'bachelor',
    householdType: 'urban',
    householdRegion: '610113',
    phone: randomPhone(),
    employmentType: 'regular',
    joinDate: '2024-03-01',
    ...overrides,
  };
}

/**
 * A registered member of `org` (default: a fresh grassroots union under a fresh federation),
 * through the service's system path, so every registration rule holds. Returns the member's
 * detail as the service sees it (unmasked values included).
 */
export async function makeMember(
  app: FastifyInstance,
  options: { org?: OrganizationTable } & Record<string, unknown> = {},
) {
  const { org: given, ...overrides } = options;
  const org = given ?? (await makeOrg(app, { parent: await makeOrg(app), type: 'grassroots' }));
  const body = memberBody(org.id, overrides);
  const member = await app.services.members.provisionMember(
    sys,
    body as Parameters<typeof app.services.members.provisionMember>[1],
  );
  return { ...member, org };
}

/**
 * A funding and a budget account of one purpose at `org` (a fresh purpose unless given), the
 * budget allocated `fen` from the funding account through the ledger.
 */
export async function makeFundedBudget(
  app: FastifyInstance,
  org: Pick<OrganizationTable, 'id'>,
  fen: number,
  purpose = unique('p_').toLowerCase(),
) {
  const ledger = app.services.ledger;
  const funding = await ledger.open(sys, { kind: 'funding', orgId: org.id, purpose });
  const budget = await ledger.open(sys, { kind: 'budget', orgId: org.id, purpose });
  if (fen > 0) {
    await ledger.transfer(sys, {
      idempotencyKey: unique('fund-'),
      debitAccountId: funding.id,
      creditAccountId: budget.id,
      amount: fen,
      kind: 'allocation',
    });
  }
  return { funding, budget, purpose };
}

/** An open inactivity proposal of `membership`, as the daily run writes one; answers its id. */
export async function makeInactivityProposal(
  app: FastifyInstance,
  membership: Pick<MembershipTable, 'id' | 'person_id' | 'org_id' | 'org_path' | 'province_root'>,
  on: { runOn: string; lastSignOn: string },
): Promise<string> {
  const id = newId();
  await app.core.db
    .insertInto('inactivity_proposal')
    .values({
      id,
      run_on: on.runOn,
      person_id: membership.person_id,
      membership_id: membership.id,
      org_id: membership.org_id,
      org_path: membership.org_path,
      province_root: membership.province_root,
      last_sign_on: on.lastSignOn,
      status: 'open',
      reason: null,
      decided_by: null,
      decided_at: null,
      created_at: new Date().toISOString(),
    })
    .execute();
  return id;
}
