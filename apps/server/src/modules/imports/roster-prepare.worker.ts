import { createBlindIndexer } from '../../core/crypto/blind-index.ts';
import { createFieldCipher } from '../../core/crypto/field-cipher.ts';
import { serveStream, workerInput } from '../../core/workers/worker-serve.ts';
import { prepareRoster, type PrepareWorkerInput } from './roster-prepare.ts';

// The roster's preparation on its own thread (see `prepareRosterInWorker` in member-import.job.ts).
const { input, cipher, blind } = workerInput<PrepareWorkerInput>();
await serveStream(
  prepareRoster(input, {
    cipher: createFieldCipher(cipher.name, cipher.ring),
    blind: createBlindIndexer(blind.key, blind.cipher),
  }),
);
