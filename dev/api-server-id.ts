// The dev stack's api server id: random per data directory and kept there, so a signed identity
// request made for one developer's stack (or a test run's) is refused by every other one, as
// production's SAFEGUARD_API_SERVER_ID makes it unique per deployment. Not a secret; mode 0600
// anyway, like everything else the stack keeps under .data/.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const API_SERVER_ID_FILE = 'api-server-id';
const FORMAT = /^safeguard-dev-[0-9a-f]{32}$/;

export class ApiServerIdFileError extends Error {
  readonly code = 'API_SERVER_ID_FILE_MALFORMED';
  constructor(readonly file: string) {
    super(`${file} does not hold a dev api server id (safeguard-dev-<32 hex digits>): delete it and a new one is made on the next start`);
    this.name = 'ApiServerIdFileError';
  }
}

/** Reads `<dataDir>/api-server-id`, creating it (mode 0600) with a fresh random id the first time. */
export function loadOrCreateApiServerId(dataDir: string): string {
  const file = path.join(dataDir, API_SERVER_ID_FILE);
  try {
    // `wx`: two stacks starting on one data dir at once must not each write their own id.
    fs.writeFileSync(file, `safeguard-dev-${randomBytes(16).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const id = fs.readFileSync(file, 'utf8').trim();
  if (!FORMAT.test(id)) throw new ApiServerIdFileError(file);
  return id;
}
