import { z } from 'zod';
import { codesOf, INDUSTRY_SECTIONS, UNIT_TYPES } from './code-lists.ts';
import { idSchema, isoTime, pageOf, pageQuery } from './common.ts';
import { defineRoute } from './route.ts';

const unitType = z.enum(codesOf(UNIT_TYPES)).describe('Unit type code (单位类型): 110 state-owned … 900 other');
const industry = z.enum(codesOf(INDUSTRY_SECTIONS)).describe('Industry, GB/T 4754 section A–T');

export const workUnitOutput = z.object({
  id: idSchema,
  name: z.string().describe('Registered name of the unit'),
  creditCode: z.string().nullable().describe('Unified social credit code (GB 32100), 18 characters; null if none'),
  unitType: z.string().nullable().describe('Unit type code'),
  industry: z.string().nullable().describe('GB/T 4754 section'),
  regionCode: z.string().nullable().describe('GB/T 2260 region code where the unit is'),
  address: z.string().nullable().describe('Address'),
  employeeCount: z.number().int().describe('Employees on the payroll'),
  foundedOn: z.string().nullable().describe('Date the unit was established, YYYY-MM-DD'),
  chairName: z.string().nullable().describe('Chair of the unit’s union'),
  contactName: z.string().nullable().describe('Contact person'),
  contactPhone: z.string().nullable().describe('Contact phone, masked'),
  orgId: z.string().describe('Responsible organization: its union if founded, else the local federation'),
  unionOrgId: z.string().nullable().describe('The grassroots or joint union covering the unit; null if none'),
  hasUnion: z.boolean().describe('A union covers the unit'),
  foundingRequired: z
    .boolean()
    .describe('The unit is large enough that it must found a union (应建尽建: employees at or above the threshold)'),
  createdAt: isoTime,
  updatedAt: isoTime,
});

/** YYYY-MM-DD that is a real calendar date (the service refuses future dates). */
const dateSchema = z.iso.date().describe('YYYY-MM-DD');
/** A mobile number, or a landline with its area code (029-88886666). */
const contactPhoneSchema = z
  .string()
  .trim()
  .regex(/^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$/, 'must be a mobile number or a landline with area code')
  .describe('Contact phone: mobile, or landline with area code; stored encrypted, shown masked');

const fields = {
  name: z.string().trim().min(2).max(100).describe('Registered name of the unit'),
  creditCode: z
    .string()
    .max(40)
    .nullable()
    .optional()
    .describe('Unified social credit code (GB 32100); full-width characters, spaces and dashes are tolerated'),
  unitType,
  industry,
  regionCode: z
    .string()
    .regex(/^\d{6}$/, 'must be 6 digits')
    .describe('GB/T 2260 region code of a real province, city or county'),
  address: z.string().trim().max(200).nullable().optional().describe('Address'),
  employeeCount: z.number().int().min(0).max(10_000_000).describe('Employees on the payroll, 0 or more'),
  foundedOn: dateSchema.nullable().optional().describe('Date the unit was established, YYYY-MM-DD, not in the future'),
  chairName: z.string().trim().min(1).max(50).nullable().optional().describe('Chair of the unit’s union'),
  contactName: z.string().trim().min(1).max(50).nullable().optional().describe('Contact person'),
  contactPhone: contactPhoneSchema.nullable().optional(),
  orgId: idSchema.describe('Responsible organization; must be in your scope'),
  unionOrgId: idSchema
    .nullable()
    .optional()
    .describe('The grassroots or joint union covering the unit; must be active and in your scope'),
};

export const workUnitCreateBody = z.strictObject(fields);
export const workUnitUpdateBody = z.strictObject({
  name: fields.name.optional(),
  creditCode: fields.creditCode,
  unitType: unitType.optional(),
  industry: industry.optional(),
  regionCode: fields.regionCode.optional(),
  address: fields.address,
  employeeCount: fields.employeeCount.optional(),
  foundedOn: fields.foundedOn,
  chairName: fields.chairName,
  contactName: fields.contactName,
  contactPhone: fields.contactPhone,
  orgId: fields.orgId.optional(),
  unionOrgId: fields.unionOrgId,
});

export const workUnitRoutes = {
  list: defineRoute({
    id: 'workUnit.list',
    method: 'GET',
    path: '/api/work-units',
    tag: 'work units',
    summary: 'Work units whose responsible organization is in your scope',
    permission: 'org.read',
    query: pageQuery.extend({
      orgId: z.string().max(64).optional().describe('Only units of this organization and below; must be in your scope'),
      hasUnion: z
        .enum(['true', 'false'])
        .optional()
        .transform((v) => (v === undefined ? undefined : v === 'true'))
        .describe('Only units with (true) or without (false) a union'),
      industry: industry.optional(),
      unitType: unitType.optional(),
      q: z.string().trim().min(1).max(100).optional().describe('Name starts with'),
    }),
    output: pageOf(workUnitOutput),
    errors: ['NOT_FOUND'],
  }),
  get: defineRoute({
    id: 'workUnit.get',
    method: 'GET',
    path: '/api/work-units/:id',
    tag: 'work units',
    summary: 'One work unit in your scope',
    permission: 'org.read',
    params: z.object({ id: idSchema }),
    output: workUnitOutput,
    errors: ['NOT_FOUND'],
  }),
  create: defineRoute({
    id: 'workUnit.create',
    method: 'POST',
    path: '/api/work-units',
    tag: 'work units',
    summary: 'Register a work unit under an organization in your scope',
    permission: 'org.update',
    body: workUnitCreateBody,
    output: workUnitOutput,
    status: 201,
    errors: ['NOT_FOUND', 'ORG_NOT_ACTIVE', 'WORK_UNIT_CREDIT_CODE_TAKEN'],
  }),
  update: defineRoute({
    id: 'workUnit.update',
    method: 'PATCH',
    path: '/api/work-units/:id',
    tag: 'work units',
    summary: 'Change a work unit in your scope (a null clears an optional field)',
    permission: 'org.update',
    params: z.object({ id: idSchema }),
    body: workUnitUpdateBody,
    output: workUnitOutput,
    errors: ['NOT_FOUND', 'ORG_NOT_ACTIVE', 'WORK_UNIT_CREDIT_CODE_TAKEN'],
  }),
};
