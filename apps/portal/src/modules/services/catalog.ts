import type { RouteLocationRaw } from 'vue-router';

export type ServiceId =
  | 'join'
  | 'card'
  | 'benefits'
  | 'assistance'
  | 'medicalAid'
  | 'home'
  | 'rights'
  | 'legalAid'
  | 'counseling'
  | 'training'
  | 'craftsmen'
  | 'feedback'
  | 'subsidies'
  | 'founding';

export type ServiceGroup = 'membership' | 'care' | 'rights' | 'growth';

export interface Service {
  id: ServiceId;
  group: ServiceGroup;
  /** Vant icon name. */
  icon: string;
  /** Tile colour on the home page. */
  color: string;
}

/**
 * Every service the portal offers, built or not. A service without its own page yet opens the
 * coming-soon page, so the menu already shows workers what the union will do for them.
 */
export const SERVICES: readonly Service[] = [
  { id: 'join', group: 'membership', icon: 'add-o', color: '#c8161d' },
  { id: 'card', group: 'membership', icon: 'vip-card-o', color: '#e8590c' },
  { id: 'benefits', group: 'care', icon: 'gift-o', color: '#d6336c' },
  { id: 'assistance', group: 'care', icon: 'like-o', color: '#f03e3e' },
  { id: 'medicalAid', group: 'care', icon: 'shield-o', color: '#0c8599' },
  { id: 'home', group: 'care', icon: 'home-o', color: '#e67700' },
  { id: 'rights', group: 'rights', icon: 'flag-o', color: '#1971c2' },
  { id: 'legalAid', group: 'rights', icon: 'balance-o', color: '#5f3dc4' },
  { id: 'counseling', group: 'rights', icon: 'smile-comment-o', color: '#2f9e44' },
  { id: 'training', group: 'growth', icon: 'bag-o', color: '#1864ab' },
  { id: 'craftsmen', group: 'growth', icon: 'medal-o', color: '#c2255c' },
  { id: 'feedback', group: 'growth', icon: 'comment-o', color: '#495057' },
  { id: 'subsidies', group: 'care', icon: 'award-o', color: '#c92a2a' },
  // A workplace's contact founds its union (网上建会).
  { id: 'founding', group: 'membership', icon: 'cluster-o', color: '#2b8a3e' },
];

export const SERVICE_GROUPS: readonly ServiceGroup[] = ['membership', 'care', 'rights', 'growth'];

/** Shown on the home page, in this order. */
export const HOME_SERVICES: readonly ServiceId[] = [
  'join',
  'card',
  'benefits',
  'assistance',
  'rights',
  'legalAid',
  'medicalAid',
  'training',
];

export function isServiceId(value: unknown): value is ServiceId {
  return SERVICES.some((s) => s.id === value);
}

export function serviceById(id: ServiceId): Service {
  return SERVICES.find((s) => s.id === id)!;
}

/** Where a tile leads: its own page once built, the coming-soon page until then. */
export function serviceLink(id: ServiceId): RouteLocationRaw {
  if (id === 'join') return { name: 'join' };
  if (id === 'card') return { name: 'card' };
  if (id === 'subsidies') return { name: 'subsidies' };
  if (id === 'founding') return { name: 'founding' };
  return { name: 'service', params: { id } };
}
