import { z } from 'zod';
import { defineRoute } from './route.ts';

export const REGION_LEVELS = ['province', 'city', 'county'] as const;

export const regionOutput = z.object({
  code: z.string().describe('GB/T 2260 code, 6 digits (110000 province, 110100 city, 110101 county)'),
  name: z.string().describe('Official name'),
  level: z.enum(REGION_LEVELS).describe('province, city or county'),
  parentCode: z.string().nullable().describe('The region it lies in; null for a province'),
});

export const regionRoutes = {
  children: defineRoute({
    id: 'regions.children',
    method: 'GET',
    path: '/api/regions',
    tag: 'reference',
    summary: 'Administrative regions (GB/T 2260): the provinces, or the regions inside one',
    // Reference data with nothing personal in it: the founding and joining forms need it
    // before anyone has an account.
    permission: 'public',
    query: z.object({
      parent: z
        .string()
        .regex(/^\d{6}$/, 'must be 6 digits')
        .optional()
        .describe('A province or city code; absent for the provinces'),
    }),
    output: z.object({ items: z.array(regionOutput).describe('Regions, by code') }),
    errors: ['NOT_FOUND'],
  }),
};
