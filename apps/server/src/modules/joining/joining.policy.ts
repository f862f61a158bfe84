import {
  type FieldError,
  JOIN_WORK_PROOF,
  type JoinRoute,
  type JoinSource,
  parseCreditCode,
  parseIdNumber,
} from '@zhgh/contracts';
import { AppError, fieldError } from '../../core/app-error.ts';
import { checkAge, employmentErrors, type Identity, idNumberError } from '../members/members.policy.ts';

/**
 * The rules of joining (DOMAIN §3.2), as the rulebook states them. Pure: the service gathers
 * the facts from the database and these functions decide.
 *
 * Routing: the employer's union, if the employer has one; a new-form worker goes to the pool
 * union of their group in their city (or county, where the county set its own); anyone else
 * to the township (street) or joint union of the region where they work, the nearest region
 * first. Nothing found is an error naming the field to correct.
 */

type Message = { 'zh-CN': string; en: string };

/** Employment types whose workers name an employer: the union checks real employment there. */
export const EMPLOYER_REQUIRED: readonly string[] = ['regular', 'migrant', 'dispatched'];
/** Employment types without an employer who vouches: they show a proof of work. */
export const PROOF_REQUIRED_TYPES: readonly string[] = ['new_form', 'flexible'];

/** An organization as routing sees it. */
export interface RouteOrg {
  id: string;
  name: string;
  type: string;
  status: string;
  path: string;
  region_code: string | null;
}

/** The work place: the region code given and the codes it lies in, nearest first. */
export interface WorkRegion {
  code: string;
  /** The code itself, then its city (for a county): what "nearest" walks through. */
  codes: readonly string[];
}

export interface RoutingFacts {
  employmentType: string;
  /** The registered employer named on the form: its own union, and the union answering for it. */
  employer: { union: RouteOrg | null; answering: RouteOrg | null } | null;
  region: WorkRegion | null;
  /** The pool union of the worker's new-form group in the region (nearest federation first). */
  pool: RouteOrg | null;
  /** Township and joint unions of the region's codes (not pool unions). */
  local: readonly RouteOrg[];
  /** The township union the worker picked, if any. */
  chosenLocalId: string | null;
}

export type Routing = { union: RouteOrg; route: JoinRoute };

const isActive = (o: RouteOrg | null | undefined): o is RouteOrg => !!o && o.status === 'active';
const LOCAL_TYPES = ['township', 'joint'];

/**
 * Local candidates, nearest first: the region's own code before its city's, and township
 * unions (which take every worker of their area) before joint unions (which take small units).
 */
export function rankLocal(region: WorkRegion, orgs: readonly RouteOrg[]): { org: RouteOrg; rank: number }[] {
  return orgs
    .filter((o) => isActive(o) && LOCAL_TYPES.includes(o.type) && o.region_code !== null)
    .map((o) => {
      const tier = region.codes.indexOf(o.region_code!);
      return { org: o, rank: tier < 0 ? -1 : tier * 2 + (o.type === 'township' ? 0 : 1) };
    })
    .filter((x) => x.rank >= 0)
    .sort((a, b) => a.rank - b.rank || a.org.name.localeCompare(b.org.name, 'zh-CN'));
}

/** The union an application goes to, or the refusal that names what to correct. */
export function chooseUnion(f: RoutingFacts): Routing {
  if (isActive(f.employer?.union)) return { union: f.employer.union, route: 'employer' };
  if (f.employmentType === 'new_form' && isActive(f.pool)) return { union: f.pool, route: 'pool' };
  const ranked = f.region ? rankLocal(f.region, f.local) : [];
  if (f.chosenLocalId) {
    const chosen = ranked.find((x) => x.org.id === f.chosenLocalId);
    if (!chosen) {
      throw AppError.invalid('body.localUnionId', 'invalid', {
        'zh-CN': '所选工会不是工作地区的乡镇（街道）或联合工会，请重新选择',
        en: 'The union chosen is not a township or joint union of the work region; choose again',
      });
    }
    return { union: chosen.org, route: 'local' };
  }
  // A registered unit without a union of its own is answered for by a township or joint union.
  const answering = f.employer?.answering;
  if (isActive(answering) && LOCAL_TYPES.includes(answering.type)) return { union: answering, route: 'local' };
  if (!f.region) {
    throw AppError.invalid('body.workRegionCode', 'required', {
      'zh-CN':
        f.employmentType === 'new_form'
          ? '请填写工作所在地区，以便转到所在城市的新就业形态工会'
          : '工作单位尚未建立工会，请填写工作所在地区，由当地乡镇（街道）工会受理',
      en:
        f.employmentType === 'new_form'
          ? 'Give the region where you work, so the application reaches your city’s new-form union'
          : 'The employer has no union: give the region where you work, so the local township union takes the application',
    });
  }
  const nearest = ranked.filter((x) => x.rank === ranked[0]?.rank);
  if (nearest.length === 1) return { union: nearest[0]!.org, route: 'local' };
  if (nearest.length > 1) {
    throw AppError.invalid('body.localUnionId', 'required', {
      'zh-CN': '该地区有多个乡镇（街道）工会，请选择您工作所在的街道（乡镇）',
      en: 'The region has several township (street) unions: choose the one where you work',
    });
  }
  throw new AppError('JOIN_NO_UNION', [
    fieldError('body.workRegionCode', 'invalid', {
      'zh-CN': '该地区还没有可以受理入会的乡镇（街道）或联合工会，请联系当地总工会',
      en: 'No township or joint union of this region takes applications yet; contact the local federation',
    }),
  ]);
}

/**
 * Documents the union needs before approving (DOMAIN §3.2: the union checks real employment).
 * A worker who applies on the portal shows a proof of work (labour contract, employer's
 * certificate, platform record) when no employer with a union of its own vouches for them:
 * new-form and flexible workers, and anyone routed to a township or pool union. A union that
 * enrolls a list or runs an event has checked its workers itself.
 */
export function documentsNeeded(source: JoinSource, employmentType: string, route: JoinRoute): string[] {
  if (source !== 'portal') return [];
  return PROOF_REQUIRED_TYPES.includes(employmentType) || route !== 'employer' ? [JOIN_WORK_PROOF] : [];
}

/** The form's own checks: identity from the ID number, age, employment and employer. */
export interface JoinFormFields {
  idNumber: string;
  employmentType: string;
  newFormGroup?: string | null | undefined;
  workUnitId?: string | undefined;
  creditCode?: string | undefined;
  workUnitName?: string | undefined;
}

const CREDIT_CODE_PROBLEM: Message = {
  'zh-CN': '统一社会信用代码不正确（18 位，校验位须符合 GB 32100），请核对',
  en: 'Not a valid unified social credit code (18 characters, GB 32100 check character)',
};

/**
 * Check the form; every broken rule is a field error (all at once, as a form shows them).
 * An otherwise valid applicant under MIN_MEMBER_AGE on `today` is MEMBER_TOO_YOUNG.
 */
export function checkJoinForm(form: JoinFormFields, today: string): { identity: Identity; creditCode: string | null } {
  const errors: FieldError[] = [];
  const parsed = parseIdNumber(form.idNumber, new Date(`${today}T00:00:00Z`));
  if (!parsed.ok) errors.push(idNumberError('body.idNumber', parsed.problem));
  errors.push(
    ...employmentErrors({
      employmentType: form.employmentType,
      newFormGroup: form.newFormGroup,
      workUnitId: form.workUnitId,
      workUnitName: form.workUnitName,
    }),
  );
  let creditCode: string | null = null;
  if (form.creditCode !== undefined && form.creditCode !== '') {
    const cc = parseCreditCode(form.creditCode);
    if (!cc.ok) errors.push(fieldError('body.creditCode', 'format', CREDIT_CODE_PROBLEM));
    else creditCode = cc.value;
    if (form.workUnitId) {
      errors.push(
        fieldError('body.creditCode', 'invalid', {
          'zh-CN': '已选择工作单位时不再填写信用代码',
          en: 'Pick the employer or give its credit code, not both',
        }),
      );
    }
  }
  if (EMPLOYER_REQUIRED.includes(form.employmentType) && !form.workUnitId && !form.creditCode && !form.workUnitName) {
    errors.push(
      fieldError('body.workUnitName', 'required', {
        'zh-CN': '请选择或填写工作单位（也可填写单位的统一社会信用代码）',
        en: 'Pick or name your employer (or give its unified social credit code)',
      }),
    );
  }
  if (errors.length > 0) throw new AppError('VALIDATION_FAILED', errors);
  if (!parsed.ok) throw new Error('unreachable: a failed ID number is a field error');
  checkAge(parsed.birthDate, today);
  return { identity: { idNumber: parsed.value, gender: parsed.gender, birthDate: parsed.birthDate }, creditCode };
}

/**
 * The ID number holds an open membership: refused with the transfer hint. The union is named
 * only to whom may see it (the service decides: the applicant's own bound record, a cadre's
 * member.read scope); otherwise "another union".
 */
export function alreadyMember(holder: { orgName: string } | null): AppError {
  return new AppError('JOIN_ALREADY_MEMBER', [
    fieldError(
      'body.idNumber',
      'invalid',
      holder
        ? {
            'zh-CN': `此身份证号已是「${holder.orgName}」的会员。如工作单位已变动，请向该工会申请会籍接转（转会），无需重新入会`,
            en: `This ID number is already a member of "${holder.orgName}". After a change of job, ask that union to transfer the membership; no new application is needed`,
          }
        : {
            'zh-CN': '此身份证号已是其他工会的会员。如工作单位已变动，请向原工会申请会籍接转（转会），无需重新入会',
            en: 'This ID number is already a member of another union. After a change of job, ask that union to transfer the membership; no new application is needed',
          },
    ),
  ]);
}

export function applicationPending(): AppError {
  return new AppError('JOIN_APPLICATION_PENDING', [
    fieldError('body.idNumber', 'invalid', {
      'zh-CN': '此身份证号已有一份待审核的入会申请',
      en: 'An application for this ID number is already waiting for review',
    }),
  ]);
}

/** The field that moved the application elsewhere, by the route the corrected form took. */
export function unionChanged(route: JoinRoute): AppError {
  const field =
    route === 'employer' ? 'body.workUnitId' : route === 'pool' ? 'body.newFormGroup' : 'body.workRegionCode';
  return new AppError('JOIN_UNION_CHANGED', [
    fieldError(field, 'invalid', {
      'zh-CN': '修改后由另一个工会受理：请撤回本申请后重新申请',
      en: 'After the correction another union takes the application: withdraw it and apply again',
    }),
  ]);
}

/** The welcome on approval: the union and the member number, and where the card is. */
export function welcomeText(unionName: string, memberNumber: string): Message {
  return {
    'zh-CN': `欢迎加入${unionName}！您的会员号：${memberNumber}。电子会员卡已发放，请在“会员卡”页面领取到本机使用`,
    en: `Welcome to ${unionName}! Your member number: ${memberNumber}. Your e-member card is issued: open the card page to take it onto this phone`,
  };
}
