import { foundingRoutes, type RouteOutput } from '@zhgh/contracts';
import en from '../../i18n/en.ts';

export type FoundingApplication = RouteOutput<typeof foundingRoutes.get>;

/** The steps of a founding, in the order a workplace goes through them (the filter lists them so). */
export const FOUNDING_STATES = Object.keys(en.founding.states) as (keyof typeof en.founding.states)[];
const ACTIONS = Object.keys(en.founding.actions);

export function isFoundingState(code: string): code is keyof typeof en.founding.states {
  return (FOUNDING_STATES as string[]).includes(code);
}

export function isFoundingAction(code: string): code is keyof typeof en.founding.actions {
  return ACTIONS.includes(code);
}
