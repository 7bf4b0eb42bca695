// Environment configuration, parsed once at start-up with zod; a bad value stops the process with a
// message naming the variable (DESIGN.md §7). Booleans are parsed explicitly: "false" is false.
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const envSchema = z.object({
  TEMPORAL_ADDRESS: z.string().regex(/^[\w.-]+:\d{1,5}$/, 'must be host:port').default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TLS: bool,
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  /** mTLS (self-hosted with client certificates, or Temporal Cloud with certificates): PEM files. Either both or neither. */
  TEMPORAL_TLS_CERT_FILE: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY_FILE: z.string().min(1).optional(),
  /** A private CA that signed the Temporal frontend's certificate (default: the system's roots). */
  TEMPORAL_TLS_CA_FILE: z.string().min(1).optional(),
  /** The name in the frontend's certificate, when it differs from TEMPORAL_ADDRESS's host. */
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  /** The Temporal SDK's own Prometheus exporter (worker only): host:port to bind, unset to turn it off. */
  TEMPORAL_METRICS_ADDRESS: z.string().regex(/^[\w.-]+:\d{1,5}$/, 'must be host:port').optional(),
  SAFEGUARD_TASK_QUEUE: z.string().min(1).default('safeguard'),
  /** Shared by every worker of a deployment: the per-role deny-policy writers run here. */
  SAFEGUARD_REVOCATION_TASK_QUEUE: z.string().min(1).default('safeguard-revocations'),
  AWS_REGION: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region like us-east-1').default('us-east-1'),
  SAFEGUARD_AWS_ENDPOINT: z.url().optional(),
  SAFEGUARD_POLICY: z.string().min(1).default('examples/policy.yaml'),
  SAFEGUARD_DATA_DIR: z.string().min(1).default('.data'),
  SAFEGUARD_EVIDENCE_DIR: z.string().min(1).optional(),
  /** S3 bucket with Object Lock (COMPLIANCE) where every evidence head is anchored (hub.yaml's EvidenceBucket); unset in dev. */
  SAFEGUARD_EVIDENCE_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name').optional(),
  /** Key prefix of the anchors in that bucket, e.g. `prod/`. */
  SAFEGUARD_EVIDENCE_PREFIX: z.string().regex(/^([A-Za-z0-9!_.*'()-]+\/)*$/, 'must be empty or end with /').optional(),
  /** Object Lock retention of each anchor (days; default 2190, six years). */
  SAFEGUARD_EVIDENCE_RETENTION_DAYS: z.coerce.number().int().min(1).max(36500).optional(),
  /** The Safeguard api the CLI talks to (credential vending, authenticated actions). */
  SAFEGUARD_API_URL: z.url().optional(),
  /**
   * Bound into every presigned identity request so it cannot be replayed to another service. Unique
   * per deployment (e.g. the api's public URL); no default: the api and the CLI (with
   * SAFEGUARD_API_URL) refuse to run without it (apiEnv, requireApiServerId).
   */
  SAFEGUARD_API_SERVER_ID: z
    .string()
    .regex(/^[\x21-\x7e]{1,256}$/, 'must be 1–256 printable ASCII characters without spaces, e.g. the api\'s public URL')
    .optional(),
  SAFEGUARD_API_PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  /** Address the api binds: 127.0.0.1 by default; 0.0.0.0 in a container, behind the TLS proxy. */
  SAFEGUARD_API_HOST: z.string().min(1).default('127.0.0.1'),
  /** STS hosts the api accepts presigned identity requests for (comma-separated host[:port]). */
  SAFEGUARD_STS_HOSTS: z.string().optional(),
  /** Console federation endpoint. */
  SAFEGUARD_FEDERATION_URL: z.url().default('https://signin.aws.amazon.com/federation'),
  /** Origins allowed to call the codec endpoint (the Temporal Web UI). */
  SAFEGUARD_CODEC_CORS_ORIGINS: z.string().default('http://127.0.0.1:8233,http://localhost:8233'),
  /** Bearer token for the codec endpoint; /codec/encode is disabled without it. */
  SAFEGUARD_CODEC_AUTH_TOKEN: z.string().min(16).optional(),
  /** `off`: /codec/decode answers without a token (an explicit, logged opt-out); default `on`. */
  SAFEGUARD_CODEC_AUTH: z
    .enum(['on', 'off', ''], { error: 'must be on or off' })
    .optional()
    .transform((v): 'on' | 'off' => (v === 'off' ? 'off' : 'on')),
  /** How often the reconciler Schedule runs (a duration like 1m or 15s), or `off` for a worker that must not own it. */
  SAFEGUARD_RECONCILE_INTERVAL: z
    .string()
    .regex(/^(off|\d+[smh])$/, 'must be a duration like 15s, 1m or 1h, or off')
    .default('1m'),
  /** `on`: the worker makes the policy's rotation Schedules match the policy at start-up; `off` leaves them alone. */
  SAFEGUARD_SCHEDULE_SYNC: z
    .enum(['on', 'off', ''], { error: 'must be on or off' })
    .optional()
    .transform((v): 'on' | 'off' => (v === 'off' ? 'off' : 'on')),
  /**
   * The operations endpoint of every process (worker, api, Slack app): /metrics (Prometheus),
   * /healthz (alive) and /readyz (connected and serving). `off` turns it off; 0 picks a free port.
   */
  SAFEGUARD_OPS_PORT: z
    .string()
    .regex(/^(off|\d{1,5})$/, 'must be a port number or off')
    .default('off')
    .transform((v): number | 'off' => (v === 'off' ? 'off' : Number(v)))
    .refine((v) => v === 'off' || v <= 65535, 'must be a port number (0–65535) or off'),
  /** Address the operations endpoint binds (0.0.0.0 in a container, so the scraper and the health check reach it). */
  SAFEGUARD_OPS_HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Env = z.infer<typeof envSchema>;

/**
 * Variables a Safeguard process reads that are validated where they are used (Slack, the codec key
 * ring) or read by a library (the AWS SDK's default credential chain, Node). With envSchema's keys
 * this is the one list of every variable: docker-compose.yml, .env.example and the dev stack may set
 * nothing else (test/unit/deploy-compose.test.ts).
 */
export const ENV_READ_ELSEWHERE: Readonly<Record<string, string>> = {
  SLACK_BOT_TOKEN: 'Slack bot token (xoxb-…): the Slack app, and the worker posts to Slack when set (slack-app/config.ts, activities/slack/client.ts)',
  SLACK_SIGNING_SECRET: "the Slack app's signing secret (HTTP mode)",
  SLACK_APP_TOKEN: 'app-level token (xapp-…): Socket Mode instead of the HTTP endpoint',
  SLACK_API_URL: 'Slack Web API base URL (tests point it at a fake Slack)',
  SLACK_TEAM_ID: 'refuse requests from any other workspace',
  SLACK_APPROVERS_CHANNEL: "the worker's default approvers channel when the policy names none",
  SLACK_TIMEOUT_MS: "the worker's Slack Web API timeout",
  PORT: "the Slack app's HTTP port (Bolt)",
  SAFEGUARD_CODEC_KEY_FILE: 'payload codec key file (JSON, mode 0600; codec/keyring.ts)',
  SAFEGUARD_CODEC_KEYS: 'payload codec keys inline (id:base64,…), instead of the key file',
  SAFEGUARD_CODEC_KMS_KEYS: 'payload codec keys wrapped by a KMS key (id:base64 CiphertextBlob,…; codec/kms-keyring.ts): production',
  SAFEGUARD_CODEC_ACTIVE_KEY: 'the key id new payloads are encrypted with (default: the first)',
  SAFEGUARD_EVIDENCE_KEY_FILE: "the evidence chain's HMAC key file (JSON, mode 0600; evidence/evidence-key.ts): dev",
  SAFEGUARD_EVIDENCE_KMS_KEYS: "the evidence chain's keys wrapped by a KMS key (id:base64 CiphertextBlob,…): production",
  SAFEGUARD_EVIDENCE_ACTIVE_KEY: 'the evidence key id new entries are linked with (default: the first)',
  AWS_ACCESS_KEY_ID: "AWS SDK default chain: the broker's credentials (prefer a role: instance, task or web identity)",
  AWS_SECRET_ACCESS_KEY: 'AWS SDK default chain',
  AWS_SESSION_TOKEN: 'AWS SDK default chain',
  AWS_PROFILE: 'AWS SDK default chain',
  AWS_ROLE_ARN: 'AWS SDK default chain (web identity, e.g. EKS IRSA)',
  AWS_WEB_IDENTITY_TOKEN_FILE: 'AWS SDK default chain (web identity)',
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: 'AWS SDK default chain (ECS task role)',
  AWS_CONTAINER_CREDENTIALS_FULL_URI: 'AWS SDK default chain (container credentials endpoint)',
  AWS_CONTAINER_AUTHORIZATION_TOKEN: 'AWS SDK default chain (container credentials endpoint)',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "the AWS SDK's Node-version notice; set to true by every process unless given (config/node-version.ts)",
  SAFEGUARD_STACK_FILE: "the CLI: the running dev stack's file (default .data/stack.json)",
  XDG_CACHE_HOME: "the CLI: where `creds` keeps a grant's last credentials (default ~/.cache)",
  NODE_ENV: 'Node (the image sets production)',
  NODE_OPTIONS: 'Node runtime flags (e.g. --max-old-space-size)',
  PATH: 'the process search path',
  HOME: "the user's home directory",
};

/** Every environment variable some Safeguard process reads: envSchema's keys and ENV_READ_ELSEWHERE's. */
export function knownEnvVariables(): string[] {
  return [...Object.keys(envSchema.shape), ...Object.keys(ENV_READ_ELSEWHERE)];
}

export class ConfigError extends Error {
  readonly code = 'INVALID_ENVIRONMENT';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

export function parseEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid environment:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** What the production api needs beyond the defaults: settings with no safe default. */
export interface ApiEnv {
  serverId: string;
  codec: { authToken?: string; /** SAFEGUARD_CODEC_AUTH=off: /codec/decode without a token. */ unauthenticatedDecode: boolean };
}

/**
 * The production api's settings that must be chosen, not defaulted (api/main.ts); throws one
 * ConfigError naming every missing variable and what to set it to.
 */
export function apiEnv(env: Env): ApiEnv {
  const problems: string[] = [];
  if (!env.SAFEGUARD_API_SERVER_ID) {
    problems.push(
      "  SAFEGUARD_API_SERVER_ID is not set: set it to a value unique to this api deployment, e.g. the api's public URL " +
        '(https://safeguard-api.example.com), and give the CLI the same value. It binds every signed identity request to this api.',
    );
  }
  const unauthenticatedDecode = env.SAFEGUARD_CODEC_AUTH === 'off';
  if (!env.SAFEGUARD_CODEC_AUTH_TOKEN && !unauthenticatedDecode) {
    problems.push(
      '  SAFEGUARD_CODEC_AUTH_TOKEN is not set: the codec endpoint (/codec) turns stored workflow payloads into plaintext, so it needs ' +
        'a bearer token (e.g. `openssl rand -base64 32`). Only where /codec is reachable solely by people allowed to read every ' +
        'history, SAFEGUARD_CODEC_AUTH=off serves /codec/decode without one (/codec/encode stays disabled without a token).',
    );
  }
  if (problems.length > 0 || !env.SAFEGUARD_API_SERVER_ID) throw new ConfigError(`the api cannot start:\n${problems.join('\n')}`);
  return {
    serverId: env.SAFEGUARD_API_SERVER_ID,
    codec: { ...(env.SAFEGUARD_CODEC_AUTH_TOKEN ? { authToken: env.SAFEGUARD_CODEC_AUTH_TOKEN } : {}), unauthenticatedDecode },
  };
}

/** The server id of the api at SAFEGUARD_API_URL, for clients (the CLI); there is no default to fall back on. */
export function requireApiServerId(env: Env): string {
  if (env.SAFEGUARD_API_SERVER_ID) return env.SAFEGUARD_API_SERVER_ID;
  throw new ConfigError(
    `SAFEGUARD_API_SERVER_ID is not set: the CLI needs the server id of the api at ${env.SAFEGUARD_API_URL ?? 'SAFEGUARD_API_URL'} ` +
      "(the value that api is configured with, usually its public URL); it binds each signed request to that api.",
  );
}
