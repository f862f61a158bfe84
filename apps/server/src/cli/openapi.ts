import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { allRoutes, generateOpenApi } from '@zhgh/contracts';
import { VERSION } from '../version.ts';

/** The committed OpenAPI file at the repository root; a test fails when it is stale. */
export const OPENAPI_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../openapi.json');

export function renderOpenApi(): string {
  return JSON.stringify(generateOpenApi(allRoutes, VERSION), null, 2) + '\n';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  fs.writeFileSync(OPENAPI_FILE, renderOpenApi());
  console.log(`wrote ${OPENAPI_FILE}`);
}
