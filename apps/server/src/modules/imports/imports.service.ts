import {
  type FileAnswer,
  type MemberPreview,
  PREVIEW_SAMPLE_ROWS,
  PREVIEW_SCAN_ROWS,
  type RosterProblem,
} from '@zhgh/contracts';
import { requireInScope, scopeFor } from '../../core/access/scope.ts';
import type { RequestContext } from '../../core/actor.ts';
import { AppError } from '../../core/app-error.ts';
import { localDate } from '../../core/calendar.ts';
import type { CoreDeps } from '../../core/deps.ts';
import type { UploadedFile } from '../../http/files.ts';
import { orgsRepository } from '../orgs/orgs.repository.ts';
import { regionsRepository } from '../regions/regions.repository.ts';
import { type Delimiter, openCsv, type TextEncoding } from './csv-reader.ts';
import { checkImportFile, DEFAULT_ZIP_LIMITS, type FileCheck, type FileKind, type ZipLimits } from './file-check.ts';
import { type HeaderMapping, mapHeader, type MappingOverride, MappingOverrideError } from './header-mapping.ts';
import { presentPreviewValues } from './imports.presenter.ts';
import { createRosterValidator, type RowOutcome } from './roster-rows.ts';
import { isBlankRow, type SheetRow } from './sheet-row.ts';
import { memberTemplateStream, TEMPLATE_FILENAME } from './template.ts';
import { readXlsxRows } from './xlsx-reader.ts';

/**
 * Roster import, front half: from an uploaded file to validated rows. Nothing here writes;
 * the import job (members module) consumes `scanRoster` the same way the preview does.
 */

export interface RosterSource {
  format: FileKind;
  encoding: TextEncoding | null;
  delimiter: Delimiter | null;
  rows: AsyncGenerator<SheetRow>;
  close: () => void;
}

/** Rows of a checked file, whatever its format. */
export async function openRosterFile(path: string, check: FileCheck): Promise<RosterSource> {
  if (check.kind === 'xlsx') {
    const rows = readXlsxRows(path);
    return { format: 'xlsx', encoding: null, delimiter: null, rows, close: () => void rows.return(undefined) };
  }
  const csv = await openCsv(path);
  return { format: 'csv', encoding: csv.encoding, delimiter: csv.delimiter, rows: csv.rows, close: csv.close };
}

export interface RosterScan {
  headerRow: number;
  mapping: HeaderMapping;
  /** Each non-blank data row, validated, with its cells as read (for the error report). */
  outcomes: AsyncGenerator<RowOutcome>;
}

export interface ScanOptions {
  override?: MappingOverride;
  /** Today, YYYY-MM-DD in Beijing time. */
  today: string;
}

const isKnownRegion = (code: string) => regionsRepository.findByCode(code) !== undefined;

/**
 * Find the header (the first non-blank row), map it, and validate the rows after it one at a
 * time. Throws IMPORT_FILE_EMPTY when there is no header, VALIDATION_FAILED on `body.mapping`
 * when the override names a column the header lacks.
 */
export async function scanRoster(rows: AsyncIterator<SheetRow>, options: ScanOptions): Promise<RosterScan> {
  let header: SheetRow | null = null;
  for (let next = await rows.next(); !next.done; next = await rows.next()) {
    if (!isBlankRow(next.value.cells)) {
      header = next.value;
      break;
    }
  }
  if (!header) throw new AppError('IMPORT_FILE_EMPTY');
  let mapping: HeaderMapping;
  try {
    mapping = mapHeader(header.cells, options.override);
  } catch (err) {
    if (err instanceof MappingOverrideError) {
      throw AppError.invalid(`body.mapping.${err.columnIndex}`, 'invalid', {
        'zh-CN': `表头没有第 ${Number(err.columnIndex) + 1} 列`,
        en: `The header has no column ${Number(err.columnIndex) + 1}`,
      });
    }
    throw err;
  }
  const validate = createRosterValidator(mapping, { today: options.today, isKnownRegion });
  async function* outcomes() {
    for (let next = await rows.next(); !next.done; next = await rows.next()) {
      if (isBlankRow(next.value.cells)) continue;
      yield validate(next.value);
    }
  }
  return { headerRow: header.rowNumber, mapping, outcomes: outcomes() };
}

export function createImportsService(deps: CoreDeps) {
  const { db, config } = deps;
  const zip: ZipLimits = { ...DEFAULT_ZIP_LIMITS, maxUnzippedBytes: config.IMPORT_MAX_UNZIPPED_BYTES };

  /** The union a roster goes to: inside the actor's member.import scope, else NOT_FOUND. */
  async function loadImportTarget(ctx: RequestContext, orgId: string) {
    const org = await orgsRepository.findById(db, orgId);
    if (!org) throw AppError.notFound();
    requireInScope(scopeFor(ctx.principal, 'member.import'), org.path);
    return org;
  }

  return {
    loadImportTarget,

    /** Check an uploaded file by its bytes (type, size, zip bomb). */
    checkFile(path: string): Promise<FileCheck> {
      return checkImportFile(path, { maxBytes: config.IMPORT_MAX_BYTES, zip });
    },

    memberTemplate(): FileAnswer {
      return { filename: TEMPLATE_FILENAME, body: memberTemplateStream() };
    },

    /**
     * What importing this file would do, without doing it: format, header mapping, the first
     * rows as parsed and the problems of the first rows.
     */
    async previewMembers(
      ctx: RequestContext,
      input: { orgId: string; mapping?: MappingOverride | undefined },
      file: UploadedFile,
    ): Promise<MemberPreview> {
      // Scope first: an id outside it answers 404 whatever the file holds.
      await loadImportTarget(ctx, input.orgId);
      const check = await this.checkFile(file.path);
      const source = await openRosterFile(file.path, check);
      try {
        const scan = await scanRoster(source.rows, {
          today: localDate(deps.now()),
          ...(input.mapping ? { override: input.mapping } : {}),
        });
        const rows: MemberPreview['rows'] = [];
        const problems: RosterProblem[] = [];
        let scanned = 0;
        let withProblems = 0;
        let moreRows = false;
        for await (const outcome of scan.outcomes) {
          if (scanned === PREVIEW_SCAN_ROWS) {
            moreRows = true;
            break;
          }
          scanned++;
          if (outcome.problems.length > 0) withProblems++;
          problems.push(...outcome.problems);
          if (rows.length < PREVIEW_SAMPLE_ROWS) {
            rows.push({
              row: outcome.rowNumber,
              values: presentPreviewValues(outcome.values),
              ok: outcome.problems.length === 0,
            });
          }
        }
        const { mapped, unmapped, missingRequired } = scan.mapping;
        return {
          format: source.format,
          encoding: source.encoding,
          delimiter: source.delimiter,
          headerRow: scan.headerRow,
          mapping: { mapped, unmapped, missingRequired },
          rows,
          problems,
          rowsScanned: scanned,
          rowsWithProblems: withProblems,
          moreRows,
        };
      } finally {
        await source.rows.return(undefined);
        source.close();
      }
    },
  };
}
export type ImportsService = ReturnType<typeof createImportsService>;
