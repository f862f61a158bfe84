import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../src/core/actor.ts';
import { AppError } from '../src/core/app-error.ts';
import type { WorkflowDefinition } from '../src/core/workflow/definition.ts';
import type { OrganizationTable } from '../src/db/schema.ts';

/**
 * Two fixture definitions the engine tests run: a join-like one (one review step with a
 * deadline, a document, a guard and an effect; reject with a reason; resubmit) and a
 * subsidy-like one (survey → public notice → payment plan by the higher union, with an appeal).
 * The engine knows neither: they prove it carries both shapes.
 */

export interface JoinData extends Record<string, unknown> {
  name: string;
  age: number;
  /** Makes the approval effect fail, to prove the step rolls back with it. */
  failEffect?: boolean;
}

export const effectRuns: string[] = [];

export const joinFixture: WorkflowDefinition<JoinData> = {
  key: 'testJoin',
  version: 1,
  label: { 'zh-CN': '入会申请（测试）', en: 'Join application (test)' },
  subjectType: 'test_join',
  initial: 'review',
  startPermission: 'member.write',
  documentKinds: { employmentProof: { 'zh-CN': '劳动合同或在职证明', en: 'Employment contract or proof' } },
  guards: {
    oldEnough: (i) =>
      i.data.age >= 16 ? null : AppError.invalid('body.age', 'too_small', { 'zh-CN': '未满 16 周岁', en: 'under 16' }),
  },
  states: {
    review: { kind: 'review', label: { 'zh-CN': '待审核', en: 'Under review' }, deadlineWorkingDays: 3 },
    approved: { kind: 'done', label: { 'zh-CN': '已入会', en: 'Approved' } },
    rejected: { kind: 'rejected', label: { 'zh-CN': '未通过', en: 'Rejected' } },
  },
  transitions: [
    {
      action: 'approve',
      from: 'review',
      to: 'approved',
      label: { 'zh-CN': '通过', en: 'Approve' },
      by: { permission: 'member.write', orgLevel: 'handling' },
      guards: ['oldEnough'],
      requiredDocuments: ['employmentProof'],
      effect: async (e) => {
        await e.audit({
          action: 'test.membership.create',
          subjectType: 'test_membership',
          subjectId: e.instance.id,
          orgPath: e.instance.orgPath,
        });
        if (e.instance.data.failEffect) throw new Error('membership could not be created');
        effectRuns.push(e.instance.id);
      },
    },
    {
      action: 'reject',
      from: 'review',
      to: 'rejected',
      label: { 'zh-CN': '不予通过', en: 'Reject' },
      by: { permission: 'member.write', orgLevel: 'handling' },
      requireComment: true,
    },
    {
      action: 'resubmit',
      from: 'rejected',
      to: 'review',
      label: { 'zh-CN': '修改后重新提交', en: 'Correct and resubmit' },
      by: 'applicant',
    },
  ],
};

export interface SubsidyData extends Record<string, unknown> {
  personName: string;
  amountFen: number;
}

export const subsidyFixture: WorkflowDefinition<SubsidyData> = {
  key: 'testSubsidy',
  version: 1,
  label: { 'zh-CN': '特殊困难补助（测试）', en: 'Special hardship subsidy (test)' },
  subjectType: 'test_subsidy',
  initial: 'survey',
  documentKinds: { diagnosis: { 'zh-CN': '诊断证明', en: 'Diagnosis' } },
  states: {
    survey: { kind: 'review', label: { 'zh-CN': '入户调查核实', en: 'Household survey' }, deadlineWorkingDays: 5 },
    notice: {
      kind: 'notice',
      label: { 'zh-CN': '公示', en: 'Public notice' },
      notice: {
        days: 5,
        reviewPermission: 'member.write',
        onUpheld: 'objectionUpheld',
        publish: (i) => ({
          subjectName: i.data.personName,
          summary: `拟发放特殊困难补助 ${(i.data.amountFen / 100).toFixed(2)} 元`,
        }),
      },
    },
    plan: { kind: 'review', label: { 'zh-CN': '市总工会支付计划', en: 'Payment plan' } },
    paid: { kind: 'done', label: { 'zh-CN': '已发放', en: 'Paid' } },
    rejected: { kind: 'rejected', label: { 'zh-CN': '未通过', en: 'Rejected' } },
    appealReview: { kind: 'review', label: { 'zh-CN': '上级工会复核申诉', en: 'Appeal review' } },
    appealDenied: { kind: 'rejected', label: { 'zh-CN': '申诉未获支持', en: 'Appeal denied' } },
  },
  transitions: [
    {
      action: 'verify',
      from: 'survey',
      to: 'notice',
      label: { 'zh-CN': '核实通过并公示', en: 'Verify and publish' },
      by: { permission: 'member.write', orgLevel: 'handling' },
      requiredDocuments: ['diagnosis'],
    },
    {
      action: 'reject',
      from: 'survey',
      to: 'rejected',
      label: { 'zh-CN': '不予补助', en: 'Reject' },
      by: { permission: 'member.write', orgLevel: 'handling' },
      requireComment: true,
    },
    {
      action: 'objectionUpheld',
      from: 'notice',
      to: 'survey',
      label: { 'zh-CN': '异议成立，重新核实', en: 'Objection upheld: survey again' },
      by: { permission: 'member.write', orgLevel: 'handling' },
      requireComment: true,
    },
    {
      action: 'pass',
      from: 'notice',
      to: 'plan',
      label: { 'zh-CN': '公示无异议', en: 'Notice passed' },
      by: { permission: 'member.write', orgLevel: 'handling' },
    },
    {
      action: 'pay',
      from: 'plan',
      to: 'paid',
      label: { 'zh-CN': '列入支付计划', en: 'Put on the payment plan' },
      by: { permission: 'finance.pay', orgLevel: 'higher' },
    },
    {
      action: 'appeal',
      from: 'rejected',
      to: 'appealReview',
      label: { 'zh-CN': '向上级工会申诉', en: 'Appeal to the higher union' },
      by: 'applicant',
      requireComment: true,
      handlingOrg: 'parent',
    },
    {
      action: 'appealGrant',
      from: 'appealReview',
      to: 'notice',
      label: { 'zh-CN': '申诉成立，予以公示', en: 'Appeal granted: publish' },
      by: { permission: 'member.write', orgLevel: 'handling' },
      requireComment: true,
    },
    {
      action: 'appealDeny',
      from: 'appealReview',
      to: 'appealDenied',
      label: { 'zh-CN': '维持原决定', en: 'Appeal denied' },
      by: { permission: 'member.write', orgLevel: 'handling' },
      requireComment: true,
    },
  ],
};

/** Instances `stopFixture` says stand on whichever union stops (tests fill it). */
export const stopStanding: string[] = [];

/** What `stopFixture`'s records hook was told, stop by stop. */
export const stopRecords: { reason: string; org: string; followed: string[]; closed: string[] }[] = [];

const l = (zh: string, en: string) => ({ 'zh-CN': zh, en });
const union = { permission: 'member.write', orgLevel: 'handling' } as const;

/**
 * A state of every kind, for what a union's merger or dissolution does with the instances
 * open there: handed to the union it merged into, closed in `withdrawn` when it is dissolved.
 */
export const stopFixture: WorkflowDefinition = {
  key: 'testStop',
  version: 1,
  label: l('申请（测试）', 'Application (test)'),
  subjectType: 'test_stop',
  initial: 'review',
  states: {
    review: { kind: 'review', label: l('审核中', 'Under review') },
    notice: {
      kind: 'notice',
      label: l('公示', 'Public notice'),
      notice: {
        days: 5,
        reviewPermission: 'member.write',
        onUpheld: 'upheld',
        publish: () => ({ subjectName: '王测试', summary: '测试公示' }),
      },
    },
    waiting: { kind: 'waiting', label: l('待申请人补充', 'Waiting on the applicant') },
    rejected: { kind: 'rejected', label: l('未通过', 'Rejected') },
    done: { kind: 'done', label: l('已办结', 'Done') },
    withdrawn: { kind: 'withdrawn', label: l('已撤回', 'Withdrawn') },
  },
  transitions: [
    { action: 'publish', from: 'review', to: 'notice', label: l('公示', 'Publish'), by: union },
    { action: 'upheld', from: 'notice', to: 'review', label: l('异议成立', 'Objection upheld'), by: union },
    { action: 'pass', from: 'notice', to: 'done', label: l('办结', 'Pass'), by: union },
    { action: 'ask', from: 'review', to: 'waiting', label: l('请补充', 'Ask for more'), by: union },
    { action: 'answer', from: 'waiting', to: 'review', label: l('已补充', 'Answer'), by: 'applicant' },
    {
      action: 'reject',
      from: 'review',
      to: 'rejected',
      label: l('不予通过', 'Reject'),
      by: union,
      requireComment: true,
    },
    { action: 'resubmit', from: 'rejected', to: 'review', label: l('重新提交', 'Resubmit'), by: 'applicant' },
    {
      action: 'withdraw',
      from: ['review', 'waiting', 'rejected'],
      to: 'withdrawn',
      label: l('撤回', 'Withdraw'),
      by: 'applicant',
    },
  ],
  onOrgStopped: {
    merged: 'follow',
    dissolved: { close: 'withdrawn' },
    standingOn: async () => [...stopStanding],
    records: async (e) => {
      stopRecords.push({
        reason: e.stop.reason,
        org: e.stop.org.id,
        followed: e.followed.map((i) => i.id),
        closed: e.closed.map((i) => i.id),
      });
    },
  },
};

/** A cadre as the engine sees one: these permissions granted at `org` (no session needed). */
export function cadreAt(
  org: OrganizationTable,
  permissions: readonly string[],
  userId: string = randomUUID(),
): RequestContext {
  const set = new Set(permissions);
  return {
    actor: { kind: 'user', id: userId, userKind: 'cadre' },
    principal: {
      userId,
      userKind: 'cadre',
      sessionId: randomUUID(),
      grants: [{ id: randomUUID(), roleId: 'r', roleCode: 'test', orgId: org.id, orgPath: org.path, permissions: set }],
      permissions: set,
    },
  };
}

/** A member (applicant or objector) with no grants. */
export function memberCtx(userId: string): RequestContext {
  return {
    actor: { kind: 'user', id: userId, userKind: 'member' },
    principal: { userId, userKind: 'member', sessionId: randomUUID(), grants: [], permissions: new Set() },
  };
}
