import { z } from 'zod';
import { idSchema, isoTime } from './common.ts';
import { defineRoute, fileAnswer } from './route.ts';

/**
 * The e-member card (电子会员卡, decision 0015). The portal holds the card's secret and
 * computes a token every minute without the network; the merchant end sends the token it
 * scanned or was told, and the server answers valid / invalid / expired. The pure token
 * format lives here so the server (node:crypto) and the portal (Web Crypto) cannot drift;
 * each side computes the HMAC with its own crypto and passes the bytes to `cardMac`.
 */

export const CARD_TOKEN_PREFIX = 'ZG1';
/** One token per minute. */
export const CARD_STEP_SECONDS = 60;
/** Steps either side of the server's own that still count as now (clock drift, the time to scan). */
export const CARD_STEP_TOLERANCE = 1;
/** Length of the MAC in base32 characters: 80 bits. */
export const CARD_MAC_LENGTH = 16;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** The minute step a moment falls in. */
export function cardStep(at: Date | number): number {
  const ms = typeof at === 'number' ? at : at.getTime();
  return Math.floor(ms / 1000 / CARD_STEP_SECONDS);
}

/** When a step's token stops being shown (the next step starts). */
export function cardStepEndsAt(step: number): Date {
  return new Date((step + 1) * CARD_STEP_SECONDS * 1000);
}

/** What the HMAC signs: the card and the minute, so a token names exactly one of each. */
export function cardTokenMessage(cardId: string, step: number): string {
  return `${cardId}.${step}`;
}

/** The first `CARD_MAC_LENGTH` base32 characters of an HMAC-SHA256 digest. */
export function cardMac(digest: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of digest) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < CARD_MAC_LENGTH) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
    if (out.length >= CARD_MAC_LENGTH) break;
  }
  return out;
}

export function formatCardToken(cardId: string, step: number, mac: string): string {
  return `${CARD_TOKEN_PREFIX}.${cardId}.${step}.${mac}`;
}

export interface ParsedCardToken {
  cardId: string;
  step: number;
  mac: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAC = new RegExp(`^[A-Z2-7]{${CARD_MAC_LENGTH}}$`);

/**
 * A token as typed or scanned. Case and surrounding spaces are forgiven (a cashier types
 * what they read); anything else malformed is null.
 */
export function parseCardToken(text: string): ParsedCardToken | null {
  const parts = text.trim().split('.');
  if (parts.length !== 4) return null;
  const [prefix, id, stepText, macText] = parts as [string, string, string, string];
  if (prefix.toUpperCase() !== CARD_TOKEN_PREFIX) return null;
  const cardId = id.toLowerCase();
  const mac = macText.toUpperCase();
  if (!UUID.test(cardId) || !/^\d{1,12}$/.test(stepText) || !MAC.test(mac)) return null;
  return { cardId, step: Number(stepText), mac };
}

export const CARD_VERIFY_RESULTS = ['valid', 'invalid', 'expired', 'membership_ended'] as const;
export type CardVerifyResult = (typeof CARD_VERIFY_RESULTS)[number];

export const cardOutput = z.object({
  issued: z.boolean().describe('A card is issued on this account (to one phone); false until POST /api/me/card'),
  cardId: idSchema.nullable().describe('The active card, null when none is issued'),
  issuedAt: isoTime.nullable().describe('When the active card was issued'),
  name: z.string().describe('Name on the real-name record, masked (王*明)'),
  memberNumber: z.string().nullable().describe('Member number of the membership, if assigned'),
  unionName: z.string().describe('The union the membership is in'),
  membershipStatus: z.string().describe('active, retained (retirees keep their card), or an ended status'),
  memberSince: z.string().describe('YYYY-MM-DD the membership started'),
  valid: z
    .boolean()
    .describe('The card is valid while the membership is open (active or retained); no other expiry date'),
});
export type CardOutput = z.infer<typeof cardOutput>;

export const issuedCardOutput = cardOutput.extend({
  secret: z
    .string()
    .describe(
      'The card secret (base64url, 32 bytes), shown once: the portal keeps it to compute the rotating token offline',
    ),
});
export type IssuedCardOutput = z.infer<typeof issuedCardOutput>;

export const verifyCardBody = z.strictObject({
  code: z.string().trim().min(1).max(200).describe('The token scanned from the member’s QR code or typed'),
});

export const verifyCardOutput = z.object({
  result: z
    .enum(CARD_VERIFY_RESULTS)
    .describe(
      'valid; invalid (forged, unknown, revoked or malformed: nothing about a person); expired (genuine but older than a minute or two: a screenshot); membership_ended (genuine, but the membership is no longer open)',
    ),
  membershipStatus: z.string().nullable().describe('Membership status; null for invalid'),
  maskedName: z.string().nullable().describe('The member’s masked name; null for invalid'),
  unionName: z.string().nullable().describe('The union; null for invalid'),
  checkedAt: isoTime.describe('When the server checked it'),
});
export type VerifyCardOutput = z.infer<typeof verifyCardOutput>;

export const cardRoutes = {
  mine: defineRoute({
    id: 'card.mine',
    method: 'GET',
    path: '/api/me/card',
    tag: 'cards',
    summary: 'My e-member card: masked name, member number, union, membership status and whether a card is issued',
    permission: 'authenticated',
    output: cardOutput,
    errors: ['CARD_PERSON_NOT_BOUND', 'CARD_NO_MEMBERSHIP'],
  }),
  issue: defineRoute({
    id: 'card.issue',
    method: 'POST',
    path: '/api/me/card',
    tag: 'cards',
    summary: 'Issue my e-member card on this phone (re-issuing revokes the previous one); the secret is answered once',
    permission: 'authenticated',
    output: issuedCardOutput,
    status: 201,
    errors: ['CARD_PERSON_NOT_BOUND', 'CARD_NO_MEMBERSHIP', 'CONFLICT'],
  }),
  pdf: defineRoute({
    id: 'card.pdf',
    method: 'GET',
    path: '/api/me/card/pdf',
    tag: 'cards',
    summary: 'My printable member card as PDF (its QR holds the member number only: paper cannot rotate)',
    permission: 'authenticated',
    output: fileAnswer,
    download: {
      contentType: 'application/pdf',
      description: 'Card-sized PDF: masked name, member number, union, member since, QR code of the member number',
    },
    errors: ['CARD_PERSON_NOT_BOUND', 'CARD_NO_MEMBERSHIP'],
  }),
  verify: defineRoute({
    id: 'card.verify',
    method: 'POST',
    path: '/api/cards/verify',
    tag: 'cards',
    summary: 'A merchant checks a member card token (rate-limited, every check logged and audited)',
    permission: 'card.verify',
    body: verifyCardBody,
    output: verifyCardOutput,
    errors: ['RATE_LIMITED'],
  }),
};
