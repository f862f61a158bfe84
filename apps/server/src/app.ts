import fastifyCookie from '@fastify/cookie';
import fastifyMultipart from '@fastify/multipart';
import fastifyRateLimit from '@fastify/rate-limit';
import { allRoutes } from '@zhgh/contracts';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import { createAuditLog } from './core/audit/audit.ts';
import { createBlindIndexer } from './core/crypto/blind-index.ts';
import { createFieldCipher } from './core/crypto/field-cipher.ts';
import { loadKeys } from './core/crypto/keys.ts';
import type { CoreDeps } from './core/deps.ts';
import { newId } from './core/ids.ts';
import { createInProcessJobQueue } from './core/jobs/jobs.ts';
import { createOutboxSms, outboxFile } from './core/notify/sms.ts';
import { createUnitOfWork } from './core/unit-of-work.ts';
import { createSmsQueue } from './core/notify/sms-queue.ts';
import type { Database } from './db/database.ts';
import { refreshStaleStatistics } from './db/planner-statistics.ts';
import { createAuthenticator } from './http/authenticate.ts';
import { registerDocs } from './http/docs.ts';
import { installErrorHandling } from './http/errors.ts';
import { loggerOptions } from './http/logging.ts';
import { createRouter } from './http/router.ts';
import { registerWeb, type WebServing } from './http/web.ts';
import { bindAccessRoutes } from './modules/access/access.routes.ts';
import { createAccessService } from './modules/access/access.service.ts';
import { bindAuditLogRoutes } from './modules/audit-log/audit-log.routes.ts';
import { createAuditLogService } from './modules/audit-log/audit-log.service.ts';
import { bindExportRoutes } from './modules/exports/exports.routes.ts';
import { createExportsService } from './modules/exports/exports.service.ts';
import { bindImportRoutes } from './modules/imports/imports.routes.ts';
import { createImportsService } from './modules/imports/imports.service.ts';
import { bindJobRoutes } from './modules/jobs/jobs.routes.ts';
import { createJobsService } from './modules/jobs/jobs.service.ts';
import { bindMemberRoutes } from './modules/members/members.routes.ts';
import { createMembersService } from './modules/members/members.service.ts';
import { bindAuthRoutes } from './modules/auth/auth.routes.ts';
import { createAuthService } from './modules/auth/auth.service.ts';
import { bindOrgRoutes } from './modules/orgs/orgs.routes.ts';
import { createOrgsService } from './modules/orgs/orgs.service.ts';
import { bindRegionRoutes } from './modules/regions/regions.routes.ts';
import { bindStatsRoutes } from './modules/stats/stats.routes.ts';
import { createStatsService } from './modules/stats/stats.service.ts';
import { createRegionsService } from './modules/regions/regions.service.ts';
import { systemRoutesPlugin } from './modules/system/system.routes.ts';
import { createSystemService } from './modules/system/system.service.ts';
import { bindWorkUnitRoutes } from './modules/work-units/work-units.routes.ts';
import { createWorkUnitsService } from './modules/work-units/work-units.service.ts';
import { startPeriodic } from './core/jobs/periodic.ts';
import { createLedger } from './core/ledger/ledger.ts';
import { createPayouts } from './core/ledger/payouts.ts';
import { createWorkflowRegistry } from './core/workflow/definition.ts';
import { createWorkflowEngine } from './core/workflow/engine.ts';
import { bindWorkflowRoutes } from './modules/workflow/workflow.routes.ts';
import { bindModelWorkerRoutes } from './modules/model-workers/model-workers.routes.ts';
import { createModelWorkersService } from './modules/model-workers/model-workers.service.ts';
import { createWorkflowService } from './modules/workflow/workflow.service.ts';
import { bindFinanceRoutes } from './modules/finance/finance.routes.ts';
import { createFinanceService } from './modules/finance/finance.service.ts';
import { bindSubsidyRoutes } from './modules/subsidies/subsidies.routes.ts';
import { createSubsidiesService } from './modules/subsidies/subsidies.service.ts';
import { bindMeRoutes } from './modules/me/me.routes.ts';
import { createMeService } from './modules/me/me.service.ts';
import { bindCardRoutes } from './modules/cards/cards.routes.ts';
import { bindJoiningRoutes } from './modules/joining/joining.routes.ts';
import { createJoiningService } from './modules/joining/joining.service.ts';
import { bindEnrollmentRoutes } from './modules/enrollment/enrollment.routes.ts';
import { createEnrollmentService } from './modules/enrollment/enrollment.service.ts';
import { createCardsService } from './modules/cards/cards.service.ts';
import { bindFoundingRoutes } from './modules/founding/founding.routes.ts';
import { createFoundingService } from './modules/founding/founding.service.ts';
import { bindMembershipRoutes } from './modules/memberships/memberships.routes.ts';
import { createMembershipsService } from './modules/memberships/memberships.service.ts';
import { VERSION } from './version.ts';

export { VERSION };

export interface AppDeps {
  config: Config;
  database: Database;
  /** Where log lines go; tests pass a buffer to read them back. */
  logStream?: NodeJS.WritableStream;
  /** Clock; tests move it to cover timeouts. */
  now?: () => Date;
  /** Start the in-process job runner (off in tests that drive jobs by hand). */
  runJobs?: boolean;
}

export function createCore(deps: AppDeps): CoreDeps {
  const { config, database } = deps;
  const keys = loadKeys(config);
  const audit = createAuditLog({ dialect: database.dialect, key: keys.auditKey });
  const write = createUnitOfWork(database.db, audit);
  const cipher = createFieldCipher(config.FIELD_CIPHER, keys.fieldRing);
  const sms = createOutboxSms(outboxFile(config.DATA_DIR));
  const now = deps.now ?? (() => new Date());
  return {
    config,
    db: database.db,
    dialect: database.dialect,
    write,
    audit,
    cipher,
    blind: createBlindIndexer(keys.blindIndexKey, config.FIELD_CIPHER),
    jobs: createInProcessJobQueue({ db: database.db, write }),
    sms,
    smsQueue: createSmsQueue({ db: database.db, cipher, sms, now }),
    now,
  };
}

export function createServices(core: CoreDeps, database: Database) {
  const regions = createRegionsService();
  // One engine for every application type: modules that run applications receive it and
  // register their definitions on its registry (an invalid definition stops the boot).
  const workflowEngine = createWorkflowEngine(core, createWorkflowRegistry());
  // One ledger: money moves only through it; payout batches pay what it holds as payable.
  const ledger = createLedger(core);
  const payouts = createPayouts(core, ledger);
  const members = createMembersService(core, regions);
  const cards = createCardsService(core);
  // Joining opens memberships and issues cards inside the engine's approval step; group
  // enrollment files its applications through it.
  const joining = createJoiningService(core, workflowEngine, members, cards, regions);
  const services = {
    system: createSystemService(database),
    auth: createAuthService(core),
    access: createAccessService(core),
    regions,
    orgs: createOrgsService(core, regions, workflowEngine, ledger),
    workUnits: createWorkUnitsService(core, regions),
    members,
    auditLog: createAuditLogService(core),
    imports: createImportsService(core),
    exports: createExportsService(core),
    jobs: createJobsService(core),
    stats: createStatsService(core),
    workflow: createWorkflowService(core, workflowEngine),
    ledger,
    payouts,
    finance: createFinanceService(core, ledger, payouts),
    modelWorkers: createModelWorkersService(core),
    subsidies: createSubsidiesService(core, workflowEngine, ledger, payouts),
    me: createMeService(core, workflowEngine),
    cards,
    joining,
    // Group enrollment files join applications through joining, on the same engine.
    enrollment: createEnrollmentService(core, workflowEngine, joining),
    // Its final approval creates the union and registers the workplace inside the step's own
    // unit of work, through the organization and work-unit services (stateless, so its own).
    founding: createFoundingService(
      core,
      workflowEngine,
      createOrgsService(core, regions, workflowEngine, ledger),
      createWorkUnitsService(core, regions),
      regions,
    ),
    memberships: createMembershipsService(core, workflowEngine),
  };
  return services;
}
export type Services = ReturnType<typeof createServices>;

declare module 'fastify' {
  interface FastifyInstance {
    core: CoreDeps;
    services: Services;
  }
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(deps.config.LOG_LEVEL, deps.logStream),
    genReqId: () => newId(),
    bodyLimit: 1024 * 1024,
    // Behind a load balancer the client address comes from X-Forwarded-For.
    trustProxy: deps.config.NODE_ENV === 'production',
  });
  const core = createCore(deps);
  const services = createServices(core, deps.database);
  app.decorate('core', core);
  app.decorate('services', services);
  await services.access.ensureBuiltinRoles();

  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, { global: false });
  // Multipart bodies are read only by upload routes, each with its own limits (http/files.ts).
  await app.register(fastifyMultipart);
  const router = createRouter(app, createAuthenticator(services.auth));
  let web: WebServing | null = null;
  installErrorHandling(
    app,
    () => router.registry,
    (request, reply) => web?.spaFallback(request, reply) ?? false,
  );
  await registerDocs(app, VERSION);
  if (deps.config.SERVE_WEB) web = await registerWeb(app);

  systemRoutesPlugin(router.bind, services.system, VERSION, deps.config.SMS_ADAPTER === 'outbox');
  bindAuthRoutes(router.bind, services.auth, deps.config);
  bindAccessRoutes(router.bind, services.access);
  bindOrgRoutes(router.bind, services.orgs);
  bindWorkUnitRoutes(router.bind, services.workUnits);
  bindMemberRoutes(router.bind, services.members);
  bindAuditLogRoutes(router.bind, services.auditLog);
  bindImportRoutes(router.bind, services.imports, deps.config);
  bindExportRoutes(router.bind, services.exports);
  bindJobRoutes(router.bind, services.jobs);
  bindRegionRoutes(router.bind, services.regions);
  bindStatsRoutes(router.bind, services.stats);
  bindWorkflowRoutes(router.bind, services.workflow);
  bindFinanceRoutes(router.bind, services.finance);
  bindModelWorkerRoutes(router.bind, services.modelWorkers);
  bindSubsidyRoutes(router.bind, services.subsidies);
  bindMeRoutes(router.bind, services.me);
  bindCardRoutes(router.bind, services.cards, deps.config);
  bindJoiningRoutes(router.bind, services.joining);
  bindEnrollmentRoutes(router.bind, services.enrollment, deps.config);
  bindFoundingRoutes(router.bind, services.founding);
  bindMembershipRoutes(router.bind, services.memberships);

  const unbound = allRoutes.filter((r) => !router.bound.has(r.id));
  if (unbound.length > 0) {
    throw new Error(`contracts without a handler: ${unbound.map((r) => r.id).join(', ')}`);
  }
  if (deps.runJobs ?? true) {
    core.jobs.start();
    // Hourly: a step falls overdue at the end of a working day, and the engine reminds an
    // instance at most once a day however often it scans.
    const periodic = startPeriodic(
      [
        { name: 'workflow.scanOverdue', everyMs: 60 * 60 * 1000, run: () => services.workflow.engine.scanOverdue() },
        // What a crash or a failing gateway left in the SMS queue (each row has its own backoff).
        { name: 'sms.dispatchDue', everyMs: 60 * 1000, run: () => core.smsQueue.dispatchDue() },
        // Daily: the run claims its Beijing day, so hourly ticks and several processes propose once.
        {
          name: 'memberships.proposeInactive',
          everyMs: 60 * 60 * 1000,
          run: () => services.memberships.proposeInactive(),
        },
        // SQLite's planner statistics follow the tables as they grow (PostgreSQL's autovacuum
        // does this on its own); an import refreshes them when it ends as well.
        {
          name: 'db.refreshStatistics',
          everyMs: 60 * 60 * 1000,
          run: () => refreshStaleStatistics(core.db, core.dialect),
        },
      ],
      app.log,
    );
    app.addHook('onClose', async () => {
      await periodic.stop();
      await core.jobs.stop();
    });
  }
  await app.ready();
  return app;
}
