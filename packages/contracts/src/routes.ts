import { accessRoutes } from './access.ts';
import { auditRoutes } from './audit.ts';
import { authRoutes } from './auth.ts';
import { exportRoutes } from './exports.ts';
import { financeRoutes } from './finance.ts';
import { importRoutes } from './imports.ts';
import { jobRoutes } from './jobs.ts';
import { meRoutes } from './me.ts';
import { memberRoutes } from './members.ts';
import { modelWorkerRoutes } from './model-workers.ts';
import { orgRoutes } from './orgs.ts';
import { regionRoutes } from './regions.ts';
import { statsRoutes } from './stats.ts';
import type { RouteContract } from './route.ts';
import { systemRoutes } from './system.ts';
import { workUnitRoutes } from './work-units.ts';
import { workflowRoutes } from './workflow.ts';
import { subsidyRoutes } from './subsidies.ts';
import { cardRoutes } from './cards.ts';
import { joiningRoutes } from './joining.ts';
import { enrollmentRoutes } from './enrollment.ts';
import { foundingRoutes } from './founding.ts';
import { membershipRoutes } from './memberships.ts';

/** Every endpoint of the platform; the server binds exactly these and tests enumerate them. */
export const allRoutes: readonly RouteContract[] = [
  ...Object.values(systemRoutes),
  ...Object.values(authRoutes),
  ...Object.values(accessRoutes),
  ...Object.values(orgRoutes),
  ...Object.values(workUnitRoutes),
  ...Object.values(memberRoutes),
  ...Object.values(auditRoutes),
  ...Object.values(importRoutes),
  ...Object.values(exportRoutes),
  ...Object.values(jobRoutes),
  ...Object.values(regionRoutes),
  ...Object.values(statsRoutes),
  ...Object.values(workflowRoutes),
  ...Object.values(financeRoutes),
  ...Object.values(modelWorkerRoutes),
  ...Object.values(subsidyRoutes),
  ...Object.values(joiningRoutes),
  ...Object.values(enrollmentRoutes),
  ...Object.values(meRoutes),
  ...Object.values(cardRoutes),
  ...Object.values(foundingRoutes),
  ...Object.values(membershipRoutes),
];
