import {
  ageOn,
  type FieldError,
  MODEL_WORKER_LABELS,
  type modelWorkerCreateBody,
  type modelWorkerListQuery,
  type modelWorkerUpdateBody,
  normalizeIdNumber,
  parseBankCard,
  parseIdNumber,
} from '@zhgh/contracts';
import ExcelJS from 'exceljs';
import type { z } from 'zod';
import { narrowScope, requireInScope, type Scope, scopeFor } from '../../core/access/scope.ts';
import type { RequestContext } from '../../core/actor.ts';
import { AppError, fieldError } from '../../core/app-error.ts';
import { diffFields } from '../../core/audit/audit.ts';
import { localDate } from '../../core/calendar.ts';
import { maskBankCard, maskIdNumber, maskName, maskPhone } from '../../core/crypto/mask.ts';
import type { CoreDeps } from '../../core/deps.ts';
import { newId } from '../../core/ids.ts';
import { qrPng, renderPdf } from '../../core/pdf.ts';
import { isUniqueViolation } from '../../db/dialect.ts';
import type { ModelWorkerTable, OrganizationTable, PersonTable } from '../../db/schema.ts';
import { bankCardError, idNumberError, phoneTaken, PERSON_FIELD_CONTEXTS } from '../members/members.policy.ts';
import { membersRepository } from '../members/members.repository.ts';
import { buildPersonRow } from '../members/members.service.ts';
import { orgsRepository } from '../orgs/orgs.repository.ts';
import {
  awardTaken,
  certificatePrefix,
  certificateSeq,
  certificateTaken,
  formatCertificateNo,
  honorState,
  nameMismatch,
} from './model-workers.policy.ts';
import type { ModelWorkerView } from './model-workers.presenter.ts';
import {
  type ModelWorkerFilter,
  type ModelWorkerRow,
  modelWorkersRepository as repo,
} from './model-workers.repository.ts';

type CreateInput = z.infer<typeof modelWorkerCreateBody>;
type UpdateInput = z.infer<typeof modelWorkerUpdateBody>;
type ListQuery = z.infer<typeof modelWorkerListQuery>;
type FilterQuery = Omit<ListQuery, 'page' | 'pageSize'>;

/** Audited fields; the bank card by its blind index only. */
function auditable(r: ModelWorkerTable, bankCardIndex?: string | null): Record<string, unknown> {
  const out: Record<string, unknown> = {
    personId: r.person_id,
    orgId: r.org_id,
    category: r.category,
    level: r.level,
    title: r.title,
    awardingBody: r.awarding_body,
    yearAwarded: r.year_awarded,
    certificateNo: r.certificate_no,
    honorStatus: r.honor_status,
    revokedOn: r.revoked_on,
    revokedReason: r.revoked_reason,
    employmentStatus: r.employment_status,
    farmer: r.farmer === 1,
    lostWorkCapacity: r.lost_work_capacity === 1,
    deceasedOn: r.deceased_on,
    bankName: r.bank_name,
    bankCard: bankCardIndex,
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== null && v !== undefined));
}

export function createModelWorkersService(deps: CoreDeps) {
  const { db, write, cipher, blind } = deps;
  const C = PERSON_FIELD_CONTEXTS;
  const iso = () => deps.now().toISOString();
  const today = () => localDate(deps.now());
  const decrypt = (value: string | null, context: string) => (value ? cipher.decrypt(value, context) : null);

  function view(row: ModelWorkerRow): ModelWorkerView {
    return {
      row,
      idNumber: cipher.decrypt(row.id_number_cipher, C.idNumber),
      phone: decrypt(row.phone_cipher, C.phone),
      bankCard: decrypt(row.bank_card_cipher, C.bankCard),
      age: ageOn(row.birth_date, new Date(`${today()}T00:00:00Z`)),
    };
  }

  /** An entry the actor may reach with `permission`; outside scope it is missing. */
  async function load(ctx: RequestContext, id: string, permission: string): Promise<ModelWorkerRow> {
    const row = await repo.findById(db, id);
    if (!row) throw AppError.notFound();
    // The system actor (demo seed, tests) has no grants and reaches every entry.
    if (!ctx.principal && ctx.actor.kind === 'system') return row;
    requireInScope(scopeFor(ctx.principal, permission), row.org_path);
    return row;
  }

  async function loadUnion(id: string, scope: Scope | null): Promise<OrganizationTable> {
    const org = await orgsRepository.findById(db, id);
    if (!org) throw AppError.notFound();
    if (scope) requireInScope(scope, org.path);
    return org;
  }

  async function toFilter(ctx: RequestContext, q: FilterQuery): Promise<{ scope: Scope; filter: ModelWorkerFilter }> {
    let scope = scopeFor(ctx.principal, 'modelWorker.read');
    if (q.orgId) scope = narrowScope(scope, (await loadUnion(q.orgId, scope)).path);
    const filter: ModelWorkerFilter = {
      level: q.level,
      category: q.category,
      honorStatus: q.honorStatus,
      farmer: q.farmer === undefined ? undefined : q.farmer === 'true',
      year: q.year,
    };
    if (q.q) {
      const id = normalizeIdNumber(q.q);
      if (/^\d{17}[\dX]$/.test(id) || /^\d{15}$/.test(id)) {
        const parsed = parseIdNumber(id, deps.now());
        // An ID-shaped term that fails its check matches nobody.
        filter.idNumberIndex = parsed.ok ? blind.index(parsed.value, C.idNumber) : 'none';
      } else {
        filter.namePrefix = q.q;
      }
    }
    return { scope, filter };
  }

  /** Bank card typed in a form: normalized, or a field error. */
  function checkBankCard(raw: string | null | undefined, errors: FieldError[]): string | null | undefined {
    if (typeof raw !== 'string') return raw;
    const card = parseBankCard(raw);
    if (card.ok) return card.value;
    errors.push(bankCardError('body.bankCard', card.problem));
    return undefined;
  }

  function checkDates(input: { yearAwarded?: number; deceasedOn?: string | null | undefined }, errors: FieldError[]) {
    const now = today();
    if (input.yearAwarded !== undefined && input.yearAwarded > Number(now.slice(0, 4))) {
      errors.push(
        fieldError('body.yearAwarded', 'too_big', {
          'zh-CN': '授予年度不能晚于今年',
          en: 'The year cannot be in the future',
        }),
      );
    }
    if (input.deceasedOn && input.deceasedOn > now) {
      errors.push(
        fieldError('body.deceasedOn', 'too_big', {
          'zh-CN': '去世日期不能晚于今天',
          en: 'The date cannot be in the future',
        }),
      );
    }
  }

  /** The person an entry is for: an existing visible one, one found by ID number, or a new one to insert. */
  async function resolvePerson(
    ctx: RequestContext,
    input: CreateInput,
    writeScope: Scope | null,
    errors: FieldError[],
  ): Promise<{ person: PersonTable | null; fresh: PersonTable | null }> {
    if (input.personId) {
      const person = await membersRepository.findPersonById(db, input.personId);
      if (!person) throw AppError.notFound();
      if (writeScope && !(await repo.personVisible(db, person.id, writeScope, writeScope))) throw AppError.notFound();
      return { person, fresh: null };
    }
    if (!input.name) errors.push(fieldError('body.name', 'required'));
    if (!input.idNumber) errors.push(fieldError('body.idNumber', 'required'));
    if (!input.name || !input.idNumber) return { person: null, fresh: null };
    const parsed = parseIdNumber(input.idNumber, new Date(`${today()}T00:00:00Z`));
    if (!parsed.ok) {
      errors.push(idNumberError('body.idNumber', parsed.problem));
      return { person: null, fresh: null };
    }
    const index = blind.index(parsed.value, C.idNumber);
    const existing = await membersRepository.findPersonByIdNumberIndex(db, index);
    if (existing) {
      if (existing.name !== input.name) throw nameMismatch();
      return { person: existing, fresh: null };
    }
    const phoneIndex = input.phone ? blind.index(input.phone, C.phone) : null;
    if (phoneIndex && (await membersRepository.findPersonByPhoneIndex(db, phoneIndex))) throw phoneTaken('body.phone');
    const fresh = buildPersonRow(
      deps,
      {
        name: input.name,
        identity: { idNumber: parsed.value, gender: parsed.gender, birthDate: parsed.birthDate },
        phone: input.phone ?? null,
        // The real-name record needs an employment type; a person entered only for an honour
        // (a farmer, a retiree) is not a member, and 'flexible' claims no employer.
        employmentType: 'flexible',
      },
      undefined,
      iso(),
    );
    return { person: fresh, fresh };
  }

  async function nextCertificateNo(q: typeof db, level: ModelWorkerTable['level'], year: number): Promise<string> {
    const prefix = certificatePrefix(level, year);
    let seq = certificateSeq(prefix, await repo.lastCertificateWithPrefix(q, prefix));
    for (;;) {
      const candidate = formatCertificateNo(prefix, ++seq);
      if (!(await repo.certificateInUse(q, candidate))) return candidate;
    }
  }

  async function createIn(ctx: RequestContext, input: CreateInput, writeScope: Scope | null): Promise<ModelWorkerView> {
    const org = await loadUnion(input.orgId, writeScope);
    const errors: FieldError[] = [];
    const { person, fresh } = await resolvePerson(ctx, input, writeScope, errors);
    const bankCard = checkBankCard(input.bankCard, errors);
    checkDates(input, errors);
    if (errors.length > 0 || !person) throw new AppError('VALIDATION_FAILED', errors);
    const key = {
      person_id: person.id,
      category: input.category,
      level: input.level,
      year_awarded: input.yearAwarded,
    };
    if (await repo.findAward(db, key)) throw awardTaken();
    if (input.certificateNo && (await repo.certificateInUse(db, input.certificateNo))) throw certificateTaken();
    const id = newId();
    try {
      await write(ctx, async (s) => {
        const now = iso();
        if (fresh) await membersRepository.insertPerson(s.trx, fresh);
        if (bankCard) {
          // The card of an honour is the person's card: subsidies pay what is on the person.
          await membersRepository.updatePerson(s.trx, person.id, {
            bank_card_cipher: cipher.encrypt(bankCard, C.bankCard),
            bank_card_index: blind.index(bankCard, C.bankCard),
            updated_at: now,
          });
        }
        const row: ModelWorkerTable = {
          id,
          ...key,
          org_id: org.id,
          org_path: org.path,
          province_root: org.province_root,
          title: input.title,
          awarding_body: input.awardingBody ?? null,
          certificate_no: input.certificateNo ?? (await nextCertificateNo(s.trx, input.level, input.yearAwarded)),
          honor_status: 'kept',
          revoked_on: null,
          revoked_reason: null,
          employment_status: input.employmentStatus,
          farmer: input.farmer ? 1 : 0,
          lost_work_capacity: input.lostWorkCapacity ? 1 : 0,
          deceased_on: input.deceasedOn ?? null,
          bank_name: input.bankName ?? null,
          created_at: now,
          updated_at: now,
        };
        await repo.insert(s.trx, row);
        await s.audit({
          action: 'modelWorker.create',
          subjectType: 'model_worker',
          subjectId: id,
          orgPath: org.path,
          changes: diffFields(
            null,
            { ...auditable(row, bankCard ? blind.index(bankCard, C.bankCard) : null), newPerson: fresh !== null },
            ['bankCard'],
          ),
        });
      });
    } catch (err) {
      // A concurrent entry committed first: say which rule it broke, as the pre-checks would.
      if (isUniqueViolation(err)) {
        if (await repo.findAward(db, key)) throw awardTaken();
        if (input.certificateNo && (await repo.certificateInUse(db, input.certificateNo))) throw certificateTaken();
        throw new AppError('CONFLICT', undefined, 'unique violation on model_worker');
      }
      throw err;
    }
    return view((await repo.findById(db, id))!);
  }

  /** Write a changed entry (and the person's card) with one audit event. */
  async function change(
    ctx: RequestContext,
    before: ModelWorkerRow,
    after: ModelWorkerTable,
    action: string,
    extra: { bankCard?: string | null | undefined; reason?: string } = {},
  ): Promise<ModelWorkerView> {
    const beforePerson = (await membersRepository.findPersonById(db, before.person_id))!;
    const cardIndex =
      extra.bankCard === undefined
        ? beforePerson.bank_card_index
        : extra.bankCard
          ? blind.index(extra.bankCard, C.bankCard)
          : null;
    const changes = diffFields(auditable(before, beforePerson.bank_card_index), auditable(after, cardIndex), [
      'bankCard',
    ]);
    if (changes.length === 0) return view(before);
    if (extra.reason) changes.push({ field: 'reason', to: extra.reason });
    await write(ctx, async (s) => {
      const now = iso();
      if (extra.bankCard !== undefined) {
        await membersRepository.updatePerson(s.trx, before.person_id, {
          bank_card_cipher: extra.bankCard ? cipher.encrypt(extra.bankCard, C.bankCard) : null,
          bank_card_index: cardIndex,
          updated_at: now,
        });
      }
      await repo.update(s.trx, before.id, { ...after, updated_at: now });
      await s.audit({ action, subjectType: 'model_worker', subjectId: before.id, orgPath: before.org_path, changes });
    });
    return view((await repo.findById(db, before.id))!);
  }

  function tableOf(row: ModelWorkerRow): ModelWorkerTable {
    const {
      name: _n,
      gender: _g,
      birth_date: _b,
      id_number_cipher: _i,
      phone_cipher: _p,
      bank_card_cipher: _c,
      org_name: _o,
      ...table
    } = row;
    return table;
  }

  return {
    async create(ctx: RequestContext, input: CreateInput): Promise<ModelWorkerView> {
      return createIn(ctx, input, scopeFor(ctx.principal, 'modelWorker.write'));
    },

    /** System bootstrap (demo seed, tests): enter an honour under any union. Never bound to a route. */
    async provision(ctx: RequestContext, input: CreateInput): Promise<ModelWorkerView> {
      return createIn(ctx, input, null);
    },

    async list(ctx: RequestContext, q: ListQuery) {
      const { scope, filter } = await toFilter(ctx, q);
      const { rows, total } = await repo.list(db, scope, filter, {
        limit: q.pageSize,
        offset: (q.page - 1) * q.pageSize,
      });
      return { items: rows.map(view), total };
    },

    async get(ctx: RequestContext, id: string): Promise<ModelWorkerView> {
      return view(await load(ctx, id, 'modelWorker.read'));
    },

    async update(ctx: RequestContext, id: string, input: UpdateInput): Promise<ModelWorkerView> {
      const before = await load(ctx, id, 'modelWorker.write');
      const errors: FieldError[] = [];
      const bankCard = checkBankCard(input.bankCard, errors);
      checkDates(input, errors);
      if (errors.length > 0) throw new AppError('VALIDATION_FAILED', errors);
      const t = tableOf(before);
      const after: ModelWorkerTable = {
        ...t,
        title: input.title ?? t.title,
        awarding_body: input.awardingBody === undefined ? t.awarding_body : input.awardingBody,
        employment_status: input.employmentStatus ?? t.employment_status,
        farmer: input.farmer === undefined ? t.farmer : input.farmer ? 1 : 0,
        lost_work_capacity:
          input.lostWorkCapacity === undefined ? t.lost_work_capacity : input.lostWorkCapacity ? 1 : 0,
        deceased_on: input.deceasedOn === undefined ? t.deceased_on : input.deceasedOn,
        bank_name: input.bankName === undefined ? t.bank_name : input.bankName,
      };
      return change(ctx, before, after, 'modelWorker.update', { bankCard });
    },

    async revoke(ctx: RequestContext, id: string, input: { revokedOn: string; reason: string }) {
      const before = await load(ctx, id, 'modelWorker.write');
      if (input.revokedOn > today()) {
        throw AppError.invalid('body.revokedOn', 'too_big', {
          'zh-CN': '撤销日期不能晚于今天',
          en: 'The date cannot be in the future',
        });
      }
      if (before.honor_status !== 'kept') throw honorState(false);
      const after: ModelWorkerTable = {
        ...tableOf(before),
        honor_status: 'revoked',
        revoked_on: input.revokedOn,
        revoked_reason: input.reason,
      };
      return change(ctx, before, after, 'modelWorker.revoke');
    },

    async restore(ctx: RequestContext, id: string, input: { reason: string }) {
      const before = await load(ctx, id, 'modelWorker.write');
      if (before.honor_status !== 'revoked') throw honorState(true);
      const after: ModelWorkerTable = {
        ...tableOf(before),
        honor_status: 'kept',
        revoked_on: null,
        revoked_reason: null,
      };
      return change(ctx, before, after, 'modelWorker.restore', { reason: input.reason });
    },

    /** The certificate as a PDF. Reading it is not a write, so it leaves no audit event. */
    async certificate(ctx: RequestContext, id: string) {
      const row = await load(ctx, id, 'modelWorker.read');
      const body = await renderCertificate(row);
      return { filename: `劳模证-${row.certificate_no}.pdf`, body };
    },

    /** The filtered registry as xlsx, masked; the export itself is an audit event. */
    async exportXlsx(ctx: RequestContext, q: FilterQuery) {
      const { scope, filter } = await toFilter(ctx, q);
      const rows = (await repo.listAll(db, scope, filter)).map(view);
      await write(ctx, (s) =>
        s.audit({
          action: 'modelWorker.export',
          subjectType: 'model_worker',
          subjectId: null,
          orgPath: scope.paths.length === 1 ? scope.paths[0] : null,
          changes: [
            { field: 'filter', to: Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined)) },
            { field: 'rows', to: rows.length },
          ],
        }),
      );
      return { filename: `劳模工匠名册-${today()}.xlsx`, body: await exportWorkbook(rows) };
    },
  };
}
export type ModelWorkersService = ReturnType<typeof createModelWorkersService>;

const L = MODEL_WORKER_LABELS;

async function renderCertificate(row: ModelWorkerRow): Promise<Buffer> {
  const qr = await qrPng(row.certificate_no);
  // The text itself is drawn as glyph ids; the number and the state also go into the
  // metadata, in ASCII, so archives and checks can read them without a PDF text extractor.
  const meta = {
    size: 'A4',
    layout: 'landscape' as const,
    title: `劳模证 ${row.certificate_no}`,
    keywords: `certificate:${row.certificate_no}`,
    subject: row.honor_status === 'revoked' ? 'REVOKED' : 'VALID',
  };
  return renderPdf(meta, (doc) => {
    const W = doc.page.width;
    const H = doc.page.height;
    doc
      .lineWidth(6)
      .strokeColor('#b71c1c')
      .rect(24, 24, W - 48, H - 48)
      .stroke();
    doc
      .lineWidth(1.5)
      .rect(36, 36, W - 72, H - 72)
      .stroke();
    doc.fillColor('#b71c1c').fontSize(40).text('荣 誉 证 书', 0, 80, { width: W, align: 'center' });
    doc
      .fontSize(14)
      .fillColor('#555')
      .text(`${L.level[row.level]['zh-CN']}${L.category[row.category]['zh-CN']}`, 0, 135, {
        width: W,
        align: 'center',
      });
    doc.fillColor('#000').fontSize(26).text(row.name, 0, 185, { width: W, align: 'center' });
    doc.fontSize(18).text(`荣获「${row.title}」称号`, 0, 235, { width: W, align: 'center' });
    const lines: [string, string][] = [
      ['授予年度', String(row.year_awarded)],
      ['授予机关', row.awarding_body ?? '—'],
      ['管理单位', row.org_name],
      ['证书编号', row.certificate_no],
    ];
    doc.fontSize(14);
    lines.forEach(([label, value], i) => doc.text(`${label}：${value}`, 140, 310 + i * 30, { width: W - 420 }));
    doc.image(qr, W - 250, 300, { width: 120 });
    doc
      .fontSize(10)
      .fillColor('#555')
      .text('扫码核验证书编号', W - 250, 425, { width: 120, align: 'center' });
    if (row.honor_status === 'revoked') {
      doc.save();
      doc.rotate(-20, { origin: [W / 2, H / 2] });
      doc
        .fillColor('#d32f2f')
        .opacity(0.75)
        .fontSize(72)
        .text('已撤销 REVOKED', 0, H / 2 - 50, {
          width: W,
          align: 'center',
        });
      doc.restore();
      doc
        .opacity(1)
        .fillColor('#d32f2f')
        .fontSize(12)
        .text(`撤销日期：${row.revoked_on ?? ''}；撤销原因：${row.revoked_reason ?? ''}`, 60, H - 80, {
          width: W - 120,
          align: 'center',
        });
    }
  });
}

const EXPORT_COLUMNS: [string, number, (v: ModelWorkerView) => string | number][] = [
  ['姓名', 10, (v) => maskName(v.row.name)],
  ['性别', 6, (v) => (v.row.gender === 'male' ? '男' : '女')],
  ['年龄', 6, (v) => v.age],
  ['身份证号', 22, (v) => maskIdNumber(v.idNumber)],
  ['手机号', 14, (v) => (v.phone ? maskPhone(v.phone) : '')],
  ['类别', 10, (v) => L.category[v.row.category]['zh-CN']],
  ['级别', 8, (v) => L.level[v.row.level]['zh-CN']],
  ['称号', 24, (v) => v.row.title],
  ['授予机关', 16, (v) => v.row.awarding_body ?? ''],
  ['授予年度', 10, (v) => v.row.year_awarded],
  ['证书编号', 16, (v) => v.row.certificate_no],
  ['荣誉状态', 10, (v) => L.honorStatus[v.row.honor_status]['zh-CN']],
  ['撤销日期', 12, (v) => v.row.revoked_on ?? ''],
  ['撤销原因', 20, (v) => v.row.revoked_reason ?? ''],
  ['就业状态', 10, (v) => L.employmentStatus[v.row.employment_status]['zh-CN']],
  ['农民', 6, (v) => (v.row.farmer ? '是' : '否')],
  ['开户银行', 16, (v) => v.row.bank_name ?? ''],
  ['银行卡号', 22, (v) => (v.bankCard ? maskBankCard(v.bankCard) : '')],
  ['管理单位', 24, (v) => v.row.org_name],
];

/** Cells a spreadsheet could run as a formula get a leading quote, as in the member exports. */
function safeCell(value: string | number): string | number {
  return typeof value === 'string' && /^[=+\-@]/.test(value) ? `'${value}` : value;
}

async function exportWorkbook(views: ModelWorkerView[]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const sheet = wb.addWorksheet('劳模工匠名册');
  sheet.columns = EXPORT_COLUMNS.map(([header, width]) => ({ header, width }));
  sheet.getRow(1).font = { bold: true };
  for (const v of views) sheet.addRow(EXPORT_COLUMNS.map(([, , cell]) => safeCell(cell(v))));
  return Buffer.from(await wb.xlsx.writeBuffer());
}
