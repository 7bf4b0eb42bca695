// `npm run api` (api/main.ts) as a process: it refuses to start without a server id and without
// codec authentication, before connecting anywhere, and says what to set.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

jest.setTimeout(30_000);

const ROOT = path.join(__dirname, '../..');

function runApi(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const loader = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
  return new Promise((resolve) => {
    // Nothing listens on TEMPORAL_ADDRESS: a process that got past its checks would fail differently.
    const child = execFile(
      process.execPath,
      ['--import', loader, path.join(ROOT, 'api/main.ts')],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TEMPORAL_ADDRESS: '127.0.0.1:9', ...env }, timeout: 20_000 },
      (_err, _stdout, stderr) => resolve({ code: child.exitCode, stderr }),
    );
  });
}

test('refuses to start without SAFEGUARD_API_SERVER_ID and codec authentication, naming both', async () => {
  const r = await runApi({});
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/safeguard api: the api cannot start/);
  expect(r.stderr).toMatch(/SAFEGUARD_API_SERVER_ID is not set: set it to a value unique to this api deployment, e\.g\. the api's public URL/);
  expect(r.stderr).toMatch(/SAFEGUARD_CODEC_AUTH_TOKEN is not set/);
});

test('with a server id but no codec token, refuses unless SAFEGUARD_CODEC_AUTH=off', async () => {
  const r = await runApi({ SAFEGUARD_API_SERVER_ID: 'https://safeguard-api.example.com' });
  expect(r.code).toBe(1);
  expect(r.stderr).not.toMatch(/SAFEGUARD_API_SERVER_ID/);
  expect(r.stderr).toMatch(/SAFEGUARD_CODEC_AUTH_TOKEN is not set/);
});
