import { z } from 'zod';
import {
  codesOf,
  EDUCATION_LEVELS,
  EMPLOYMENT_TYPES,
  ETHNICITIES,
  GENDERS,
  HOUSEHOLD_TYPES,
  NEW_FORM_GROUPS,
  POLITICAL_STATUSES,
} from './code-lists.ts';
import { idSchema, isoTime, pageOf, pageQuery, phoneSchema } from './common.ts';
import { defineRoute } from './route.ts';

/**
 * The real-name member record (一库): a person (one per ID number) and their dated
 * memberships, at most one of them open. Sensitive fields travel masked; the full value only
 * through `reveal`, with a reason, audited.
 */

export const MEMBERSHIP_STATUSES = ['active', 'retained', 'transferred_out', 'withdrawn'] as const;
export type MembershipStatus = (typeof MEMBERSHIP_STATUSES)[number];
/** The fields `reveal` can show in full. */
export const REVEALABLE_FIELDS = ['idNumber', 'phone', 'bankCard'] as const;

const dateSchema = z.iso.date().describe('YYYY-MM-DD');
const gender = z.enum(codesOf(GENDERS));
const employmentType = z.enum(codesOf(EMPLOYMENT_TYPES));
const newFormGroup = z.enum(codesOf(NEW_FORM_GROUPS));
const nameSchema = z.string().trim().min(2).max(50).describe('Name as on the ID card (minority names may carry ·)');

/** Fields a cadre types and may later edit (identity fields are only set at registration). */
const editableFields = {
  ethnicity: z.enum(codesOf(ETHNICITIES)).describe('Ethnic group, GB 3304 code (01 汉族 …)'),
  politicalStatus: z.enum(codesOf(POLITICAL_STATUSES)).describe('Political status code'),
  education: z.enum(codesOf(EDUCATION_LEVELS)).describe('Education level code'),
  householdType: z.enum(codesOf(HOUSEHOLD_TYPES)).describe('Household registration: urban or rural'),
  householdRegion: z
    .string()
    .regex(/^\d{6}$/, 'must be 6 digits')
    .describe('Region of household registration, GB/T 2260 code of a real province, city or county'),
  employmentType: employmentType.describe('regular, migrant, new_form, dispatched or flexible'),
  newFormGroup: newFormGroup
    .nullable()
    .optional()
    .describe('Required when employmentType is new_form: which of the eight groups; otherwise absent'),
  workUnitId: idSchema.nullable().optional().describe('Registered work unit; give this or workUnitName, not both'),
  workUnitName: z
    .string()
    .trim()
    .min(2)
    .max(100)
    .nullable()
    .optional()
    .describe('Employer by name when it is not a registered work unit (flexible and platform workers)'),
};

const bankCardSchema = z
  .string()
  .trim()
  .max(40)
  .describe('Bank card for benefit payments: 12–19 digits with a valid Luhn check digit; stored encrypted');

export const memberRegisterBody = z.strictObject({
  orgId: idSchema.describe('The union the member joins: an active, non-federation union in your scope'),
  name: nameSchema,
  idNumber: z
    .string()
    .trim()
    .min(1)
    .max(40)
    .describe('Resident ID number (GB 11643), 18 characters; a 15-digit legacy number is converted'),
  gender: gender.optional().describe('If typed, must agree with the ID number'),
  birthDate: dateSchema.optional().describe('If typed, must agree with the ID number'),
  ...editableFields,
  phone: phoneSchema.optional().describe('Mobile phone, unique among persons; stored encrypted'),
  bankCard: bankCardSchema.optional(),
  joinDate: dateSchema.describe('Date the membership starts, YYYY-MM-DD, not in the future'),
  memberNumber: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9-]{4,32}$/, '4–32 letters, digits or -')
    .optional()
    .describe('Member number when one was issued before; generated when absent'),
  cardNumber: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9-]{4,32}$/, '4–32 letters, digits or -')
    .optional()
    .describe('Member card number, if a card was issued'),
});

const f = editableFields;
export const memberUpdateBody = z.strictObject({
  name: nameSchema.optional().describe('Corrected name; clears the real-name verification'),
  ethnicity: f.ethnicity.optional(),
  politicalStatus: f.politicalStatus.optional(),
  education: f.education.optional(),
  householdType: f.householdType.optional(),
  householdRegion: f.householdRegion.optional(),
  employmentType: f.employmentType.optional(),
  newFormGroup: f.newFormGroup,
  workUnitId: f.workUnitId,
  workUnitName: f.workUnitName,
  phone: phoneSchema.nullable().optional().describe('New mobile phone (unique among persons), or null to remove'),
  bankCard: bankCardSchema.nullable().optional().describe('New bank card, or null to remove'),
});

const membershipStatus = z.enum(MEMBERSHIP_STATUSES).describe('active, retained, transferred_out or withdrawn');

/** One member in a list: everything personal masked. */
export const memberRowOutput = z.object({
  id: idSchema.describe('Person id (the member)'),
  name: z.string().describe('Name, masked: 王*明'),
  gender: gender.describe('From the ID number'),
  age: z.number().int().describe('Age today in whole years'),
  idNumber: z.string().describe('ID number, masked: 6101**********1234'),
  phone: z.string().nullable().describe('Phone, masked: 138****1234'),
  employmentType: employmentType.describe('regular, migrant, new_form, dispatched or flexible'),
  membershipId: z.string().describe('The membership shown'),
  orgId: z.string().describe('Union of the membership'),
  orgName: z.string().describe('Name of that union'),
  status: membershipStatus,
  joinedOn: z.string().describe('Start of the membership, YYYY-MM-DD'),
  endedOn: z.string().nullable().describe('End of the membership, YYYY-MM-DD; null while open'),
  memberNumber: z.string().nullable().describe('Member number'),
});

export const membershipOutput = z.object({
  id: idSchema,
  orgId: z.string().describe('The union'),
  orgName: z.string().describe('Its name'),
  status: membershipStatus,
  startedOn: z.string().describe('From, YYYY-MM-DD'),
  endedOn: z.string().nullable().describe('To, YYYY-MM-DD; null while open'),
  endReason: z.string().nullable().describe('Why it ended (transfer, withdrawal, merger …)'),
  memberNumber: z.string().nullable().describe('Member number during this membership'),
  cardNumber: z.string().nullable().describe('Member card number'),
});

/** One member in full, sensitive fields masked. */
export const memberDetailOutput = z.object({
  id: idSchema.describe('Person id (the member)'),
  name: z.string().describe('Name, masked: 王*明'),
  gender: gender.describe('From the ID number'),
  age: z.number().int().describe('Age today in whole years (the birth date stays hidden, as in the masked ID)'),
  idNumber: z.string().describe('ID number, masked'),
  phone: z.string().nullable().describe('Phone, masked'),
  bankCard: z.string().nullable().describe('Bank card, masked: 6222***********0123'),
  ethnicity: z.string().nullable().describe('Ethnic group code'),
  politicalStatus: z.string().nullable().describe('Political status code'),
  education: z.string().nullable().describe('Education level code'),
  householdType: z.string().nullable().describe('urban or rural'),
  householdRegion: z.string().nullable().describe('Region of household registration'),
  employmentType: employmentType.describe('regular, migrant, new_form, dispatched or flexible'),
  newFormGroup: newFormGroup.nullable().describe('For new-form workers: the group'),
  workUnitId: z.string().nullable().describe('Registered work unit'),
  workUnitName: z.string().nullable().describe('Employer name (of the registered unit, or as typed)'),
  realNameVerified: z.boolean().describe('实名制: the ID number was checked against its holder'),
  membership: membershipOutput.describe('The open membership, or the last one when none is open'),
  createdAt: isoTime,
  updatedAt: isoTime,
});

export const memberRevealOutput = z.object({
  idNumber: z.string().optional().describe('Full ID number, when asked for'),
  phone: z.string().nullable().optional().describe('Full phone, when asked for; null if none'),
  bankCard: z.string().nullable().optional().describe('Full bank card number, when asked for; null if none'),
});

const memberId = z.object({ id: idSchema.describe('Person id') });

export const memberRoutes = {
  register: defineRoute({
    id: 'member.register',
    method: 'POST',
    path: '/api/members',
    tag: 'members',
    summary:
      'Register a real-name member in a union of your scope (a person who withdrew earlier rejoins: a new membership, history kept)',
    permission: 'member.write',
    body: memberRegisterBody,
    output: memberDetailOutput,
    status: 201,
    errors: [
      'NOT_FOUND',
      'ORG_NOT_ACTIVE',
      'MEMBER_ORG_NOT_ELIGIBLE',
      'MEMBER_TOO_YOUNG',
      'MEMBER_ID_NUMBER_TAKEN',
      'MEMBER_NUMBER_TAKEN',
      'PHONE_TAKEN',
    ],
  }),
  list: defineRoute({
    id: 'member.list',
    method: 'GET',
    path: '/api/members',
    tag: 'members',
    summary: 'Members with an open membership in your scope, masked; search by ID number, phone, name or initials',
    permission: 'member.read',
    query: pageQuery.extend({
      orgId: idSchema.optional().describe('Only this union and its subtree (must be in your scope)'),
      status: z
        .enum(['active', 'retained', 'open'])
        .default('open')
        .describe('active, retained, or open (both; the default)'),
      employmentType: employmentType.optional().describe('Only this employment type'),
      gender: gender.optional().describe('Only this gender'),
      q: z
        .string()
        .trim()
        .min(1)
        .max(40)
        .optional()
        .describe(
          'An 18- or 15-character ID number or an 11-digit phone (exact match), else a name prefix (张) or pinyin initials (zs)',
        ),
    }),
    output: pageOf(memberRowOutput).extend({
      totalCapped: z
        .boolean()
        .describe('A name or initials search counts at most 10,000 hits: true when there are more than `total`'),
    }),
    errors: ['NOT_FOUND'],
  }),
  get: defineRoute({
    id: 'member.get',
    method: 'GET',
    path: '/api/members/:id',
    tag: 'members',
    summary: 'One member in your scope (through the open membership, or the last one), masked',
    permission: 'member.read',
    params: memberId,
    output: memberDetailOutput,
    errors: ['NOT_FOUND'],
  }),
  update: defineRoute({
    id: 'member.update',
    method: 'PATCH',
    path: '/api/members/:id',
    tag: 'members',
    summary: 'Edit a member’s non-identity fields (never the ID number); audited, sensitive values left out',
    permission: 'member.write',
    params: memberId,
    body: memberUpdateBody,
    output: memberDetailOutput,
    errors: ['NOT_FOUND', 'PHONE_TAKEN'],
  }),
  reveal: defineRoute({
    id: 'member.reveal',
    method: 'POST',
    path: '/api/members/:id/reveal',
    tag: 'members',
    summary: 'Show sensitive fields in full, for a stated reason; audited (the values never are)',
    permission: 'member.reveal',
    params: memberId,
    body: z.strictObject({
      reason: z.string().trim().min(4).max(200).describe('Why the full values are needed (4–200 characters)'),
      fields: z
        .array(z.enum(REVEALABLE_FIELDS))
        .min(1)
        .max(REVEALABLE_FIELDS.length)
        .refine((f) => new Set(f).size === f.length, 'each field once')
        .describe('Which fields to show: idNumber, phone, bankCard'),
    }),
    output: memberRevealOutput,
    errors: ['NOT_FOUND'],
  }),
  memberships: defineRoute({
    id: 'member.memberships',
    method: 'GET',
    path: '/api/members/:id/memberships',
    tag: 'members',
    summary: 'A member’s dated membership history, newest first',
    permission: 'member.read',
    params: memberId,
    output: z.object({ items: z.array(membershipOutput).describe('Memberships, newest first') }),
    errors: ['NOT_FOUND'],
  }),
  asOf: defineRoute({
    id: 'member.asOf',
    method: 'GET',
    path: '/api/orgs/:id/members',
    tag: 'members',
    summary: 'The members of a union (or its subtree) on a date: started on or before it, not ended by it',
    permission: 'member.read',
    params: z.object({ id: idSchema.describe('The union; must be in your scope') }),
    query: pageQuery.extend({
      asOf: dateSchema.optional().describe('The date, YYYY-MM-DD, not in the future; default today'),
      subtree: z
        .enum(['true', 'false'])
        .optional()
        .transform((v) => v === 'true')
        .describe('Include the unions below (default false)'),
    }),
    output: pageOf(memberRowOutput),
    errors: ['NOT_FOUND'],
  }),
};
