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
