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
  SAFEGUARD_TASK_QUEUE: z.string().min(1).default('safeguard'),
  AWS_REGION: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region like us-east-1').default('us-east-1'),
  SAFEGUARD_AWS_ENDPOINT: z.url().optional(),
  SAFEGUARD_POLICY: z.string().min(1).default('examples/policy.yaml'),
  SAFEGUARD_DATA_DIR: z.string().min(1).default('.data'),
  SAFEGUARD_EVIDENCE_DIR: z.string().min(1).optional(),
  /** The Safeguard api the CLI talks to (credential vending, authenticated actions). */
  SAFEGUARD_API_URL: z.url().optional(),
  /** Bound into every presigned identity request so it cannot be replayed to another service. */
  SAFEGUARD_API_SERVER_ID: z.string().regex(/^[\w.:-]{1,64}$/).default('safeguard'),
  SAFEGUARD_API_PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  /** STS hosts the api accepts presigned identity requests for (comma-separated host[:port]). */
  SAFEGUARD_STS_HOSTS: z.string().optional(),
  /** Console federation endpoint. */
  SAFEGUARD_FEDERATION_URL: z.url().default('https://signin.aws.amazon.com/federation'),
  /** Origins allowed to call the codec endpoint (the Temporal Web UI). */
  SAFEGUARD_CODEC_CORS_ORIGINS: z.string().default('http://127.0.0.1:8233,http://localhost:8233'),
  SAFEGUARD_CODEC_AUTH_TOKEN: z.string().min(16).optional(),
  /** How often the reconciler Schedule runs (a duration like 1m or 15s), or `off` for a worker that must not own it. */
  SAFEGUARD_RECONCILE_INTERVAL: z
    .string()
    .regex(/^(off|\d+[smh])$/, 'must be a duration like 15s, 1m or 1h, or off')
    .default('1m'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Env = z.infer<typeof envSchema>;

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
