/** A live grant as the request sees it: a role's permissions over an organization's subtree. */
export interface LiveGrant {
  id: string;
  roleId: string;
  roleCode: string;
  orgId: string;
  orgPath: string;
  permissions: ReadonlySet<string>;
}

/** The signed-in user behind a request, with what they may do and where. */
export interface Principal {
  userId: string;
  userKind: 'member' | 'cadre' | 'merchant';
  sessionId: string;
  grants: readonly LiveGrant[];
  /** Permission codes held at any node: for the 403 check and the clients' `can()`. */
  permissions: ReadonlySet<string>;
}

export function hasPermission(principal: Principal | undefined, permission: string): boolean {
  return principal?.permissions.has(permission) ?? false;
}
