import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DownloadSpec, FileAnswer, UploadSpec } from '@zhgh/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../core/app-error.ts';

/**
 * Files in and out of contract routes. An upload route's file part is streamed to a private
 * temporary folder (never held in memory: rosters reach hundreds of MB) under a size limit, and its
 * text fields become the body the contract validates. A download route answers bytes with
 * the contract's content type and a Content-Disposition file name.
 */

export interface UploadedFile {
  /** Where the file is stored until the answer has been sent. */
  path: string;
  /** The name the client gave; only for display, never for deciding the type. */
  filename: string;
  mimetype: string;
  size: number;
}

export interface ReceivedUpload {
  fields: Record<string, string>;
  file: UploadedFile;
  cleanup: () => Promise<void>;
}

/** Folders of uploads in flight, in the temporary folder (`TMPDIR`), are named so. */
const UPLOAD_PREFIX = 'zhgh-upload-';
/** An upload is received and checked within minutes: a folder older than this lost its process. */
const STALE_UPLOAD_MS = 60 * 60_000;

/**
 * Remove upload folders that a killed or crashed server left behind (a request's own
 * cleanup never ran): a roster holds ID numbers and phones in the clear, so it must not
 * outlive the request that brought it. Run at start; an hour's margin spares the uploads in
 * flight of another server sharing the folder. Returns how many were removed.
 */
export async function sweepStaleUploads(now: number = Date.now(), dir: string = os.tmpdir()): Promise<number> {
  const names = await fs.promises.readdir(dir).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    if (!name.startsWith(UPLOAD_PREFIX)) continue;
    const folder = path.join(dir, name);
    const stat = await fs.promises.stat(folder).catch(() => null);
    if (!stat?.isDirectory() || now - stat.mtimeMs <= STALE_UPLOAD_MS) continue;
    await fs.promises.rm(folder, { recursive: true, force: true });
    removed++;
  }
  return removed;
}

/** Text fields are short (ids, a JSON mapping): 64 KB each, at most 20. */
const FIELD_LIMITS = { fields: 20, fieldSize: 64 * 1024, files: 1, parts: 21 } as const;

export async function receiveUpload(
  request: FastifyRequest,
  spec: UploadSpec,
  maxBytes: number,
): Promise<ReceivedUpload> {
  if (!request.isMultipart()) {
    throw AppError.invalid('content-type', 'invalid', {
      'zh-CN': '请以 multipart/form-data 方式上传文件',
      en: 'Send the file as multipart/form-data',
    });
  }
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), UPLOAD_PREFIX));
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    await fs.promises.rm(dir, { recursive: true, force: true });
  };
  try {
    const fields: Record<string, string> = {};
    let file: UploadedFile | null = null;
    for await (const part of request.parts({ limits: { ...FIELD_LIMITS, fileSize: maxBytes } })) {
      if (part.type === 'file') {
        if (part.fieldname !== spec.field) {
          part.file.resume();
          throw AppError.invalid(`body.${part.fieldname}`, 'unknown_field');
        }
        const target = path.join(dir, 'upload');
        await pipeline(part.file, fs.createWriteStream(target));
        if (part.file.truncated) throw new AppError('FILE_TOO_LARGE', undefined, `over ${maxBytes} bytes`);
        const { size } = await fs.promises.stat(target);
        file = { path: target, filename: part.filename, mimetype: part.mimetype, size };
      } else {
        if (part.valueTruncated) throw AppError.invalid(`body.${part.fieldname}`, 'too_big');
        fields[part.fieldname] = String(part.value);
      }
    }
    if (!file) throw AppError.invalid(`body.${spec.field}`, 'required');
    return { fields, file, cleanup };
  } catch (err) {
    await cleanup();
    throw fromMultipartError(err);
  }
}

/** @fastify/multipart's limit errors, in our codes. */
function fromMultipartError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  const code = (err as { code?: string }).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return new AppError('FILE_TOO_LARGE');
  if (code === 'FST_FILES_LIMIT') return AppError.invalid('body', 'too_big');
  if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') return AppError.invalid('body', 'too_big');
  if (code === 'FST_PROTO_VIOLATION' || code === 'FST_INVALID_JSON_FIELD_ERROR') {
    return AppError.invalid('body', 'invalid');
  }
  return err;
}

/**
 * `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266 / 5987): the plain name for old
 * clients with anything outside printable ASCII replaced, the exact (Chinese) name for the rest.
 */
export function contentDisposition(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const exact = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${exact}`;
}

export function sendFile(reply: FastifyReply, spec: DownloadSpec, status: number, answer: unknown): FastifyReply {
  const file = answer as FileAnswer;
  if (!file || typeof file.filename !== 'string' || file.body === undefined) {
    throw new AppError('INTERNAL', undefined, 'a download route must answer { filename, body }');
  }
  const body =
    file.body instanceof Uint8Array
      ? Buffer.from(file.body.buffer, file.body.byteOffset, file.body.byteLength)
      : file.body instanceof Readable
        ? file.body
        : Readable.from(file.body);
  return reply
    .status(status)
    .header('content-type', file.contentType ?? spec.contentType)
    .header('content-disposition', contentDisposition(file.filename))
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', 'no-store')
    .send(body);
}
