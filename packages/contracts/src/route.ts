import { z } from 'zod';
import type { ErrorCode } from './errors.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

import type { PermissionCode } from './permissions.ts';

/**
 * `public` routes need no session; `authenticated` ones need any signed-in user (self-service:
 * my session, my password); every other value is the permission the actor must hold at the
 * organization the request is about.
 */
export type RoutePermission = 'public' | 'authenticated' | PermissionCode;

/** One endpoint, described as data: the server binds it, the client calls it, OpenAPI shows it. */
export interface RouteContract<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  O extends z.ZodType = z.ZodType,
> {
  /** Stable identifier, also the OpenAPI operationId. */
  id: string;
  method: HttpMethod;
  /** Fastify-style path with `:param` segments. */
  path: string;
  /** Grouping tag for the docs. */
  tag: string;
  summary: string;
  permission: RoutePermission;
  params?: P;
  query?: Q;
  body?: B;
  output: O;
  /** HTTP status of a successful answer. */
  status?: 200 | 201 | 202 | 204;
  /** Error codes this route can answer with, beyond the standard validation and internal ones. */
  errors: readonly ErrorCode[];
  /**
   * Reachable from a restricted session (password expired, or TOTP enrollment pending), so
   * the user can fix what restricts them.
   */
  allowRestricted?: true;
  /**
   * The request is multipart/form-data: one file part beside text fields, which `body`
   * validates like a JSON body. The server stores the file before the handler runs.
   */
  upload?: UploadSpec;
  /** The answer is a file (the handler returns a `FileAnswer`), not JSON. */
  download?: DownloadSpec;
}

export interface UploadSpec {
  /** Form field that carries the file. */
  field: string;
  /** Largest file accepted, in bytes; the server may configure another limit. */
  maxBytes: number;
  description: string;
}

export interface DownloadSpec {
  contentType: string;
  description: string;
}

/** What a download route's handler returns: the bytes (or a stream of them) and a file name. */
export interface FileAnswer {
  /** Suggested file name (may be Chinese); sent in Content-Disposition. */
  filename: string;
  body: Uint8Array | AsyncIterable<Uint8Array>;
  /** The file's own type when the route serves several (an export is xlsx or CSV); else the contract's. */
  contentType?: string;
}

/** The output schema of download routes. */
export const fileAnswer = z.custom<FileAnswer>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as FileAnswer).filename === 'string' &&
    (v as FileAnswer).body !== undefined,
  'must be a file answer',
);

export function defineRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, O extends z.ZodType>(
  route: RouteContract<P, Q, B, O>,
): RouteContract<P, Q, B, O> {
  return route;
}

export type RouteInput<R> =
  R extends RouteContract<infer P, infer Q, infer B, z.ZodType>
    ? { params: z.infer<P>; query: z.infer<Q>; body: z.infer<B> }
    : never;

export type RouteOutput<R> = R extends RouteContract<z.ZodType, z.ZodType, z.ZodType, infer O> ? z.infer<O> : never;
