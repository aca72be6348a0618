import { z } from 'zod';
import { BadRequestError } from '../errors.js';
import type { PageRequest } from '../storage/ports.js';
import type { ApiResponse } from './types.js';
import { validate } from './validation.js';

const limitSchema = z.coerce
  .number()
  .int('limit must be a whole number')
  .min(1, 'limit must be at least 1')
  .max(500, 'limit must be at most 500')
  .default(50);
const cursorSchema = z.string().min(1).max(4096).optional();

const pageSchema = z.object({ limit: limitSchema, cursor: cursorSchema });

/** `limit` (default 50, max 500) and `cursor` from the query string. */
export function pageRequest(query: Readonly<Record<string, string | undefined>>): PageRequest {
  const parsed = validate(pageSchema, { limit: query.limit, cursor: query.cursor }, 'the query string');
  return { limit: parsed.limit, cursor: parsed.cursor };
}

/** The version an `If-Match: "<version>"` header names, or undefined without the header. */
export function ifMatchVersion(headers: Readonly<Record<string, string | undefined>>): number | undefined {
  const header = headers['if-match'];
  if (header === undefined) return undefined;
  const text = header.trim().replace(/^W\//, '');
  const unquoted = text.startsWith('"') && text.endsWith('"') && text.length >= 2 ? text.slice(1, -1) : text;
  if (!/^[1-9]\d{0,15}$/.test(unquoted))
    throw new BadRequestError(`If-Match must be a version in quotes, e.g. "3" (got ${JSON.stringify(header.slice(0, 40))})`);
  return Number(unquoted);
}

/** A JSON answer carrying the resource's version as its ETag. */
export function versioned<T extends { readonly version: number }>(status: number, body: T): ApiResponse {
  return { status, body, headers: { etag: `"${body.version}"` } };
}

/** Boolean query parameters: `true` / `false` only. */
export const booleanQuery = z
  .enum(['true', 'false'])
  .transform((v) => v === 'true')
  .optional();
