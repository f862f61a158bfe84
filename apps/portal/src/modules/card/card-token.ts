import {
  CARD_STEP_SECONDS,
  type CardOutput,
  cardMac,
  cardStep,
  cardTokenMessage,
  formatCardToken,
} from '@zhgh/contracts';

/**
 * The card as this phone keeps it (localStorage): the last card info the server gave and the
 * secret it answered once at issue. With them the card keeps showing, and its token keeps
 * rotating, without the network.
 */
export interface StoredCard {
  userId: string;
  cardId: string;
  secret: string;
  info: CardOutput;
  savedAt: string;
}

const KEY = 'zhgh.memberCard';

export function loadStoredCard(userId: string | null): StoredCard | null {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return null;
    const card = JSON.parse(raw) as StoredCard;
    // Another account signed in on this phone: its card is not this one's.
    if (userId && card.userId !== userId) return null;
    return card;
  } catch {
    return null;
  }
}

export function saveStoredCard(card: StoredCard): void {
  localStorage.setItem(KEY, JSON.stringify(card));
}

export function forgetStoredCard(): void {
  localStorage.removeItem(KEY);
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The token of the minute `at` falls in, with Web Crypto: the same HMAC the server checks. */
export async function cardTokenAt(secret: string, cardId: string, at: Date): Promise<{ token: string; endsAt: Date }> {
  const step = cardStep(at);
  const key = await crypto.subtle.importKey('raw', fromBase64Url(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const digest = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(cardTokenMessage(cardId, step)));
  return {
    token: formatCardToken(cardId, step, cardMac(new Uint8Array(digest))),
    endsAt: new Date((step + 1) * CARD_STEP_SECONDS * 1000),
  };
}
