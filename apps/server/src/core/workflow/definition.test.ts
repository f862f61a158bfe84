import { describe, expect, it } from 'vitest';
import { joinFixture, subsidyFixture } from '../../../test/workflow-fixtures.ts';
import {
  createWorkflowRegistry,
  definitionProblems,
  type TransitionDef,
  type WorkflowDefinition,
  WorkflowDefinitionError,
} from './definition.ts';

type Def = WorkflowDefinition<Record<string, unknown>>;
const base = subsidyFixture as unknown as Def;
const withChanges = (change: (d: Def) => Def): Def => change({ ...base, transitions: [...base.transitions] });
const replaceTransition = (d: Def, action: string, patch: Partial<TransitionDef<Record<string, unknown>>>): Def => ({
  ...d,
  transitions: d.transitions.map((t) => (t.action === action ? { ...t, ...patch } : t)),
});

describe('workflow definitions', () => {
  it('accepts the fixtures', () => {
    expect(definitionProblems(joinFixture)).toEqual([]);
    expect(definitionProblems(subsidyFixture)).toEqual([]);
  });

  it('checks that a stopping union closes instances only in a final state it declares', () => {
    const rule = (merged: 'follow' | { close: string }, dissolved: 'follow' | { close: string }) =>
      definitionProblems(withChanges((d) => ({ ...d, onOrgStopped: { merged, dissolved } })));
    expect(rule('follow', { close: 'paid' })).toEqual([]);
    expect(rule({ close: 'gone' }, 'follow')).toEqual(['onOrgStopped.merged closes in unknown state "gone"']);
    expect(rule('follow', { close: 'survey' })).toEqual([
      'onOrgStopped.dissolved closes in "survey", which is not final',
    ]);
  });

  it('refuses unknown states, unreachable states and steps nobody may take', () => {
    const problems = definitionProblems(
      withChanges((d) => ({
        ...d,
        initial: 'nowhere',
        states: { ...d.states, orphan: { kind: 'review', label: { 'zh-CN': '孤立', en: 'Orphan' } } },
        transitions: [
          ...d.transitions,
          { action: 'jump', from: 'limbo', to: 'heaven', label: { 'zh-CN': '跳', en: 'Jump' }, by: 'applicant' },
        ],
      })),
    );
    expect(problems).toContain('initial state "nowhere" is not declared');
    expect(problems).toContain('transition "jump" leaves unknown state "limbo"');
    expect(problems).toContain('transition "jump" enters unknown state "heaven"');

    const unreachable = definitionProblems(
      withChanges((d) => ({
        ...d,
        states: { ...d.states, orphan: { kind: 'done', label: { 'zh-CN': '孤立', en: 'Orphan' } } },
      })),
    );
    expect(unreachable).toEqual(['state "orphan" is unreachable']);

    const nobody = definitionProblems(
      withChanges((d) => replaceTransition(d, 'pass', { by: undefined as unknown as 'applicant' })),
    );
    expect(nobody).toEqual(['transition "pass" names nobody who may take it']);
    const unregistered = definitionProblems(
      withChanges((d) =>
        replaceTransition(d, 'pay', { by: { permission: 'money.print' as 'finance.pay', orgLevel: 'higher' } }),
      ),
    );
    expect(unregistered).toEqual(['transition "pay" has no registered permission']);
  });

  it('refuses rejecting without a reason, unknown guards and undeclared documents', () => {
    const problems = definitionProblems(
      withChanges((d) =>
        replaceTransition(replaceTransition(d, 'reject', { requireComment: false }), 'verify', {
          guards: ['noSuchGuard'],
          requiredDocuments: ['passport'],
        }),
      ),
    );
    expect(problems).toEqual([
      'transition "verify" names unknown guard "noSuchGuard"',
      'transition "verify" requires undeclared document kind "passport"',
      'transition "reject" rejects without requiring a reason',
    ]);
  });

  it('refuses notice states without settings or with an onUpheld that is not theirs, and dead ends', () => {
    const problems = definitionProblems(
      withChanges((d) => ({
        ...d,
        states: {
          ...d.states,
          notice: { ...d.states.notice!, notice: { ...d.states.notice!.notice!, onUpheld: 'pay', days: 0 } },
          plan: { kind: 'notice', label: { 'zh-CN': '计划', en: 'Plan' } },
        },
      })),
    );
    expect(problems).toEqual([
      'notice state "notice": period must be a positive number of days',
      'notice state "notice": onUpheld "pay" is not a transition from it',
      'notice state "plan" has no notice settings',
    ]);
    const deadEnd = definitionProblems(
      withChanges((d) => ({ ...d, transitions: d.transitions.filter((t) => t.action !== 'pay') })),
    );
    expect(deadEnd).toEqual(['state "plan" (review) has no transition out of it', 'state "paid" is unreachable']);
    const leavesFinal = definitionProblems(
      withChanges((d) => ({
        ...d,
        transitions: [
          ...d.transitions,
          {
            action: 'reopen',
            from: 'paid',
            to: 'survey',
            label: { 'zh-CN': '重开', en: 'Reopen' },
            by: { permission: 'member.write', orgLevel: 'handling' },
          },
        ],
      })),
    );
    expect(leavesFinal).toEqual(['transition "reopen" leaves final state "paid"']);
  });

  it('registry refuses an invalid definition and a version registered twice', () => {
    const registry = createWorkflowRegistry();
    registry.register(joinFixture);
    expect(() => registry.register(joinFixture)).toThrow(WorkflowDefinitionError);
    expect(() => registry.register({ ...joinFixture, version: 2, initial: 'nowhere' })).toThrow(
      /initial state "nowhere" is not declared/,
    );
    registry.register({ ...joinFixture, version: 3 });
    expect(registry.get('testJoin')?.version).toBe(3);
    expect(registry.get('testJoin', 1)?.version).toBe(1);
    expect(registry.get('nothing')).toBeUndefined();
  });
});
