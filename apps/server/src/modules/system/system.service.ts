import type { Database } from '../../db/database.ts';
import { schemaIsCurrent } from '../../db/database.ts';
import { sql } from 'kysely';

export interface Readiness {
  status: 'ready' | 'not_ready';
  database: 'sqlite' | 'postgres';
  checks: { name: string; ok: boolean }[];
}

export function createSystemService(database: Database) {
  return {
    dialect: database.dialect,
    async readiness(): Promise<Readiness> {
      const dbOk = await sql`select 1`
        .execute(database.db)
        .then(() => true)
        .catch(() => false);
      const schemaOk = dbOk && (await schemaIsCurrent(database));
      const checks = [
        { name: 'database', ok: dbOk },
        { name: 'migrations', ok: schemaOk },
      ];
      return { status: checks.every((c) => c.ok) ? 'ready' : 'not_ready', database: database.dialect, checks };
    },
  };
}
export type SystemService = ReturnType<typeof createSystemService>;
