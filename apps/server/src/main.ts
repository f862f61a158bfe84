import { buildApp } from './app.ts';
import { demoBanner, demoDataWanted, seedDemoData } from './cli/seed.ts';
import { ConfigError, loadConfig } from './config.ts';
import { outboxFile } from './core/notify/sms.ts';
import { DatabaseUnreachableError, migrateToLatest, openDatabase } from './db/database.ts';
import { sweepStaleUploads } from './http/files.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const p of err.problems) console.error(`配置错误 / configuration error: ${p.variable}: ${p.reason}`);
      process.exit(78);
    }
    throw err;
  }
  let database;
  try {
    database = await openDatabase(config.database);
  } catch (err) {
    if (err instanceof DatabaseUnreachableError) {
      console.error(`数据库不可用 / database unreachable: ${err.message}`);
      process.exit(69);
    }
    throw err;
  }
  await migrateToLatest(database);
  const offsetMs = config.DEV_CLOCK_OFFSET_DAYS * 86_400_000;
  const now = offsetMs > 0 ? () => new Date(Date.now() + offsetMs) : undefined;
  const app = await buildApp({ config, database, ...(now ? { now } : {}) });
  const seeded = demoDataWanted(config) && (await seedDemoData(app));
  const staleUploads = await sweepStaleUploads();
  if (staleUploads > 0) app.log.info({ staleUploads }, 'removed upload folders left by an earlier process');

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    // Stop taking requests, let in-flight ones finish, then close the database; a hard
    // deadline keeps a stuck request from holding the process forever.
    const timer = setTimeout(() => {
      app.log.error('shutdown timed out');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    void app
      .close()
      .then(() => database.close())
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  const address = await app.listen({ host: config.HOST, port: config.PORT });
  const where = address.replace('127.0.0.1', 'localhost');
  console.log(
    `智慧工会 is running: console ${where}/  portal ${where}/m/  merchant ${where}/merchant/  API docs ${where}/api/docs`,
  );
  if (seeded) for (const line of demoBanner(where, outboxFile(config.DATA_DIR))) console.log(line);
}

void main();
