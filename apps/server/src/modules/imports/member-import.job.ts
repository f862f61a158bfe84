import fs from 'node:fs';
import path from 'node:path';
import {
  type MemberImportResult,
  type RosterField,
  type RosterProblem,
  type RosterProblemCode,
  type RosterProblemParams,
  ROSTER_FIELD_LABELS,
  rosterProblemMessage,
} from '@zhgh/contracts';
import type { Kysely } from 'kysely';
import { covers } from '../../core/access/scope.ts';
import type { Actor, RequestContext } from '../../core/actor.ts';
import { AppError } from '../../core/app-error.ts';
import type { BlindIndexer } from '../../core/crypto/blind-index.ts';
import type { FieldCipher } from '../../core/crypto/field-cipher.ts';
import type { CoreDeps } from '../../core/deps.ts';
import { newId } from '../../core/ids.ts';
import type { JobContext } from '../../core/jobs/jobs.ts';
import { readWorkerStream } from '../../core/workers/worker-stream.ts';
import { duringBulkWrite, lockShared } from '../../db/dialect.ts';
import { refreshStaleStatistics } from '../../db/planner-statistics.ts';
import type { ImportProblemTable, MembershipTable, PersonTable } from '../../db/schema.ts';
import { checkUnionAcceptsMembers, formatMemberNumber } from '../members/members.policy.ts';
import { membersRepository } from '../members/members.repository.ts';
import { orgsRepository } from '../orgs/orgs.repository.ts';
import { ORG_TREE_LOCK } from '../../db/org-scoped.ts';
import { applyCounterDeltas, CounterDeltas } from '../stats/stats.counters.ts';
import type { FileKind } from './file-check.ts';
import type { HeaderMapping, MappingOverride } from './header-mapping.ts';
import { importsRepository as repo } from './imports.repository.ts';
import type {
  PrepareInput,
  PrepareMessage,
  PreparedPerson,
  PreparedRow,
  PrepareWorkerInput,
} from './roster-prepare.ts';

/**
 * The roster import's write path, run as the job `member.import`. The file is read again
 * from the start on every run (the in-file duplicate checks need every earlier row), rows
 * up to the checkpoint are skipped, and the rest are written in chunks: each chunk is one
 * transaction holding its persons, memberships, counter deltas, problems, audit event and
 * the job's checkpoint, so a failure leaves nothing half-written and a resume continues
 * exactly after the last committed chunk.
 */

export const MEMBER_IMPORT_JOB = 'member.import';

/**
 * `prepareRoster` on a worker thread: the import's CPU work (parsing, validation, pinyin,
 * encryption) runs beside the chunk transactions instead of between them, and the in-file
 * duplicate maps live in the worker's heap. One chunk is prepared ahead of the one being
 * read, as before. It lives here, not beside `prepareRoster`, so the worker's bundle does not
 * import the stream's reading side, which loads esbuild to build that bundle.
 */
export function prepareRosterInWorker(
  input: PrepareInput,
  crypto: { cipher: FieldCipher; blind: BlindIndexer },
): AsyncGenerator<PrepareMessage> {
  const data: PrepareWorkerInput = { input, cipher: crypto.cipher.spec, blind: crypto.blind.spec };
  return readWorkerStream<PrepareMessage>(new URL('./roster-prepare.worker.ts', import.meta.url), data, {
    // It holds about 50 MB (the in-file duplicate maps and the shared strings are typed
    // arrays outside the heap) and makes short-lived garbage at speed: the limits keep its
    // heap near that (30 MB less peak memory for a 4 MB young generation, ~2 % more time).
    limits: { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 4 },
  });
}

export interface MemberImportPayload {
  orgId: string;
  /** Where the uploaded file is kept until the job has succeeded. */
  file: string;
  /** The name the uploader gave the file, for the error report's name. */
  fileName: string;
  format: FileKind;
  override: MappingOverride | null;
  /** The import's "today" (Beijing), fixed at upload so a resume judges rows the same way. */
  today: string;
  /** Header of the file as uploaded: the error report repeats it. */
  headers: string[];
  /** The importer, who the audit events name. */
  actor: Actor;
  /** The importer's member.read scope at upload: the unions a duplicate may be named by. */
  readScope: string[];
  /** Data rows expected, counted or estimated at upload (see `estimateRows`). */
  estimate: number;
}

export interface MemberImportCheckpoint {
  /** Last file row handled by a committed chunk. */
  lastRow: number;
  tally: MemberImportResult;
  /** Rows in all, or the estimate (see `estimateRows`). */
  total: number;
}

/** Import files live under DATA_DIR/imports/<jobId>/, kept for a resume until the job succeeds. */
export function importDir(dataDir: string, jobId: string): string {
  return path.join(dataDir, 'imports', jobId);
}

/** Bytes per data row of an xlsx sheet's XML, for the progress estimate (about 17 text cells). */
const XLSX_BYTES_PER_ROW = 900;

/**
 * The progress total before the rows are read: a CSV's line breaks are counted (a fast byte
 * scan, exact but for blank and multi-line rows), an xlsx's row count is estimated from the
 * uncompressed size of its largest worksheet. The total is corrected as rows are read.
 */
export async function estimateRows(file: string, format: FileKind, sheetBytes: number | null): Promise<number> {
  if (format === 'xlsx') return Math.max(1, Math.round((sheetBytes ?? 0) / XLSX_BYTES_PER_ROW));
  let lines = 0;
  let last = 0x0a;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) lines++;
    if (chunk.length > 0) last = chunk[chunk.length - 1]!;
  }
  if (last !== 0x0a) lines++;
  // Minus the header; UTF-16 files have a 0x0a in each line break too.
  return Math.max(0, lines - 1);
}

const emptyTally = (): MemberImportResult => ({
  rowsRead: 0,
  created: 0,
  alreadyMembers: 0,
  rowsWithProblems: 0,
  problemsByCode: {},
});

/** A good row, for the checks against the database. */
interface Candidate {
  outcome: PreparedRow;
  row: PreparedPerson;
}

export function createMemberImportHandler(deps: CoreDeps) {
  const { db, write, dialect, cipher, blind, config } = deps;

  return async function memberImport(
    job: JobContext<MemberImportPayload, MemberImportCheckpoint>,
  ): Promise<MemberImportResult> {
    const p = job.payload;
    const ctx: RequestContext = { actor: p.actor, requestId: null };
    const readScope = { permission: 'member.read', paths: p.readScope };
    const tally = job.resumeFrom?.tally ?? emptyTally();
    const lastRow = job.resumeFrom?.lastRow ?? 0;
    const chunkRows = config.IMPORT_CHUNK_ROWS;

    if (!fs.existsSync(p.file)) throw new Error(`import file ${p.file} is gone`);
    let total = job.resumeFrom?.total ?? p.estimate;
    await job.progress(tally.rowsRead, total);

    const prepared = prepareRosterInWorker(
      {
        file: p.file,
        format: p.format,
        override: p.override,
        today: p.today,
        skipThrough: lastRow,
        chunkRows,
        expectedRows: total,
      },
      { cipher, blind },
    );
    try {
      const first = await prepared.next();
      if (first.done || first.value.kind !== 'mapping') throw new Error('the roster gave no header mapping');
      const mapping = first.value.mapping;
      await job.throwIfCancelled();
      // The worker prepares the next chunk while this one is written; one write at a time, in
      // order, so checkpoints and the tally follow the file.
      await duringBulkWrite(db as Kysely<unknown>, dialect, async (bulk) => {
        for await (const message of prepared) {
          if (message.kind !== 'rows') continue;
          await job.throwIfCancelled();
          await writeChunk(message.rows, mapping);
          await bulk.committed(message.rows.length);
        }
      });
    } finally {
      await prepared.return(undefined);
    }
    // A large roster can multiply the tables it wrote: the planner's statistics follow now, not
    // within the hour. Upkeep: a failure must not fail an import whose rows have committed, and
    // the hourly refresh tries again.
    await refreshStaleStatistics(db, dialect).catch(() => undefined);
    await job.progress(tally.rowsRead, tally.rowsRead);
    // The job is done: nothing will resume it, so the upload goes.
    await fs.promises.rm(path.dirname(p.file), { recursive: true, force: true });
    return tally;

    /** Write one chunk in one transaction. */
    async function writeChunk(outcomes: PreparedRow[], mapping: HeaderMapping): Promise<void> {
      const first = outcomes[0]!.rowNumber;
      const last = outcomes[outcomes.length - 1]!.rowNumber;
      const candidates: Candidate[] = [];
      for (const o of outcomes) if (o.person) candidates.push({ outcome: o, row: o.person });
      const next = { ...tally, problemsByCode: { ...tally.problemsByCode } };
      next.rowsRead += outcomes.length;

      await write(ctx, async (s) => {
        const trx = s.trx;
        // Organizations do not move while members are placed under their paths.
        await lockShared(trx as unknown as Kysely<unknown>, dialect, ORG_TREE_LOCK);
        const union = await orgsRepository.findById(trx, p.orgId);
        if (!union) throw AppError.notFound('the union of the import is gone');
        checkUnionAcceptsMembers(union);

        const idIndexes = candidates.map((c) => c.row.id_number_index);
        const phoneIndexes = candidates.flatMap((c) => (c.row.phone_index ? [c.row.phone_index] : []));
        const givenNumbers = candidates.flatMap((c) => (c.row.memberNumber ? [c.row.memberNumber] : []));
        const persons = await repo.personsByIdIndex(trx, dialect, idIndexes);
        // An open membership copies its person's ID number index, so only people already on
        // record can hold one: a roster of new people (the common case) skips this lookup.
        const open = await repo.openMembershipsByIdIndex(
          trx,
          dialect,
          persons.map((x) => x.id_number_index),
        );
        const phoneHolders = await repo.personsByPhoneIndex(trx, dialect, phoneIndexes);
        const numbersInUse = await repo.memberNumbersInUse(trx, dialect, givenNumbers);
        const openByIndex = new Map(open.map((m) => [m.id_number_index, m]));
        const personByIndex = new Map(persons.map((x) => [x.id_number_index, x]));
        const phoneHolder = new Map(phoneHolders.map((x) => [x.phone_index!, x]));

        // Problems found against the database, by row.
        const extra = new Map<number, RosterProblem[]>();
        const report = (
          o: PreparedRow,
          field: RosterField,
          code: RosterProblemCode,
          params: RosterProblemParams = {},
        ) => {
          const index = mapping.columnOf[field];
          const column = index === undefined ? null : mapping.headers[index] || ROSTER_FIELD_LABELS[field].zh;
          const list = extra.get(o.rowNumber) ?? [];
          list.push({
            row: o.rowNumber,
            column,
            field,
            code,
            message: rosterProblemMessage(code, { column: column ?? ROSTER_FIELD_LABELS[field].zh, ...params }),
          });
          extra.set(o.rowNumber, list);
        };

        const accepted: Candidate[] = [];
        const numbersInChunk = new Map<string, number>();
        for (const c of candidates) {
          const held = openByIndex.get(c.row.id_number_index);
          if (held && held.org_id === union.id) {
            // Already a member here: importing the same roster twice changes nothing.
            next.alreadyMembers++;
            continue;
          }
          if (held) {
            report(c.outcome, 'idNumber', 'duplicate_in_database', {
              ...(covers(readScope, held.org_path) ? { orgName: held.org_name } : {}),
            });
          }
          if (c.row.phone_index) {
            const holder = phoneHolder.get(c.row.phone_index);
            if (holder && holder.id_number_index !== c.row.id_number_index) report(c.outcome, 'phone', 'phone_taken');
          }
          const number = c.row.memberNumber;
          if (number) {
            const earlier = numbersInChunk.get(number);
            if (numbersInUse.has(number)) report(c.outcome, 'memberNumber', 'member_number_taken');
            else if (earlier !== undefined) {
              report(c.outcome, 'memberNumber', 'duplicate_member_number', { otherRow: earlier });
            } else numbersInChunk.set(number, c.outcome.rowNumber);
          }
          if (!extra.has(c.outcome.rowNumber)) accepted.push(c);
        }

        // Member numbers for rows without one: a range of this year's sequence, skipping any
        // number an earlier system issued that is still held (or given in this chunk).
        const needNumbers = accepted.filter((c) => !c.row.memberNumber);
        const generated: string[] = [];
        const year = Number(p.today.slice(0, 4));
        while (generated.length < needNumbers.length) {
          const want = needNumbers.length - generated.length;
          const start = await membersRepository.drawMemberNumbers(trx, year, want);
          const drawn = Array.from({ length: want }, (_, i) => formatMemberNumber(year, start + i));
          const taken = await repo.memberNumbersInUse(trx, dialect, drawn);
          for (const n of drawn) if (!taken.has(n) && !numbersInChunk.has(n)) generated.push(n);
        }

        const now = new Date().toISOString();
        const newPersons: PersonTable[] = [];
        const memberships: MembershipTable[] = [];
        const deltas = new CounterDeltas();
        const personIds: string[] = [];
        let rejoined = 0;
        let g = 0;
        for (const c of accepted) {
          const r = c.row;
          const existing = personByIndex.get(r.id_number_index);
          const person: PersonTable = {
            id: existing?.id ?? newId(),
            name: r.name,
            name_initials: r.name_initials,
            id_number_cipher: existing?.id_number_cipher ?? r.id_number_cipher,
            id_number_index: r.id_number_index,
            gender: r.gender,
            birth_date: r.birth_date,
            ethnicity: r.ethnicity,
            political_status: r.political_status,
            education: r.education,
            household_type: r.household_type,
            household_region: r.household_region,
            // A rejoining person keeps a phone or card on record unless the roster gives new ones.
            phone_cipher: r.phone_cipher ?? existing?.phone_cipher ?? null,
            phone_index: r.phone_index ?? existing?.phone_index ?? null,
            bank_card_cipher: r.bank_card_cipher ?? existing?.bank_card_cipher ?? null,
            bank_card_index: r.bank_card_index ?? existing?.bank_card_index ?? null,
            employment_type: r.employment_type,
            new_form_group: r.new_form_group,
            work_unit_id: null,
            work_unit_name: r.work_unit_name,
            // A verification holds for the name it checked.
            real_name_verified: existing && existing.name === r.name ? existing.real_name_verified : 0,
            created_at: existing?.created_at ?? now,
            updated_at: now,
          };
          if (existing) {
            // Rare (a person coming back after leaving a union): one update each.
            await repo.updatePerson(trx, person.id, person);
            rejoined++;
          } else newPersons.push(person);
          memberships.push({
            id: newId(),
            person_id: person.id,
            id_number_index: r.id_number_index,
            org_id: union.id,
            org_path: union.path,
            province_root: union.province_root,
            name: person.name,
            name_initials: person.name_initials,
            status: 'active',
            started_on: r.joinDate ?? p.today,
            ended_on: null,
            end_reason: null,
            member_number: r.memberNumber ?? generated[g++]!,
            card_number: r.cardNumber,
            created_at: now,
            updated_at: now,
          });
          deltas.member(union.path, person, 'active', 1);
          personIds.push(person.id);
        }
        // Each table in the order of its costliest random-keyed index, so neighbouring keys
        // land on pages just read instead of on random ones (decision 0011): memberships by
        // name, which leads six search indexes (migrations 0008 and 0020), a fifth of the write
        // time on SQLite; persons by the ID number's blind index (unique), which no longer
        // carries a name index since migration 0021: 6 % of the import.
        newPersons.sort(bytewiseBy('id_number_index'));
        memberships.sort(bytewiseBy('name'));
        await repo.insertPersons(trx, dialect, newPersons);
        await repo.insertMemberships(trx, dialect, memberships);
        await applyCounterDeltas(trx, dialect, deltas);

        // Rows that will not be imported, with their cells as read and every reason.
        const problems: ImportProblemTable[] = [];
        for (const o of outcomes) {
          const all = o.problems.length > 0 ? o.problems : (extra.get(o.rowNumber) ?? []);
          // A row with no problem and no typed row lacks a required column altogether.
          if (all.length === 0 && o.person) continue;
          const listed = all.length > 0 ? all : missingColumns(o, mapping);
          problems.push({
            job_id: job.id,
            row_number: o.rowNumber,
            cells: o.cellsJson,
            problems: JSON.stringify(listed),
          });
          next.rowsWithProblems++;
          for (const pr of listed) next.problemsByCode[pr.code] = (next.problemsByCode[pr.code] ?? 0) + 1;
        }
        await repo.insertProblems(trx, dialect, problems);
        next.created += memberships.length;

        await s.audit({
          action: 'member.import',
          subjectType: 'job',
          subjectId: job.id,
          orgPath: union.path,
          changes: [
            { field: 'rows', to: `${first}-${last}` },
            { field: 'created', to: memberships.length },
            { field: 'rejoined', to: rejoined },
            { field: 'alreadyMembers', to: next.alreadyMembers - tally.alreadyMembers },
            { field: 'rowsWithProblems', to: problems.length },
            { field: 'personIds', to: personIds },
          ],
        });
        const newTotal = Math.max(total, next.rowsRead);
        await job.checkpointIn(trx, { lastRow: last, tally: next, total: newTotal }, next.rowsRead, newTotal);
      });
      // Only a committed chunk moves the tally on.
      Object.assign(tally, next);
      total = Math.max(total, next.rowsRead);
    }
  };
}

/**
 * Rows in the order of one text column: JavaScript's code-unit order, near enough to the
 * index's byte order for what it is for, pages just read (not `localeCompare`, far slower).
 */
const bytewiseBy =
  <K extends string>(key: K) =>
  (a: Record<K, string>, b: Record<K, string>) =>
    a[key] < b[key] ? -1 : a[key] > b[key] ? 1 : 0;

/** The problems of a row whose required column is missing from the file altogether. */
function missingColumns(o: PreparedRow, mapping: HeaderMapping): RosterProblem[] {
  return mapping.missingRequired.map((field) => ({
    row: o.rowNumber,
    column: null,
    field,
    code: 'required' as const,
    message: rosterProblemMessage('required', { column: ROSTER_FIELD_LABELS[field].zh }),
  }));
}
