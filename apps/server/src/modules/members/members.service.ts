import { ageOn, type FieldError, type memberRegisterBody, type memberUpdateBody, parseBankCard } from '@zhgh/contracts';
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
import type { BlindIndexer } from '../../core/crypto/blind-index.ts';
import { isUniqueViolation, lockShared } from '../../db/dialect.ts';
import type { DB, MembershipTable, OrganizationTable, PersonTable } from '../../db/schema.ts';
import { orgsRepository } from '../orgs/orgs.repository.ts';
import { ORG_TREE_LOCK } from '../../db/org-scoped.ts';
import type { RegionsService } from '../regions/regions.service.ts';
import { applyCounterDeltas, CounterDeltas } from '../stats/stats.counters.ts';
import { workUnitsRepository } from '../work-units/work-units.repository.ts';
import {
  bankCardError,
  checkRegistration,
  checkUnionAcceptsMembers,
  classifySearch,
  employmentErrors,
  formatMemberNumber,
  type Identity,
  idNumberTaken,
  type MemberSearch,
  memberNumberTaken,
  nameInitials,
  PERSON_FIELD_CONTEXTS,
  phoneTaken,
} from './members.policy.ts';
import type { MemberListView, MemberView } from './members.presenter.ts';
import {
  type MemberListRow,
  type MemberSearchFilter,
  type MembershipRow,
  membersRepository as repo,
} from './members.repository.ts';

/** Fields the audit log records as changed, never with their values. */
const SENSITIVE = ['idNumber', 'birthDate', 'phone', 'bankCard'];

type Q = Kysely<DB>;
type RegisterInput = z.infer<typeof memberRegisterBody>;
type UpdateInput = z.infer<typeof memberUpdateBody>;
type RevealField = 'idNumber' | 'phone' | 'bankCard';

/**
 * What opening a membership needs once the input is checked: the identity parsed from the ID
 * number, and the record's fields (absent ones keep what a rejoining person has on record).
 */
export interface PersonInput {
  name: string;
  identity: Identity;
  phone?: string | null | undefined;
  bankCard?: string | null | undefined;
  ethnicity?: string | null | undefined;
  politicalStatus?: string | null | undefined;
  education?: string | null | undefined;
  householdType?: string | null | undefined;
  householdRegion?: string | null | undefined;
  employmentType: string;
  newFormGroup?: string | null | undefined;
  workUnitId?: string | null | undefined;
  workUnitName?: string | null | undefined;
}

export interface MembershipOpening extends PersonInput {
  orgId: string;
  joinDate: string;
  memberNumber?: string | null | undefined;
  cardNumber?: string | null | undefined;
}

/**
 * The one place a real-name record row is built (registration, joining, the model-worker
 * registry): the ID number and phone encrypted with their blind indexes, the name's pinyin
 * initials; on record already, the row brought up to date, keeping what the input leaves out.
 */
export function buildPersonRow(
  crypto: Pick<CoreDeps, 'cipher' | 'blind'>,
  input: PersonInput,
  existing: PersonTable | undefined,
  now: string,
): PersonTable {
  const { cipher, blind } = crypto;
  const C = PERSON_FIELD_CONTEXTS;
  const { identity } = input;
  const keep = <T>(given: T | null | undefined, old: T | null | undefined): T | null => given ?? old ?? null;
  return {
    id: existing?.id ?? newId(),
    name: input.name,
    name_initials: nameInitials(input.name),
    id_number_cipher: existing?.id_number_cipher ?? cipher.encrypt(identity.idNumber, C.idNumber),
    id_number_index: blind.index(identity.idNumber, C.idNumber),
    gender: identity.gender,
    birth_date: identity.birthDate,
    // A rejoining person keeps what is on record unless the new input says otherwise.
    ethnicity: keep(input.ethnicity, existing?.ethnicity),
    political_status: keep(input.politicalStatus, existing?.political_status),
    education: keep(input.education, existing?.education),
    household_type: keep(input.householdType, existing?.household_type),
    household_region: keep(input.householdRegion, existing?.household_region),
    phone_cipher: input.phone ? cipher.encrypt(input.phone, C.phone) : (existing?.phone_cipher ?? null),
    phone_index: input.phone ? blind.index(input.phone, C.phone) : (existing?.phone_index ?? null),
    bank_card_cipher: input.bankCard
      ? cipher.encrypt(input.bankCard, C.bankCard)
      : (existing?.bank_card_cipher ?? null),
    bank_card_index: input.bankCard ? blind.index(input.bankCard, C.bankCard) : (existing?.bank_card_index ?? null),
    employment_type: input.employmentType,
    new_form_group: input.newFormGroup ?? null,
    work_unit_id: input.workUnitId ?? null,
    work_unit_name: input.workUnitName ?? null,
    // A verification holds for the name it checked.
    real_name_verified: existing && existing.name === input.name ? existing.real_name_verified : 0,
    created_at: existing?.created_at ?? now,
    updated_at: now,
  };
}

/** A person and membership under the names the API uses, for audit diffs. Sensitive fields carry their blind index. */
function auditable(p: PersonTable, m?: MembershipTable): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: p.name,
    idNumber: p.id_number_index,
    gender: p.gender,
    birthDate: p.birth_date,
    ethnicity: p.ethnicity,
    politicalStatus: p.political_status,
    education: p.education,
    householdType: p.household_type,
    householdRegion: p.household_region,
    phone: p.phone_index,
    bankCard: p.bank_card_index,
    employmentType: p.employment_type,
    newFormGroup: p.new_form_group,
    workUnitId: p.work_unit_id,
    workUnitName: p.work_unit_name,
    realNameVerified: p.real_name_verified === 1,
  };
  if (m) {
    Object.assign(out, {
      orgId: m.org_id,
      membershipId: m.id,
      joinDate: m.started_on,
      memberNumber: m.member_number,
      cardNumber: m.card_number,
    });
  }
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== null && v !== undefined));
}

/**
 * A classified search term as the member list's filter: ID numbers and phones through their
 * blind indexes (exact only), names and initials as prefixes of the copies on memberships.
 * The member list and the member export both narrow this way.
 */
export function memberSearchFilter(s: MemberSearch, blind: BlindIndexer): MemberSearchFilter {
  switch (s.kind) {
    case 'idNumber':
      return s.idNumber
        ? { column: 'person.id_number_index', equals: blind.index(s.idNumber, PERSON_FIELD_CONTEXTS.idNumber) }
        : { none: true };
    case 'phone':
      return { column: 'person.phone_index', equals: blind.index(s.phone, PERSON_FIELD_CONTEXTS.phone) };
    case 'initials':
      return { column: 'membership.name_initials', prefix: s.initials };
    case 'name':
      return { column: 'membership.name', prefix: s.prefix };
    default:
      return { none: true };
  }
}

export function createMembersService(deps: CoreDeps, regions: RegionsService) {
  const { db, write, dialect, cipher, blind } = deps;
  const C = PERSON_FIELD_CONTEXTS;
  const iso = () => deps.now().toISOString();
  const today = () => localDate(deps.now());
  const ageToday = (birthDate: string) => ageOn(birthDate, new Date(`${today()}T00:00:00Z`));
  const idIndex = (idNumber: string) => blind.index(idNumber, C.idNumber);
  const phoneIndex = (phone: string) => blind.index(phone, C.phone);
  const decrypt = (value: string | null, context: string) => (value ? cipher.decrypt(value, context) : null);

  async function loadUnion(q: Q, id: string, scope: Scope | null): Promise<OrganizationTable> {
    const org = await orgsRepository.findById(q, id);
    if (!org) throw AppError.notFound();
    if (scope) requireInScope(scope, org.path);
    return org;
  }

  /** A person and the membership that places them (open, else the last); outside scope, missing. */
  async function loadMember(ctx: RequestContext, id: string, permission: string) {
    const person = await repo.findPersonById(db, id);
    const membership = person ? await repo.findCurrentMembership(db, id) : undefined;
    if (!person || !membership) throw AppError.notFound();
    requireInScope(scopeFor(ctx.principal, permission), membership.org_path);
    return { person, membership };
  }

  async function view(personId: string): Promise<MemberView> {
    const person = (await repo.findPersonById(db, personId))!;
    const membership = (await repo.findCurrentMembership(db, personId))!;
    const workUnitName = person.work_unit_id
      ? ((await repo.findWorkUnitName(db, person.work_unit_id)) ?? null)
      : person.work_unit_name;
    return {
      person,
      membership,
      workUnitName,
      idNumber: cipher.decrypt(person.id_number_cipher, C.idNumber),
      phone: decrypt(person.phone_cipher, C.phone),
      bankCard: decrypt(person.bank_card_cipher, C.bankCard),
      age: ageToday(person.birth_date),
    };
  }

  function listViews(rows: MemberListRow[]): MemberListView[] {
    return rows.map((row) => ({
      row,
      idNumber: cipher.decrypt(row.id_number_cipher, C.idNumber),
      phone: decrypt(row.phone_cipher, C.phone),
      age: ageToday(row.birth_date),
    }));
  }

  /**
   * A registered work unit named by id: it must exist and be the actor's to see, or answer
   * for the union's area (its union, or a federation above the union, as for units without a
   * union of their own). Otherwise it does not exist for the actor.
   */
  async function requireWorkUnit(id: string, union: OrganizationTable, scope: Scope | null): Promise<void> {
    const unit = await workUnitsRepository.findById(db, id);
    if (!unit) throw AppError.notFound();
    if (!scope) return;
    const answersForUnion = union.path.startsWith(unit.org_path) || unit.union_org_id === union.id;
    if (!answersForUnion && !covers(scope, unit.org_path)) throw AppError.notFound();
  }

  /** Field errors of a region code, collected rather than thrown. */
  function regionErrors(code: string | undefined, field: string): FieldError[] {
    if (code === undefined) return [];
    try {
      regions.requireKnown(code, field);
      return [];
    } catch (err) {
      if (err instanceof AppError && err.fields) return err.fields;
      throw err;
    }
  }

  /** Holder of an open membership, named only where the actor's member.read scope reaches. */
  function holderFor(ctx: RequestContext, open: MembershipRow): { orgName: string } | null {
    if (!ctx.principal) return ctx.actor.kind === 'system' ? { orgName: open.org_name } : null;
    return covers(scopeFor(ctx.principal, 'member.read'), open.org_path) ? { orgName: open.org_name } : null;
  }

  /**
   * The refusals a registration can meet from data already on record, checked against `q`
   * (the database before the transaction, the transaction inside it, and again after a
   * unique violation, when a concurrent registration has committed).
   */
  async function refuseTaken(
    q: Q,
    ctx: RequestContext,
    keys: { idIndex: string; phoneIndex: string | null; memberNumber: string | null },
  ): Promise<PersonTable | undefined> {
    const open = await repo.findOpenMembershipByIdNumberIndex(q, keys.idIndex);
    if (open) throw idNumberTaken('body.idNumber', holderFor(ctx, open));
    const existing = await repo.findPersonByIdNumberIndex(q, keys.idIndex);
    if (keys.phoneIndex) {
      const holder = await repo.findPersonByPhoneIndex(q, keys.phoneIndex);
      if (holder && holder.id !== existing?.id) {
        // Each read sees what had committed when it ran: a concurrent registration of this very
        // person may have landed between the reads above. Then it is the ID number that is taken.
        if (holder.id_number_index === keys.idIndex) {
          const now = await repo.findOpenMembershipByIdNumberIndex(q, keys.idIndex);
          if (now) throw idNumberTaken('body.idNumber', holderFor(ctx, now));
        }
        throw phoneTaken('body.phone');
      }
    }
    if (keys.memberNumber && (await repo.memberNumbersInUse(q, [keys.memberNumber])).size > 0) {
      throw memberNumberTaken('body.memberNumber');
    }
    return existing;
  }

  /** The next generated member number of this year, skipping any an earlier system issued. */
  async function nextMemberNumber(q: Q): Promise<string> {
    const year = Number(today().slice(0, 4));
    for (;;) {
      const candidate = formatMemberNumber(year, await repo.drawMemberNumbers(q, year, 1));
      if ((await repo.memberNumbersInUse(q, [candidate])).size === 0) return candidate;
    }
  }

  /**
   * The registration core, inside the caller's unit of work: the union as it is inside the
   * tree lock, the refusals against what is on record, the person created or reused (a
   * rejoining person keeps their record), the membership with its member number, the counters
   * and the audit event. Registration runs it in a transaction of its own; an approved join
   * application runs it inside the engine's step, so the step and the membership commit together.
   */
  type OpeningKeys = { idIndex: string; phoneIndex: string | null; memberNumber: string | null };
  type Opened = { person: PersonTable; membership: MembershipTable; rejoined: boolean };

  const keysOf = (input: MembershipOpening): OpeningKeys => ({
    idIndex: idIndex(input.identity.idNumber),
    phoneIndex: input.phone ? phoneIndex(input.phone) : null,
    memberNumber: input.memberNumber ?? null,
  });

  function membershipRow(
    input: MembershipOpening,
    person: PersonTable,
    at: OrganizationTable,
    memberNumber: string,
    now: string,
  ): MembershipTable {
    return {
      id: newId(),
      person_id: person.id,
      id_number_index: person.id_number_index,
      org_id: at.id,
      org_path: at.path,
      province_root: at.province_root,
      name: person.name,
      name_initials: person.name_initials,
      status: 'active',
      started_on: input.joinDate,
      ended_on: null,
      end_reason: null,
      member_number: memberNumber,
      card_number: input.cardNumber ?? null,
      created_at: now,
      updated_at: now,
    };
  }

  function auditOpened(s: WriteScope, opened: Opened, existing: PersonTable | undefined, orgPath: string) {
    return s.audit({
      action: existing ? 'member.rejoin' : 'member.register',
      subjectType: 'person',
      subjectId: opened.person.id,
      orgPath,
      changes: diffFields(
        existing ? auditable(existing) : null,
        auditable(opened.person, opened.membership),
        SENSITIVE,
      ),
    });
  }

  async function openIn(s: WriteScope, ctx: RequestContext, input: MembershipOpening, scope: Scope | null) {
    const keys = keysOf(input);
    await lockShared(s.trx as unknown as Kysely<unknown>, dialect, ORG_TREE_LOCK);
    // The union as it is now, inside the lock: a concurrent move may have rewritten its path.
    const at = await loadUnion(s.trx, input.orgId, scope);
    checkUnionAcceptsMembers(at);
    const existing = await refuseTaken(s.trx, ctx, keys);
    const now = iso();
    const person = buildPersonRow(deps, input, existing, now);
    if (existing) await repo.updatePerson(s.trx, person.id, person);
    else await repo.insertPerson(s.trx, person);
    const membership = membershipRow(input, person, at, keys.memberNumber ?? (await nextMemberNumber(s.trx)), now);
    await repo.insertMembership(s.trx, membership);
    // A rejoining person had no open membership (refused above), so only the new one counts.
    const deltas = new CounterDeltas();
    deltas.member(at.path, person, 'active', 1);
    await applyCounterDeltas(s.trx, dialect, deltas);
    const opened: Opened = { person, membership, rejoined: existing !== undefined };
    await auditOpened(s, opened, existing, at.path);
    return opened;
  }

  /**
   * Many openings in one unit of work (a batch approval): the same rows, checks and audit events
   * as one `openIn` each, written set-based — one lookup per kind for the whole set, a range of
   * member numbers drawn at once, multi-row inserts, the counters applied once. Anything a set
   * cannot answer row by row (someone already a member, a phone on another record, two openings
   * of one person or one phone, numbers given by hand) is left to `openIn` for each input, so
   * every refusal reads as it would alone.
   */
  async function openManyIn(s: WriteScope, ctx: RequestContext, inputs: readonly MembershipOpening[]) {
    if (inputs.length === 0) return [];
    const oneByOne = async () => {
      const out: Opened[] = [];
      for (const input of inputs) out.push(await openIn(s, ctx, input, null));
      return out;
    };
    const keys = inputs.map(keysOf);
    const idIndexes = keys.map((k) => k.idIndex);
    const phones = keys.flatMap((k) => (k.phoneIndex ? [k.phoneIndex] : []));
    if (
      keys.some((k) => k.memberNumber) ||
      new Set(idIndexes).size !== idIndexes.length ||
      new Set(phones).size !== phones.length
    ) {
      return oneByOne();
    }
    await lockShared(s.trx as unknown as Kysely<unknown>, dialect, ORG_TREE_LOCK);
    const unions = new Map<string, OrganizationTable>();
    for (const orgId of new Set(inputs.map((i) => i.orgId))) {
      const at = await loadUnion(s.trx, orgId, null);
      checkUnionAcceptsMembers(at);
      unions.set(orgId, at);
    }
    if ((await repo.findOpenMembershipsByIdNumberIndexes(s.trx, idIndexes)).length > 0) return oneByOne();
    const existing = new Map(
      (await repo.findPersonsByIdNumberIndexes(s.trx, idIndexes)).map((p) => [p.id_number_index, p]),
    );
    const holders = await repo.findPersonsByPhoneIndexes(s.trx, phones);
    const idOfPhone = new Map(keys.flatMap((k) => (k.phoneIndex ? [[k.phoneIndex, k.idIndex] as const] : [])));
    if (holders.some((h) => idOfPhone.get(h.phone_index!) !== h.id_number_index)) return oneByOne();

    const year = Number(today().slice(0, 4));
    const first = await repo.drawMemberNumbers(s.trx, year, inputs.length);
    const numbers = inputs.map((_, i) => formatMemberNumber(year, first + i));
    // An earlier system's numbers may sit in the range drawn: those openings draw again.
    const used = await repo.memberNumbersInUse(s.trx, numbers);
    for (let i = 0; i < numbers.length; i++) if (used.has(numbers[i]!)) numbers[i] = await nextMemberNumber(s.trx);

    const now = iso();
    const deltas = new CounterDeltas();
    const rows = inputs.map((input, i) => {
      const before = existing.get(keys[i]!.idIndex);
      const at = unions.get(input.orgId)!;
      const person = buildPersonRow(deps, input, before, now);
      const membership = membershipRow(input, person, at, numbers[i]!, now);
      deltas.member(at.path, person, 'active', 1);
      return { opened: { person, membership, rejoined: before !== undefined }, before, at };
    });
    for (const { opened, before } of rows) if (before) await repo.updatePerson(s.trx, opened.person.id, opened.person);
    await repo.insertMany(
      s.trx,
      rows.filter((r) => !r.before).map((r) => r.opened.person),
      rows.map((r) => r.opened.membership),
    );
    await applyCounterDeltas(s.trx, dialect, deltas);
    for (const { opened, before, at } of rows) await auditOpened(s, opened, before, at.path);
    return rows.map((r) => r.opened);
  }

  async function registerIn(ctx: RequestContext, input: RegisterInput, scope: Scope | null): Promise<MemberView> {
    // The union id comes from the body: outside scope it is missing, before any other check.
    const union = await loadUnion(db, input.orgId, scope);
    const { identity, bankCard } = checkRegistration(input, today(), [
      ...regionErrors(input.householdRegion, 'body.householdRegion'),
      ...employmentErrors(input),
    ]);
    checkUnionAcceptsMembers(union);
    if (input.workUnitId) await requireWorkUnit(input.workUnitId, union, scope);
    const keys = {
      idIndex: idIndex(identity.idNumber),
      phoneIndex: input.phone ? phoneIndex(input.phone) : null,
      memberNumber: input.memberNumber ?? null,
    };
    await refuseTaken(db, ctx, keys);
    try {
      const personId = await write(ctx, async (s) => {
        const opened = await openIn(s, ctx, { ...input, identity, bankCard }, scope);
        return opened.person.id;
      });
      return view(personId);
    } catch (err) {
      // The unique indexes are the last word: a concurrent registration of the same person,
      // phone or number committed first. Explain it as the pre-check would have.
      if (isUniqueViolation(err)) {
        await refuseTaken(db, ctx, keys);
        throw new AppError('CONFLICT', undefined, 'unique violation without a visible holder');
      }
      throw err;
    }
  }

  return {
    /** Blind index of a normalized 18-character ID number, as `person.id_number_index` holds it. */
    idNumberIndex: idIndex,
    phoneIndex,

    async register(ctx: RequestContext, input: RegisterInput): Promise<MemberView> {
      return registerIn(ctx, input, scopeFor(ctx.principal, 'member.write'));
    },

    /**
     * System bootstrap (demo seed, test factories): register under any union without an
     * actor's scope; every other rule holds. Never bound to a route.
     */
    async provisionMember(ctx: RequestContext, input: RegisterInput): Promise<MemberView> {
      return registerIn(ctx, input, null);
    },

    /**
     * Open a membership inside a unit of work the caller holds (an approved join application:
     * the engine's step). The caller has checked the input and that the actor may act at the
     * union; every rule of the record holds here as in registration.
     */
    openMembershipIn(s: WriteScope, ctx: RequestContext, input: MembershipOpening) {
      return openIn(s, ctx, input, null);
    },

    /** Many openings at once inside the caller's unit of work (batch approval); see `openManyIn`. */
    openMembershipsIn(s: WriteScope, ctx: RequestContext, inputs: readonly MembershipOpening[]) {
      return openManyIn(s, ctx, inputs);
    },

    /**
     * After a unique violation of a registration run in the caller's unit of work: the refusal
     * the pre-check would have given, now that the concurrent writer has committed.
     */
    async explainTaken(ctx: RequestContext, input: Pick<MembershipOpening, 'identity' | 'phone'>): Promise<void> {
      await refuseTaken(db, ctx, {
        idIndex: idIndex(input.identity.idNumber),
        phoneIndex: input.phone ? phoneIndex(input.phone) : null,
        memberNumber: null,
      });
    },

    async list(
      ctx: RequestContext,
      q: {
        page: number;
        pageSize: number;
        orgId?: string | undefined;
        status: 'active' | 'retained' | 'open';
        employmentType?: string | undefined;
        gender?: string | undefined;
        q?: string | undefined;
      },
    ) {
      let scope = scopeFor(ctx.principal, 'member.read');
      if (q.orgId) scope = narrowScope(scope, (await loadUnion(db, q.orgId, scope)).path);
      const search = q.q ? memberSearchFilter(classifySearch(q.q, today()), blind) : undefined;
      const { rows, total, totalCapped } = await repo.list(
        db,
        dialect,
        scope,
        { status: q.status, employmentType: q.employmentType, gender: q.gender, search },
        { limit: q.pageSize, offset: (q.page - 1) * q.pageSize },
      );
      return { items: listViews(rows), total, totalCapped };
    },

    async get(ctx: RequestContext, id: string): Promise<MemberView> {
      await loadMember(ctx, id, 'member.read');
      return view(id);
    },

    async update(ctx: RequestContext, id: string, input: UpdateInput): Promise<MemberView> {
      const { person: before, membership } = await loadMember(ctx, id, 'member.write');
      const employmentType = input.employmentType ?? before.employment_type;
      // Leaving new-form work drops the group unless one is given (which the rule then refuses).
      const newFormGroup =
        input.newFormGroup !== undefined
          ? input.newFormGroup
          : employmentType === 'new_form'
            ? before.new_form_group
            : null;
      const workUnitId =
        input.workUnitId !== undefined ? input.workUnitId : input.workUnitName ? null : before.work_unit_id;
      const workUnitName =
        input.workUnitName !== undefined ? input.workUnitName : input.workUnitId ? null : before.work_unit_name;
      const errors: FieldError[] = [
        ...regionErrors(input.householdRegion, 'body.householdRegion'),
        ...employmentErrors({ employmentType, newFormGroup, workUnitId, workUnitName }),
      ];
      let bankCard: string | null | undefined = input.bankCard;
      if (typeof input.bankCard === 'string') {
        const card = parseBankCard(input.bankCard);
        if (card.ok) bankCard = card.value;
        else errors.push(bankCardError('body.bankCard', card.problem));
      }
      if (errors.length > 0) throw new AppError('VALIDATION_FAILED', errors);
      if (input.workUnitId) {
        await requireWorkUnit(
          input.workUnitId,
          (await orgsRepository.findById(db, membership.org_id))!,
          scopeFor(ctx.principal, 'member.write'),
        );
      }
      const newPhoneIndex = input.phone ? phoneIndex(input.phone) : input.phone;
      const name = input.name ?? before.name;
      const after: PersonTable = {
        ...before,
        name,
        name_initials: nameInitials(name),
        ethnicity: input.ethnicity ?? before.ethnicity,
        political_status: input.politicalStatus ?? before.political_status,
        education: input.education ?? before.education,
        household_type: input.householdType ?? before.household_type,
        household_region: input.householdRegion ?? before.household_region,
        phone_cipher:
          input.phone === undefined ? before.phone_cipher : input.phone ? cipher.encrypt(input.phone, C.phone) : null,
        phone_index: newPhoneIndex === undefined ? before.phone_index : newPhoneIndex,
        bank_card_cipher:
          bankCard === undefined ? before.bank_card_cipher : bankCard ? cipher.encrypt(bankCard, C.bankCard) : null,
        bank_card_index:
          bankCard === undefined ? before.bank_card_index : bankCard ? blind.index(bankCard, C.bankCard) : null,
        employment_type: employmentType,
        new_form_group: newFormGroup ?? null,
        work_unit_id: workUnitId ?? null,
        work_unit_name: workUnitName ?? null,
        real_name_verified: name === before.name ? before.real_name_verified : 0,
      };
      const changes = diffFields(auditable(before), auditable(after), SENSITIVE);
      if (changes.length === 0) return view(id);
      if (after.phone_index && after.phone_index !== before.phone_index) {
        const holder = await repo.findPersonByPhoneIndex(db, after.phone_index);
        if (holder && holder.id !== id) throw phoneTaken('body.phone');
      }
      try {
        await write(ctx, async (s) => {
          // The person and open membership as they are now, inside the tree lock: the counters
          // move from what is on record to what is written, under the path a move left.
          await lockShared(s.trx as unknown as Kysely<unknown>, dialect, ORG_TREE_LOCK);
          const current = (await repo.findPersonById(s.trx, id))!;
          const open = await repo.findCurrentMembership(s.trx, id);
          await repo.updatePerson(s.trx, id, { ...after, updated_at: iso() });
          if (open && open.ended_on === null && (open.status === 'active' || open.status === 'retained')) {
            const deltas = new CounterDeltas();
            deltas.member(open.org_path, current, open.status, -1);
            deltas.member(open.org_path, after, open.status, 1);
            await applyCounterDeltas(s.trx, dialect, deltas);
          }
          await s.audit({
            action: 'member.update',
            subjectType: 'person',
            subjectId: id,
            orgPath: membership.org_path,
            changes,
          });
        });
      } catch (err) {
        // Only the phone of a person can collide on an edit: someone registered it meanwhile.
        if (isUniqueViolation(err)) throw phoneTaken('body.phone');
        throw err;
      }
      return view(id);
    },

    /** Full values of the asked fields; the reveal is audited with its reason, never with the values. */
    async reveal(ctx: RequestContext, id: string, input: { reason: string; fields: RevealField[] }) {
      const { person, membership } = await loadMember(ctx, id, 'member.reveal');
      await write(ctx, (s) =>
        s.audit({
          action: 'member.reveal',
          subjectType: 'person',
          subjectId: id,
          orgPath: membership.org_path,
          changes: [
            { field: 'reason', to: input.reason },
            { field: 'fields', to: [...input.fields].sort() },
          ],
        }),
      );
      const out: { idNumber?: string; phone?: string | null; bankCard?: string | null } = {};
      for (const f of input.fields) {
        if (f === 'idNumber') out.idNumber = cipher.decrypt(person.id_number_cipher, C.idNumber);
        if (f === 'phone') out.phone = decrypt(person.phone_cipher, C.phone);
        if (f === 'bankCard') out.bankCard = decrypt(person.bank_card_cipher, C.bankCard);
      }
      return out;
    },

    async memberships(ctx: RequestContext, id: string): Promise<MembershipRow[]> {
      await loadMember(ctx, id, 'member.read');
      return repo.findMemberships(db, id);
    },

    /** Members of a union (or its subtree) on a date. */
    async asOf(
      ctx: RequestContext,
      orgId: string,
      q: { page: number; pageSize: number; asOf?: string | undefined; subtree: boolean },
    ) {
      const org = await loadUnion(db, orgId, scopeFor(ctx.principal, 'member.read'));
      const day = q.asOf ?? today();
      if (day > today()) {
        throw AppError.invalid('query.asOf', 'too_big', {
          'zh-CN': '查询日期不能晚于今天',
          en: 'The date cannot be in the future',
        });
      }
      const { rows, total } = await repo.listAsOf(
        db,
        q.subtree ? { scope: { permission: 'member.read', paths: [org.path] } } : { orgId: org.id },
        day,
        { limit: q.pageSize, offset: (q.page - 1) * q.pageSize },
      );
      return { items: listViews(rows), total };
    },
  };
}
export type MembersService = ReturnType<typeof createMembersService>;
