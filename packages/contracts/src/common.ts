import { z } from 'zod';

export const idSchema = z.string().min(1).max(64).describe('Record id');
export const isoTime = z.string().describe('ISO-8601 UTC timestamp');

/** A text in both locales (names and labels the platform itself defines). */
export const localizedText = z.object({
  'zh-CN': z.string().describe('Chinese'),
  en: z.string().describe('English'),
});

export const pageQuery = z.object({
  page: z.coerce.number().int().min(1).default(1).describe('Page number, from 1'),
  pageSize: z.coerce.number().int().min(1).max(200).default(20).describe('Rows per page, at most 200'),
});

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item).describe('Rows of this page'),
    total: z.number().int().describe('Rows matching the filter, across all pages'),
    page: z.number().int().describe('This page number'),
    pageSize: z.number().int().describe('Rows per page'),
  });
}

export const okOutput = z.object({ ok: z.literal(true).describe('The action was done') });

/** Mainland mobile number: 11 digits starting with 1. */
export const phoneSchema = z
  .string()
  .trim()
  .regex(/^1[3-9]\d{9}$/, 'must be an 11-digit mainland mobile number')
  .describe('Mobile phone number, 11 digits');
