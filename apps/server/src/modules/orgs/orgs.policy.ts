import {
  ALLOWED_CHILD_TYPES,
  type FederationLevel,
  federationLevelRank,
  type OrgType,
  UNIT_UNION_TYPES,
} from '@zhgh/contracts';
import { AppError, fieldError } from '../../core/app-error.ts';
import type { OrganizationTable } from '../../db/schema.ts';

/**
 * The tree rules of DOMAIN §3.1, as the rulebook states them:
 * - a type sits only under the types `ALLOWED_CHILD_TYPES` names (a group under a grassroots
 *   or joint union, a grassroots union under a federation, township, industry or joint union…);
 * - a federation below another sits at a deeper level (national → province → city → county);
 * - only federations have a level;
 * - a union that covers work units stays a grassroots or joint union;
 * - restructuring acts on active organizations, never on a root, never into its own subtree.
 * (That both organizations lie in the actor's scope is the scope helper's check.)
 */

type Node = Pick<OrganizationTable, 'id' | 'type' | 'level' | 'path' | 'status' | 'parent_id' | 'name'>;

export const LEVEL_ZH: Record<FederationLevel, string> = {
  national: '全国',
  province: '省级',
  city: '市级',
  county: '县级',
};
export const TYPE_ZH: Record<OrgType, string> = {
  federation: '总工会',
  township: '乡镇（街道）工会',
  industry: '产业（行业）工会',
  joint: '联合基层工会',
  grassroots: '基层工会',
  group: '工会小组',
};

function treeRule(field: string, zh: string, en: string): AppError {
  return new AppError('ORG_TREE_RULE', [fieldError(field, 'invalid', { 'zh-CN': zh, en })]);
}

/**
 * May a node of this type (and level) sit directly under `parent`? Throws ORG_TREE_RULE
 * naming `field` (or `levelField` when only the level is wrong).
 */
export function checkPlacement(
  child: { type: string; level: string | null },
  parent: Pick<Node, 'type' | 'level'>,
  field: string,
  levelField: string = field,
): void {
  const allowed = ALLOWED_CHILD_TYPES[parent.type as OrgType] ?? [];
  if (!allowed.includes(child.type as OrgType)) {
    throw treeRule(
      field,
      `${TYPE_ZH[parent.type as OrgType] ?? parent.type}下不能设立${TYPE_ZH[child.type as OrgType] ?? child.type}`,
      `A ${child.type} organization cannot sit under a ${parent.type} organization`,
    );
  }
  if (child.type === 'federation' && child.level && parent.level) {
    const c = child.level as FederationLevel;
    const p = parent.level as FederationLevel;
    if (federationLevelRank(c) <= federationLevelRank(p)) {
      throw treeRule(
        levelField,
        `${LEVEL_ZH[c]}总工会不能设在${LEVEL_ZH[p]}总工会之下`,
        `A ${c} federation must sit below the level of its parent (${p})`,
      );
    }
  }
}

/** A root stays a federation: the tree hangs from national and provincial federations. */
export function checkRootType(type: string, field: string): void {
  if (type !== 'federation') {
    throw treeRule(field, '顶层组织只能是总工会', 'A top-level organization must be a federation');
  }
}

/** A level is for federations only. */
export function checkLevel(type: string, level: string | null | undefined, field: string): void {
  if (type !== 'federation' && level) {
    throw treeRule(field, '只有总工会有级别', 'Only federations have a level');
  }
}

/** The node's present children must fit under its new type and level. */
export function checkChildrenFit(
  node: { type: string; level: string | null },
  children: readonly { type: string; level: string | null }[],
  field: string,
  levelField: string = field,
): void {
  for (const child of children) checkPlacement(child, node, field, levelField);
}

/** A union that covers work units must stay a union of units (grassroots or joint). */
export function checkCoversUnits(newType: string, coveredUnits: number, field: string): void {
  if (coveredUnits > 0 && !UNIT_UNION_TYPES.includes(newType as OrgType)) {
    throw treeRule(
      field,
      `该工会覆盖 ${coveredUnits} 个单位，只能是基层工会或联合基层工会`,
      `The union covers ${coveredUnits} work unit(s), so it must stay a grassroots or joint union`,
    );
  }
}

export function requireActive(org: Pick<Node, 'status'>): void {
  if (org.status !== 'active') throw new AppError('ORG_NOT_ACTIVE');
}

export function requireNotRoot(org: Pick<Node, 'parent_id'>): void {
  if (org.parent_id === null) throw new AppError('ORG_IS_ROOT');
}

/** `target` is `node` itself or lies below it. */
export function isInSubtree(node: Pick<Node, 'path'>, target: Pick<Node, 'path'>): boolean {
  return target.path.startsWith(node.path);
}

export function checkMove(node: Node, newParent: Node): void {
  requireNotRoot(node);
  requireActive(node);
  if (isInSubtree(node, newParent)) throw new AppError('ORG_MOVE_INTO_SUBTREE');
  requireActive(newParent);
  checkPlacement(node, newParent, 'body.newParentId');
}

/**
 * Merging keeps the kind of union: a grassroots or joint union into either; a federation into
 * a federation of the same level; otherwise the same type. The source's children must fit
 * under the target.
 */
export function checkMerge(source: Node, target: Node, childTypes: readonly { type: string; level: string | null }[]) {
  requireNotRoot(source);
  requireActive(source);
  if (isInSubtree(source, target)) throw new AppError('ORG_MOVE_INTO_SUBTREE');
  requireActive(target);
  const unitUnions = UNIT_UNION_TYPES as readonly string[];
  const sameKind =
    (unitUnions.includes(source.type) && unitUnions.includes(target.type)) ||
    (source.type === target.type &&
      (source.type !== 'federation' || !source.level || !target.level || source.level === target.level));
  if (!sameKind) {
    throw treeRule(
      'body.targetId',
      `${TYPE_ZH[source.type as OrgType] ?? source.type}只能并入同类组织`,
      `A ${source.type}${source.level ? ` (${source.level})` : ''} organization can only merge into one of the same kind`,
    );
  }
  checkChildrenFit(target, childTypes, 'body.targetId');
}
