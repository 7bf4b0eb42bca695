// The production deployment files (docker-compose.yml, deploy/Dockerfile, .env.example and the
// Temporal setup scripts), checked offline: no Docker engine, no network. The compose file against
// the Compose Specification (check-jsonschema) and against config/env.ts; the Dockerfile with
// hadolint and against what the entry points import; the shell scripts run against fake tools.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { parse } from 'yaml';
import { CODEC_BASE_PATH } from '../../api/codec-routes';
import { knownEnvVariables } from '../../config/env';
import { PRODUCTION_NODE_MAJOR } from '../../config/node-version';
import { SEARCH_ATTRIBUTES } from '../../workflows/shared/search-attributes';
import { repoRoot, toolsBin } from '../support/paths';

const COMPOSE_FILE = path.join(repoRoot, 'docker-compose.yml');
const DOCKERFILE = path.join(repoRoot, 'deploy/Dockerfile');
const ENV_EXAMPLE = path.join(repoRoot, '.env.example');
const SAFEGUARD_SERVICES = ['worker', 'api', 'slack-app'] as const;

/**
 * Variables of .env.example's second section: read by docker-compose.yml itself or by the
 * third-party containers, never by a Safeguard process, so config/env.ts rightly does not know them.
 */
const COMPOSE_VARIABLES: Record<string, string> = {
  SAFEGUARD_VERSION: 'tag of the safeguard image docker-compose.yml builds and runs',
  SAFEGUARD_PUBLISH_ADDRESS: 'host address the UI, api and Slack app ports are published on',
  SAFEGUARD_PUBLIC_API_URL: "the api as browsers reach it: the Web UI's codec endpoint is built from it",
  SAFEGUARD_POLICY_SOURCE: 'host path of the policy file, bind-mounted read-only',
  POSTGRES_USER: 'PostgreSQL (postgres image), and Temporal and its schema job connecting to it',
  POSTGRES_PASSWORD: 'the same, the secret half',
  TEMPORAL_NAMESPACE_RETENTION: 'history retention of the namespace the temporal-namespace job creates',
  TEMPORAL_CODEC_PASS_ACCESS_TOKEN: "the Web UI's codec option (temporalio/ui)",
};

/** Known variables .env.example need not show: the container and the image set them. */
const NOT_IN_ENV_EXAMPLE: Record<string, string> = {
  PATH: 'set by the image',
  HOME: "the image user's home (/home/node)",
};

type Service = {
  image?: string;
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: Record<string, { condition: string }> | string[];
  volumes?: Array<string | { type: string; source?: string; target: string; read_only?: boolean }>;
  secrets?: Array<string | { source: string; target?: string }>;
  healthcheck?: { test: string[] | string };
};
type Compose = { services: Record<string, Service>; secrets?: Record<string, { file?: string }> };

const composeText = fs.readFileSync(COMPOSE_FILE, 'utf8');
// Compose resolves YAML merge keys (`<<: *anchor`); so must the reader here.
const compose = parse(composeText, { merge: true }) as Compose;

function service(name: string): Service {
  const s = compose.services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
}

function environmentOf(s: Service): Map<string, string | null> {
  const env = new Map<string, string | null>();
  if (Array.isArray(s.environment)) {
    for (const entry of s.environment) {
      const i = entry.indexOf('=');
      env.set(i < 0 ? entry : entry.slice(0, i), i < 0 ? null : entry.slice(i + 1));
    }
  } else {
    for (const [k, v] of Object.entries(s.environment ?? {})) env.set(k, v === null || v === undefined ? null : String(v));
  }
  return env;
}

/** Names interpolated in a compose string: ${VAR}, ${VAR:-x}, ${VAR:?x}, $VAR; `$$` is a literal dollar. */
function interpolated(value: string): string[] {
  const names: string[] = [];
  for (const m of value.matchAll(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|\$([A-Za-z_][A-Za-z0-9_]*)/g)) {
    const name = m[1] ?? m[2];
    if (name) names.push(name);
  }
  return names;
}

function stringsIn(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (Array.isArray(node)) return node.flatMap(stringsIn);
  if (node && typeof node === 'object') return Object.values(node).flatMap(stringsIn);
  return [];
}

/** Every variable docker-compose.yml interpolates anywhere (comments are not values). */
const composeInterpolations = new Set(stringsIn(compose).flatMap(interpolated));

/** Variables a Safeguard service takes from .env: passed by name, or interpolated into a value. */
function variablesFromDotEnv(s: Service): Set<string> {
  const out = new Set<string>();
  for (const [key, value] of environmentOf(s)) {
    if (value === null) out.add(key);
    else for (const v of interpolated(value)) out.add(v);
  }
  return out;
}

interface EnvExampleEntry {
  name: string;
  value: string;
  commented: boolean;
  section: 'safeguard' | 'compose';
}

function readEnvExample(): EnvExampleEntry[] {
  const entries: EnvExampleEntry[] = [];
  let section: EnvExampleEntry['section'] | undefined;
  for (const line of fs.readFileSync(ENV_EXAMPLE, 'utf8').split('\n')) {
    if (line.startsWith('# === ')) {
      if (line === '# === Safeguard processes ===') section = 'safeguard';
      else if (line === '# === Compose and third-party containers ===') section = 'compose';
      else throw new Error(`unknown .env.example section: ${line}`);
      continue;
    }
    const m = /^(#\s?)?([A-Z][A-Z0-9_]*)=(\S*)/.exec(line);
    if (!m?.[2]) continue;
    if (!section) throw new Error(`.env.example sets ${m[2]} before any section`);
    entries.push({ name: m[2], value: m[3] ?? '', commented: m[1] !== undefined, section });
  }
  return entries;
}

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000, cwd: opts.cwd ?? repoRoot, env: opts.env ?? process.env });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tool(name: string): string {
  const file = path.join(toolsBin, name);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run bash tools/bootstrap.sh (tools/requirements.txt pins it)`);
  return file;
}

const tmpDirs: string[] = [];
function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-deploy-'));
  tmpDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('docker-compose.yml: the Compose Specification', () => {
  const checkCompose = (file: string) => run(tool('check-jsonschema'), ['--builtin-schema', 'vendor.compose-spec', file]);

  it('validates against the vendored Compose Specification schema', () => {
    const r = checkCompose(COMPOSE_FILE);
    expect({ status: r.status, out: r.stdout + r.stderr }).toEqual({ status: 0, out: expect.stringContaining('ok -- validation done') });
  }, 60_000);

  it('the check fails on a broken file (an unknown depends_on condition)', () => {
    const broken = composeText.replace('condition: service_completed_successfully', 'condition: service_finished');
    expect(broken).not.toBe(composeText);
    const file = path.join(tmpDir(), 'docker-compose.yml');
    fs.writeFileSync(file, broken);
    const r = checkCompose(file);
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/service_finished/);
  }, 60_000);
});

describe('docker-compose.yml: services', () => {
  it('every depends_on target is a service of the file', () => {
    const names = new Set(Object.keys(compose.services));
    for (const [name, s] of Object.entries(compose.services)) {
      const targets = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
      for (const t of targets) expect(`${name} → ${t}: ${names.has(t) ? 'ok' : 'missing'}`).toBe(`${name} → ${t}: ok`);
    }
  });

  it('pins every image: a tag, never latest; an interpolated tag has a pinned default', () => {
    const example = new Map(readEnvExample().map((e) => [e.name, e.value]));
    for (const [name, s] of Object.entries(compose.services)) {
      expect(s.image).toBeDefined();
      const image = String(s.image).replace(/\$\{([A-Z_][A-Z0-9_]*):-([^}]+)\}/g, (_all, variable: string, fallback: string) => {
        const set = example.get(variable);
        expect(`${name}: ${variable}=${set ?? '(missing from .env.example)'}`).toMatch(/=\d+\.\d+\.\d+$/);
        return fallback;
      });
      expect(`${name}: ${image}`).toMatch(/^[^:]+: [a-z0-9./-]+:\d+(\.\d+)+[\w.-]*$/);
      expect(image).not.toMatch(/:latest$/);
    }
  });

  it('runs the worker, api and Slack app from one image, each with its own command', () => {
    const images = new Set(SAFEGUARD_SERVICES.map((n) => service(n).image));
    expect([...images]).toEqual(['safeguard:${SAFEGUARD_VERSION:-0.1.0}']);
    expect(SAFEGUARD_SERVICES.map((n) => service(n).command)).toEqual([['worker'], ['api'], ['slack-app']]);
  });

  it('keeps temporalio/server and temporalio/admin-tools on the same version', () => {
    const tagOf = (image: string | undefined) => image?.split(':')[1];
    const server = tagOf(service('temporal').image);
    expect(server).toBeDefined();
    expect(tagOf(service('temporal-schema').image)).toBe(server);
    expect(tagOf(service('temporal-namespace').image)).toBe(server);
  });

  it.each([
    ['temporal-schema', 'deploy/temporal/setup-schema.sh'],
    ['temporal-namespace', 'deploy/temporal/create-namespace.sh'],
  ])('%s runs our %s, mounted read-only', (name, script) => {
    const s = service(name);
    const mount = (s.volumes ?? []).find((v): v is string => typeof v === 'string' && v.startsWith(`./${script}:`));
    expect(mount).toMatch(/:ro$/);
    const target = mount?.split(':')[1];
    expect(s.command).toEqual([target]);
    expect(s.entrypoint).toEqual(['/bin/sh']);
    expect(fs.existsSync(path.join(repoRoot, script))).toBe(true);
  });

  it('starts Temporal only after the schema job, and Safeguard only after the namespace job', () => {
    expect(service('temporal').depends_on).toEqual({ 'temporal-schema': { condition: 'service_completed_successfully' } });
    for (const n of SAFEGUARD_SERVICES) expect(service(n).depends_on).toEqual({ 'temporal-namespace': { condition: 'service_completed_successfully' } });
  });

  it("points the Web UI's codec at the api's codec routes, for the UI's origin", () => {
    const ui = environmentOf(service('temporal-ui'));
    // The UI appends /encode and /decode to the endpoint; the api serves <CODEC_BASE_PATH>/decode.
    expect(ui.get('TEMPORAL_CODEC_ENDPOINT')).toBe(`\${SAFEGUARD_PUBLIC_API_URL:-http://localhost:8787}${CODEC_BASE_PATH}`);
    // The api's codec answers exactly the UI's origins, defaults included.
    expect(ui.get('TEMPORAL_CORS_ORIGINS')).toMatch(/^\$\{SAFEGUARD_CODEC_CORS_ORIGINS:-http/);
    expect(environmentOf(service('api')).get('SAFEGUARD_CODEC_CORS_ORIGINS')).toBe(ui.get('TEMPORAL_CORS_ORIGINS'));
  });

  it('gives every Safeguard service its health check on the operations endpoint', () => {
    for (const n of SAFEGUARD_SERVICES) {
      const s = service(n);
      const env = environmentOf(s);
      expect(env.get('SAFEGUARD_OPS_PORT')).toBe('9464');
      expect(env.get('SAFEGUARD_OPS_HOST')).toBe('0.0.0.0');
      expect(stringsIn(s.healthcheck?.test).join(' ')).toContain('http://127.0.0.1:9464/readyz');
    }
  });

  it('mounts the policy read-only, and the codec key, the evidence key and AWS credentials as secret files, never baking them in', () => {
    const example = new Map(readEnvExample().map((e) => [e.name, e]));
    for (const n of SAFEGUARD_SERVICES) {
      const s = service(n);
      const env = environmentOf(s);
      const policy = (s.volumes ?? []).find((v) => typeof v === 'object' && v.target === env.get('SAFEGUARD_POLICY'));
      expect(policy).toMatchObject({ type: 'bind', read_only: true });
      expect(s.secrets).toEqual([
        { source: 'safeguard-codec-keys', target: 'safeguard-codec-keys' },
        { source: 'safeguard-evidence-keys', target: 'safeguard-evidence-keys' },
        { source: 'aws-credentials', target: '/home/node/.aws/credentials' },
      ]);
      expect([env.get('SAFEGUARD_EVIDENCE_KEY_FILE'), env.get('SAFEGUARD_EVIDENCE_KMS_KEYS')]).toEqual([null, null]);
      // Either codec key source, chosen in .env; never keys inline or static AWS keys in the environment.
      expect([env.get('SAFEGUARD_CODEC_KEY_FILE'), env.get('SAFEGUARD_CODEC_KMS_KEYS')]).toEqual([null, null]);
      for (const v of ['SAFEGUARD_CODEC_KEYS', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) expect(env.has(v)).toBe(false);
    }
    expect(example.get('SAFEGUARD_CODEC_KEY_FILE')).toMatchObject({ value: '/run/secrets/safeguard-codec-keys', commented: false });
    expect(example.get('SAFEGUARD_EVIDENCE_KEY_FILE')).toMatchObject({ value: '/run/secrets/safeguard-evidence-keys', commented: false });
    expect(Object.keys(compose.secrets ?? {}).sort()).toEqual(['aws-credentials', 'safeguard-codec-keys', 'safeguard-evidence-keys']);
  });

  it('uses one namespace everywhere: the Safeguard processes, the namespace job and the UI', () => {
    const defaults = new Set([...composeText.matchAll(/\$\{TEMPORAL_NAMESPACE:-([^}]*)\}/g)].map((m) => m[1]));
    expect([...defaults]).toEqual(['safeguard']);
    expect(environmentOf(service('temporal-namespace')).get('NAMESPACE')).toBe('${TEMPORAL_NAMESPACE:-safeguard}');
    expect(environmentOf(service('temporal-ui')).get('TEMPORAL_DEFAULT_NAMESPACE')).toBe('${TEMPORAL_NAMESPACE:-safeguard}');
    for (const n of SAFEGUARD_SERVICES) expect(environmentOf(service(n)).get('TEMPORAL_NAMESPACE')).toBe('${TEMPORAL_NAMESPACE:-safeguard}');
  });
});

describe('docker-compose.yml and .env.example: environment variables', () => {
  const known = new Set(knownEnvVariables());

  it.each(SAFEGUARD_SERVICES)('%s sets only variables config/env.ts knows, and interpolates only those', (name) => {
    const env = environmentOf(service(name));
    expect([...env.keys()].filter((k) => !known.has(k))).toEqual([]);
    const used = [...env.values()].flatMap((v) => (v === null ? [] : interpolated(v)));
    expect(used.filter((v) => !known.has(v))).toEqual([]);
  });

  it('interpolates nothing that .env.example does not show', () => {
    const shown = new Set(readEnvExample().map((e) => e.name));
    expect([...composeInterpolations].filter((v) => !shown.has(v))).toEqual([]);
  });

  it('has a Safeguard section of known variables only, showing every known one', () => {
    const safeguard = readEnvExample().filter((e) => e.section === 'safeguard');
    const names = safeguard.map((e) => e.name);
    expect(names.filter((n) => !known.has(n))).toEqual([]);
    expect(names.length).toBe(new Set(names).size);
    const missing = [...known].filter((n) => !names.includes(n) && !(n in NOT_IN_ENV_EXAMPLE));
    expect(missing).toEqual([]);
  });

  it('sets only Safeguard variables that docker-compose.yml passes on to a Safeguard service', () => {
    const passed = new Set(SAFEGUARD_SERVICES.flatMap((n) => [...variablesFromDotEnv(service(n))]));
    const set = readEnvExample().filter((e) => e.section === 'safeguard' && !e.commented);
    expect(set.length).toBeGreaterThan(0);
    expect(set.map((e) => e.name).filter((n) => !passed.has(n))).toEqual([]);
  });

  it('keeps the compose and third-party variables apart from the Safeguard ones', () => {
    const composeSection = readEnvExample().filter((e) => e.section === 'compose');
    expect(composeSection.map((e) => e.name).sort()).toEqual(Object.keys(COMPOSE_VARIABLES).sort());
    for (const name of Object.keys(COMPOSE_VARIABLES)) {
      expect(known.has(name)).toBe(false);
      expect(composeInterpolations.has(name)).toBe(true);
    }
  });

  it('leaves every secret empty in .env.example', () => {
    const secrets = ['SAFEGUARD_CODEC_AUTH_TOKEN', 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'TEMPORAL_API_KEY', 'SAFEGUARD_CODEC_KEYS', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'POSTGRES_PASSWORD'];
    const byName = new Map(readEnvExample().map((e) => [e.name, e]));
    for (const s of secrets) expect(`${s}=${byName.get(s)?.value ?? '(missing)'}`).toBe(`${s}=`);
  });
});

describe('deploy/temporal/create-namespace.sh', () => {
  const script = path.join(repoRoot, 'deploy/temporal/create-namespace.sh');

  it('registers exactly the search attributes the workflows set', () => {
    const m = /^SEARCH_ATTRIBUTES="([^"]*)"$/m.exec(fs.readFileSync(script, 'utf8'));
    expect(m?.[1]?.split(/\s+/).sort()).toEqual(Object.values(SEARCH_ATTRIBUTES).sort());
  });

  /** A fake `temporal` CLI keeping the cluster's state in files. */
  function fakeCluster(opts: { unhealthyCalls?: number; namespace?: boolean; attributes?: string[] } = {}) {
    const dir = tmpDir();
    const state = path.join(dir, 'state');
    fs.mkdirSync(state);
    if (opts.namespace) fs.writeFileSync(path.join(state, 'namespace'), '');
    fs.writeFileSync(path.join(state, 'attributes'), (opts.attributes ?? []).map((a) => `  ${a}  Keyword\n`).join(''));
    fs.writeFileSync(
      path.join(dir, 'temporal'),
      `#!/bin/sh
echo "$*" >> "${dir}/calls"
name=""; prev=""
for a in "$@"; do [ "$prev" = "--name" ] && name=$a; prev=$a; done
case "$1 $2 $3" in
  "operator cluster health")
    n=$(cat "${state}/health" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > "${state}/health"
    [ "$n" -gt ${opts.unhealthyCalls ?? 0} ] || { echo "connection refused" >&2; exit 1; }
    echo SERVING ;;
  "operator namespace describe") [ -f "${state}/namespace" ] || { echo "Namespace not found" >&2; exit 1; } ;;
  "operator namespace create") touch "${state}/namespace" ;;
  "operator search-attribute list") cat "${state}/attributes" ;;
  "operator search-attribute create") echo "  $name  Keyword" >> "${state}/attributes" ;;
  *) echo "unexpected: $*" >&2; exit 2 ;;
esac
`,
      { mode: 0o755 },
    );
    const runScript = (env: Record<string, string> = {}) =>
      run('sh', [script], { env: { PATH: `${dir}:${process.env.PATH ?? ''}`, NAMESPACE: 'safeguard', NAMESPACE_RETENTION: '2160h', SLEEP_SECONDS: '0', ...env } });
    const calls = () => (fs.existsSync(path.join(dir, 'calls')) ? fs.readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n') : []);
    return { runScript, calls, reset: () => fs.rmSync(path.join(dir, 'calls'), { force: true }) };
  }

  it('waits for the cluster, creates the namespace with the retention given, and adds every attribute as Keyword', () => {
    const cluster = fakeCluster({ unhealthyCalls: 2 });
    const r = cluster.runScript();
    expect(r.status).toBe(0);
    const calls = cluster.calls();
    expect(calls.filter((c) => c.startsWith('operator cluster health'))).toHaveLength(3);
    expect(calls).toContain('operator namespace create --namespace safeguard --retention 2160h --address temporal:7233');
    const created = calls.filter((c) => c.startsWith('operator search-attribute create'));
    expect(created).toEqual(Object.values(SEARCH_ATTRIBUTES).map((a) => `operator search-attribute create --namespace safeguard --name ${a} --type Keyword --address temporal:7233`));
  });

  it('changes nothing on a second run', () => {
    const cluster = fakeCluster();
    expect(cluster.runScript().status).toBe(0);
    cluster.reset();
    expect(cluster.runScript().status).toBe(0);
    expect(cluster.calls().filter((c) => / create /.test(c))).toEqual([]);
  });

  it('adds only the attributes that are missing to an existing namespace', () => {
    const cluster = fakeCluster({ namespace: true, attributes: ['SafeguardKind', 'SafeguardOutcome'] });
    expect(cluster.runScript().status).toBe(0);
    const created = cluster.calls().filter((c) => / create /.test(c));
    expect(created.map((c) => /--name (\S+)/.exec(c)?.[1])).toEqual(['SafeguardRequester', 'SafeguardRole', 'SafeguardAccount']);
  });

  it('gives up after MAX_ATTEMPTS when the cluster never becomes healthy', () => {
    const cluster = fakeCluster({ unhealthyCalls: 100 });
    const r = cluster.runScript({ MAX_ATTEMPTS: '3' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('cluster health at temporal:7233 failed after 3 attempts');
    expect(cluster.calls().filter((c) => c.includes('namespace'))).toEqual([]);
  });
});

describe('deploy/temporal/setup-schema.sh', () => {
  const script = path.join(repoRoot, 'deploy/temporal/setup-schema.sh');
  const PASSWORD = 'pg-secret-for-the-test';

  /** Fake nc and temporal-sql-tool; `existing` databases answer `create` as PostgreSQL does. */
  function fakeTools(opts: { existing?: string[]; createError?: string; ncFails?: boolean } = {}) {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'nc'), `#!/bin/sh\nexit ${opts.ncFails ? 1 : 0}\n`, { mode: 0o755 });
    fs.writeFileSync(
      path.join(dir, 'temporal-sql-tool'),
      `#!/bin/sh
echo "$* | SQL_PASSWORD=$SQL_PASSWORD" >> "${dir}/calls"
db=""; prev=""
for a in "$@"; do [ "$prev" = "--db" ] && db=$a; prev=$a; done
case " $* " in *" create "*)
  case " ${(opts.existing ?? []).join(' ')} " in *" $db "*) echo "pq: database \\"$db\\" already exists" >&2; exit 1 ;; esac
  ${opts.createError ? `echo "${opts.createError}" >&2; exit 1` : ':'}
;; esac
exit 0
`,
      { mode: 0o755 },
    );
    const r = run('sh', [script], {
      env: { PATH: `${dir}:${process.env.PATH ?? ''}`, POSTGRES_SEEDS: 'postgresql', POSTGRES_USER: 'temporal', SQL_PASSWORD: PASSWORD, MAX_ATTEMPTS: '2', SLEEP_SECONDS: '0' },
    });
    const calls = fs.existsSync(path.join(dir, 'calls')) ? fs.readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n') : [];
    return { ...r, calls };
  }

  it('accepts a database that already exists and migrates both schemas, the password never on a command line', () => {
    // First start: the postgres image has already created `temporal` (named after POSTGRES_USER).
    const r = fakeTools({ existing: ['temporal'] });
    expect(r.status).toBe(0);
    const base = '--plugin postgres12 --ep postgresql -p 5432 -u temporal';
    expect(r.calls).toEqual([
      `${base} --db temporal create | SQL_PASSWORD=${PASSWORD}`,
      `${base} --db temporal setup-schema -v 0.0 | SQL_PASSWORD=${PASSWORD}`,
      `${base} --db temporal update-schema -d /etc/temporal/schema/postgresql/v12/temporal/versioned | SQL_PASSWORD=${PASSWORD}`,
      `${base} --db temporal_visibility create | SQL_PASSWORD=${PASSWORD}`,
      `${base} --db temporal_visibility setup-schema -v 0.0 | SQL_PASSWORD=${PASSWORD}`,
      `${base} --db temporal_visibility update-schema -d /etc/temporal/schema/postgresql/v12/visibility/versioned | SQL_PASSWORD=${PASSWORD}`,
    ]);
    expect(r.stdout).toContain('database temporal already exists');
  });

  it('stops on any other create failure', () => {
    const r = fakeTools({ createError: 'pq: permission denied to create database' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('permission denied to create database');
    expect(r.calls).toHaveLength(1);
  });

  it('gives up when PostgreSQL never answers', () => {
    const r = fakeTools({ ncFails: true });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('not reachable after 2 attempts');
    expect(r.calls).toEqual([]);
  });
});

describe('deploy/entrypoint.sh', () => {
  const entrypoint = path.join(repoRoot, 'deploy/entrypoint.sh');

  function withFakeNode(args: string[]) {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'node'), '#!/bin/sh\necho "$PWD|$*"\n', { mode: 0o755 });
    return run('sh', [entrypoint, ...args], { env: { PATH: `${dir}:${process.env.PATH ?? ''}` }, cwd: os.tmpdir() });
  }

  it('is executable (the image runs it as it is copied)', () => {
    expect(fs.statSync(entrypoint).mode & 0o111).toBe(0o111);
  });

  it.each([
    ['worker', 'worker/main.ts'],
    ['api', 'api/main.ts'],
    ['slack-app', 'slack-app/main.ts'],
    ['safeguard', 'cli/main.ts'],
  ])('runs %s as node --import tsx %s from the app directory, passing the arguments on', (command, file) => {
    const r = withFakeNode([command, '--flag', 'two words']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(`${repoRoot}|--import tsx ${file} --flag two words`);
  });

  it('matches the package.json scripts', () => {
    const scripts = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect([scripts.worker, scripts.api, scripts['slack-app'], scripts.safeguard]).toEqual(['tsx worker/main.ts', 'tsx api/main.ts', 'tsx slack-app/main.ts', 'tsx cli/main.ts']);
  });

  it('refuses an unknown command with the usage', () => {
    const r = withFakeNode(['bash']);
    expect(r.status).toBe(64);
    expect(r.stderr).toContain('unknown command: bash');
    expect(r.stderr).toMatch(/worker[\s\S]*api[\s\S]*slack-app[\s\S]*safeguard/);
    expect(withFakeNode([]).status).toBe(0);
  });
});

describe('deploy/Dockerfile', () => {
  const text = fs.readFileSync(DOCKERFILE, 'utf8');
  // Instructions with their continuation lines joined; comments dropped.
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: Array<{ from: string; name?: string; lines: string[] }> = [];
  for (const line of instructions) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from?.[1]) stages.push({ from: from[1], ...(from[2] ? { name: from[2] } : {}), lines: [] });
    stages[stages.length - 1]?.lines.push(line);
  }
  const final = stages[stages.length - 1];

  it("pins every base image to a full version tag of production's Node", () => {
    const stageNames = new Set(stages.flatMap((s) => (s.name ? [s.name] : [])));
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) {
      if (stageNames.has(s.from)) continue;
      expect(s.from).toMatch(new RegExp(`^node:${PRODUCTION_NODE_MAJOR}\\.\\d+\\.\\d+-bookworm-slim$`));
    }
  });

  it('installs production dependencies only, exactly as locked', () => {
    expect(instructions.filter((l) => /^RUN .*npm ci\b/.test(l)).every((l) => l.includes('--omit=dev'))).toBe(true);
    expect(instructions.some((l) => /^RUN .*npm ci .*--omit=dev/.test(l))).toBe(true);
    expect(instructions.some((l) => /npm (install|i)\b/.test(l))).toBe(false);
  });

  it('runs as a non-root user, with a health check, NODE_ENV=production and the entrypoint', () => {
    const users = final?.lines.filter((l) => l.startsWith('USER ')) ?? [];
    const user = users[users.length - 1]?.split(/\s+/)[1] ?? 'root';
    expect(user.split(':')[0]).not.toMatch(/^(root|0)$/);
    expect(final?.lines.some((l) => l.startsWith('HEALTHCHECK ') && l.includes('/healthz'))).toBe(true);
    expect(final?.lines.some((l) => /^ENV .*\bNODE_ENV=production\b/.test(l))).toBe(true);
    expect(final?.lines).toContain('ENTRYPOINT ["/app/deploy/entrypoint.sh"]');
  });

  it('copies every source file the entry points import at run time', () => {
    const sources = (final?.lines ?? [])
      .filter((l) => l.startsWith('COPY ') && !l.includes('--from='))
      .flatMap((l) => l.split(/\s+/).slice(1, -1).filter((a) => !a.startsWith('--')));
    const copied = (file: string) => sources.some((s) => file === s || file.startsWith(`${s.replace(/\/$/, '')}/`));
    const needed = runtimeImports(['worker/main.ts', 'api/main.ts', 'slack-app/main.ts', 'cli/main.ts', 'workflows/index.ts']);
    expect(needed.length).toBeGreaterThan(50);
    expect(needed.filter((f) => !copied(f))).toEqual([]);
    // …and .dockerignore keeps none of them out of the build context.
    const ignored = fs.readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#') && !l.startsWith('!'));
    expect(sources.filter((s) => ignored.some((i) => s === i || s.startsWith(`${i}/`)))).toEqual([]);
    for (const secret of ['.env', 'secrets', 'node_modules', '.git', '.data', '.tools', 'test', 'reports/mutation']) expect(ignored).toContain(secret);
  });

  it('passes hadolint with no rule ignored', () => {
    expect(fs.existsSync(path.join(repoRoot, '.hadolint.yaml'))).toBe(false);
    const r = run(tool('hadolint'), ['--no-color', '--failure-threshold', 'info', DOCKERFILE]);
    expect({ status: r.status, out: r.stdout + r.stderr }).toEqual({ status: 0, out: '' });
  }, 60_000);

  it('the lint can fail (an unpinned base image)', () => {
    const file = path.join(tmpDir(), 'Dockerfile');
    fs.writeFileSync(file, text.replace(/^FROM node:\S+ AS runtime$/m, 'FROM node:latest AS runtime'));
    const r = run(tool('hadolint'), ['--no-color', '--failure-threshold', 'info', file]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('DL3007');
  }, 60_000);
});

/**
 * Files (relative to the repository) reachable from the entry points through imports that survive
 * to run time: relative `import`/`export … from` that are not type-only, `require(…)`,
 * `require.resolve(…)` and `import(…)`.
 */
function runtimeImports(entries: string[]): string[] {
  const seen = new Set<string>();
  const resolve = (from: string, spec: string): string => {
    const base = path.join(path.dirname(from), spec);
    for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')]) {
      if (fs.existsSync(path.join(repoRoot, candidate)) && fs.statSync(path.join(repoRoot, candidate)).isFile()) return candidate;
    }
    throw new Error(`${from}: cannot resolve ${spec}`);
  };
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    if (!file.endsWith('.ts')) return;
    const source = ts.createSourceFile(file, fs.readFileSync(path.join(repoRoot, file), 'utf8'), ts.ScriptTarget.ES2022, true);
    const specs: string[] = [];
    const walk = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        const clause = node.importClause;
        const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
        const typeOnly = clause?.isTypeOnly === true || (clause !== undefined && !clause.name && named !== undefined && named.length > 0 && named.every((e) => e.isTypeOnly));
        if (!typeOnly) specs.push(node.moduleSpecifier.text);
      } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        if (!node.isTypeOnly) specs.push(node.moduleSpecifier.text);
      } else if (ts.isCallExpression(node) && node.arguments.length > 0 && ts.isStringLiteral(node.arguments[0] as ts.Node)) {
        const callee = node.expression.getText(source);
        if (callee === 'require' || callee === 'require.resolve' || node.expression.kind === ts.SyntaxKind.ImportKeyword) specs.push((node.arguments[0] as ts.StringLiteral).text);
      }
      ts.forEachChild(node, walk);
    };
    walk(source);
    for (const spec of specs) if (spec.startsWith('.')) visit(resolve(file, spec));
  };
  for (const entry of entries) visit(entry);
  return [...seen].sort();
}
