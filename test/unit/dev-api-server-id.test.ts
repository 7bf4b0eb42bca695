// The dev stack's api server id: random per data directory, kept (mode 0600) across restarts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { API_SERVER_ID_FILE, ApiServerIdFileError, loadOrCreateApiServerId } from '../../dev/api-server-id';

let dirs: string[] = [];
const tmp = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-server-id-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs = [];
});

test('creates a random id on first use, mode 0600, and returns the same one afterwards', () => {
  const dir = tmp();
  const id = loadOrCreateApiServerId(dir);
  expect(id).toMatch(/^safeguard-dev-[0-9a-f]{32}$/);
  expect(fs.statSync(path.join(dir, API_SERVER_ID_FILE)).mode & 0o777).toBe(0o600);
  expect(loadOrCreateApiServerId(dir)).toBe(id);
});

test('two data directories get different ids', () => {
  expect(loadOrCreateApiServerId(tmp())).not.toBe(loadOrCreateApiServerId(tmp()));
});

test('a file that does not hold an id is refused with a message saying what to do', () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, API_SERVER_ID_FILE), 'safeguard\n', { mode: 0o600 });
  expect(() => loadOrCreateApiServerId(dir)).toThrow(ApiServerIdFileError);
  expect(() => loadOrCreateApiServerId(dir)).toThrow(/delete it/);
});
