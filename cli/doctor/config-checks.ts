// Doctor's configuration checks: what a process reads before it connects anywhere. The same
// functions the worker calls, so a pass here means the worker gets past its own start-up checks.
import path from 'node:path';
import { KeyRingError } from '../../codec';
import { ENV_KMS_KEYS, keyRingForProcess } from '../../codec/kms-keyring';
import { parseEnv } from '../../config/env';
import { loadPolicyFile, PolicyError } from '../../config/policy';
import { temporalTarget, tlsConfig } from '../../config/temporal';
import type { CheckOutcome, DoctorCheck } from './runner';
import { errorText, need } from './state';
import type { DoctorState } from './state';

/** Policy problems shown in the table; `safeguard policy validate` lists them all. */
const MAX_POLICY_ISSUES = 8;

export const environmentCheck: DoctorCheck<DoctorState> = {
  id: 'environment',
  check: 'environment variables',
  fix: 'set the variables named above to valid values (every variable and its meaning: config/env.ts)',
  async run(state) {
    const env = parseEnv(state.env);
    state.parsed = env;
    const endpoint = env.SAFEGUARD_AWS_ENDPOINT ? `, AWS endpoint ${env.SAFEGUARD_AWS_ENDPOINT}` : '';
    return { status: 'ok', detail: `Temporal ${env.TEMPORAL_ADDRESS}, namespace ${env.TEMPORAL_NAMESPACE}, task queue ${env.SAFEGUARD_TASK_QUEUE}, AWS region ${env.AWS_REGION}${endpoint}` };
  },
};

export const policyCheck: DoctorCheck<DoctorState> = {
  id: 'policy',
  check: 'policy file',
  needs: ['environment'],
  fix: 'correct the policy file (`safeguard policy validate <file>` lists every problem; docs/policy.md)',
  async run(state) {
    const file = path.resolve(need(state.parsed, 'the environment').SAFEGUARD_POLICY);
    state.policyFile = file;
    try {
      const policy = loadPolicyFile(file);
      state.policy = policy;
      return { status: 'ok', detail: `${file}: ${policy.accounts.length} account(s), ${policy.breakGlass.roles.length} break-glass role(s), ${policy.people.length} people` };
    } catch (err) {
      if (!(err instanceof PolicyError)) throw err;
      if (err.code === 'POLICY_UNREADABLE') {
        return {
          status: 'FAIL',
          detail: err.message,
          fix: `SAFEGUARD_POLICY must name a policy file this process can read (relative paths are from ${process.cwd()}); the worker reads the same variable`,
        };
      }
      const shown = err.message.split('\n');
      const more = shown.length > MAX_POLICY_ISSUES ? [`… and ${shown.length - MAX_POLICY_ISSUES} more`] : [];
      return { status: 'FAIL', detail: [...shown.slice(0, MAX_POLICY_ISSUES), ...more].join('\n'), fix: `correct the lines above; \`safeguard policy validate ${file}\` lists every problem (docs/policy.md)` };
    }
  },
};

function codecFix(err: KeyRingError, env: NodeJS.ProcessEnv): string {
  const file = env.SAFEGUARD_CODEC_KEY_FILE?.trim();
  switch (err.code) {
    case 'CODEC_KEY_FILE_PERMISSIONS':
      return `run: chmod 600 ${file ?? '<key file>'} (the key decrypts every workflow payload)`;
    case 'CODEC_KEY_FILE_UNREADABLE':
      return `make ${file ?? 'the key file'} a regular file this user can read (mode 0600)`;
    case 'CODEC_KEY_UNKNOWN_ACTIVE_ID':
      return 'set SAFEGUARD_CODEC_ACTIVE_KEY (or "active" in the key file) to one of the ring\'s key ids';
    case 'CODEC_KEY_WRONG_LENGTH':
    case 'CODEC_KEY_MALFORMED_ENTRY':
      return 'each key is the base64 of exactly 32 random bytes (`openssl rand -base64 32`) under an id of A-Z a-z 0-9 . _ - (docs/codec.md)';
    default:
      return 'set SAFEGUARD_CODEC_KEY_FILE to a JSON key file (mode 0600) or SAFEGUARD_CODEC_KEYS=k1:<base64>; make a key with `openssl rand -base64 32`. The worker, the api, the Slack app and the CLI need the same keys (docs/codec.md)';
  }
}

export const codecKeyCheck: DoctorCheck<DoctorState> = {
  id: 'codec-key',
  check: 'payload codec key ring',
  fix: 'see docs/codec.md: SAFEGUARD_CODEC_KMS_KEYS (production), SAFEGUARD_CODEC_KEY_FILE or SAFEGUARD_CODEC_KEYS',
  async run(state) {
    try {
      // The loader every process uses: KMS-wrapped keys are unwrapped here as the worker would.
      const ring = await keyRingForProcess(state.env);
      state.keyring = ring;
      const from = state.env[ENV_KMS_KEYS]?.trim()
        ? `${ENV_KMS_KEYS} (unwrapped with kms:Decrypt)`
        : state.env.SAFEGUARD_CODEC_KEYS?.trim()
          ? 'SAFEGUARD_CODEC_KEYS'
          : `key file ${state.env.SAFEGUARD_CODEC_KEY_FILE?.trim() ?? ''}`;
      // Ids only: key material never reaches the output.
      return { status: 'ok', detail: `${from}: ${ring.keys.size} key(s), active "${ring.activeKeyId}"` };
    } catch (err) {
      if (!(err instanceof KeyRingError)) throw err;
      return { status: 'FAIL', detail: `${err.code}: ${err.message}`, fix: codecFix(err, state.env) };
    }
  },
};

function isLoopback(address: string): boolean {
  const host = address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

const TLS_FIX = 'TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE go together; each TEMPORAL_TLS_*_FILE must be a PEM file (-----BEGIN …) this user can read';

export const temporalTlsCheck: DoctorCheck<DoctorState> = {
  id: 'temporal-tls',
  check: 'Temporal TLS settings',
  needs: ['environment'],
  fix: TLS_FIX,
  async run(state): Promise<CheckOutcome> {
    try {
      const target = temporalTarget(need(state.parsed, 'the environment'));
      const tls = tlsConfig(target);
      state.target = target;
      if (tls === false) {
        if (isLoopback(target.address)) return { status: 'ok', detail: 'plaintext (loopback address)' };
        return {
          status: 'warn',
          detail: `plaintext to ${target.address}`,
          fix: 'unless the network to Temporal is private, set TEMPORAL_TLS=true (Temporal Cloud: TEMPORAL_API_KEY, or TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE)',
        };
      }
      const f = target.tlsFiles;
      const parts = [
        target.apiKey !== undefined ? 'TLS with an API key' : f?.certFile ? 'mTLS: client certificate and key readable' : 'TLS (system roots)',
        ...(f?.caFile ? ['private CA readable'] : []),
        ...(f?.serverName ? [`server name ${f.serverName}`] : []),
      ];
      return { status: 'ok', detail: parts.join(', ') };
    } catch (err) {
      return { status: 'FAIL', detail: errorText(err).replace(/^invalid environment:\n\s*/, ''), fix: TLS_FIX };
    }
  },
};
