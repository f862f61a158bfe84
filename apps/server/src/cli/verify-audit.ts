import { pathToFileURL } from 'node:url';
import { type Config, loadConfig } from '../config.ts';
import { createAuditLog } from '../core/audit/audit.ts';
import { loadKeys } from '../core/crypto/keys.ts';
import { openDatabase } from '../db/database.ts';

/**
 * `npm run audit:verify`: walk the whole audit chain, recompute every keyed hash, and name
 * the first entry that does not match. Exit 0 when intact, 1 when broken.
 */
export async function verifyAuditCommand(config: Config, print: (line: string) => void): Promise<number> {
  const database = await openDatabase(config.database);
  try {
    const log = createAuditLog({ dialect: database.dialect, key: loadKeys(config).auditKey });
    const started = performance.now();
    const result = await log.verify(database.db, {
      onProgress: (n) => {
        if (n % 100_000 === 0) print(`… ${n} entries checked`);
      },
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    if (result.ok) {
      print(`审计链完整 / audit chain intact: ${result.checked} entries in ${seconds}s, head ${result.lastHash}`);
      return 0;
    }
    print(
      `审计链断裂 / audit chain BROKEN at entry #${result.brokenSeq}` +
        (result.brokenId ? ` (id ${result.brokenId})` : '') +
        `: ${result.reason}; ${result.checked} entries before it verified`,
    );
    return 1;
  } finally {
    await database.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  verifyAuditCommand(loadConfig(), (l) => console.log(l)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(2);
    },
  );
}
