// Parses an incoming AWS API request (SigV4-signed, query or JSON protocol, or rest-json for the
// services in REST_JSON_ROUTES) into the service, action and parameters the gateway routes on and
// records. Pure: no I/O, unit-tested.

export type AwsProtocol = 'query' | 'json' | 'rest-json' | 'unknown';

export interface AwsRequestInput {
  method: string;
  /** Path plus query string, as received (e.g. `/` or `/?Action=GetCallerIdentity`). */
  url: string;
  /** Node-style lower-cased header map. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer | string;
}

export interface AwsRequestInfo {
  /** Signing name from the credential scope, e.g. `iam`, `sts`, `ssm`; `unknown` if unsigned. */
  service: string;
  /** Operation name, e.g. `AssumeRole`, `StartSession`; `unknown` if it cannot be found. */
  action: string;
  protocol: AwsProtocol;
  accessKeyId: string | undefined;
  region: string | undefined;
  /** Decoded request parameters, NOT redacted (the gateway needs the real values). */
  params: Record<string, unknown>;
}

const SECRET_KEY = /secret|token|password|credential/i;
/** Keys that match SECRET_KEY but are identifiers, not secrets. */
const NOT_SECRET = new Set(['accesskeyid']);
export const REDACTED = '[REDACTED]';

export function isSecretKey(key: string): boolean {
  // Query-protocol keys look like `Tags.member.1.Value`; judge the last meaningful segment too.
  const leaf = key.split('.').filter((s) => !/^\d+$/.test(s) && s !== 'member' && s !== 'entry').pop() ?? key;
  if (NOT_SECRET.has(leaf.toLowerCase()) || NOT_SECRET.has(key.toLowerCase())) return false;
  return SECRET_KEY.test(key);
}

/** Deep copy of `value` with every secret-looking key's value replaced by "[REDACTED]". */
export function redactSecrets<T>(value: T): T {
  return redactValue(value) as T;
}

/**
 * Redacted parameters of a parsed call, for the call log: secret-looking keys everywhere, values
 * that are secret by context (an SSM SecureString parameter's Value), and access key ids masked
 * (the log is served to anyone who reaches the gateway; see maskAccessKeyId).
 */
export function redactParams(info: Pick<AwsRequestInfo, 'service' | 'action' | 'params'>): Record<string, unknown> {
  const out = maskAccessKeyIds(redactSecrets(info.params)) as Record<string, unknown>;
  if (info.service === 'ssm' && info.action === 'PutParameter' && out['Type'] === 'SecureString' && 'Value' in out) {
    out['Value'] = REDACTED;
  }
  return out;
}

/**
 * `AKIAIOSFODNN7EXAMPLE` → `AKIA…MPLE`: the kind of key (AKIA long-term, ASIA temporary) and its
 * last four characters, as the IAM console shows keys. Enough to tell keys apart in a test, not
 * to name one in a request.
 */
export function maskAccessKeyId(id: string): string {
  return id.length > 8 ? `${id.slice(0, 4)}…${id.slice(-4)}` : '…';
}

function maskAccessKeyIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskAccessKeyIds);
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    // A key id given as a key/value pair: CloudTrail's LookupAttributes [{AttributeKey: 'AccessKeyId', AttributeValue}].
    const keyIdValue = typeof obj['AttributeKey'] === 'string' && obj['AttributeKey'].toLowerCase() === 'accesskeyid';
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      const leaf = k.split('.').pop() ?? k;
      const isKeyId = leaf.toLowerCase() === 'accesskeyid' || (keyIdValue && k === 'AttributeValue');
      out[k] = isKeyId && typeof v === 'string' ? maskAccessKeyId(v) : maskAccessKeyIds(v);
    }
    return out;
  }
  return value;
}

function redactValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = isSecretKey(k) ? REDACTED : redactValue(v);
    }
    return out;
  }
  return value;
}

function header(headers: AwsRequestInput['headers'], name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export interface CredentialScope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

/** `AKID/20260101/us-east-1/sts/aws4_request` → its parts. */
export function parseCredentialScope(credential: string): CredentialScope | undefined {
  const parts = credential.trim().split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request') return undefined;
  const [accessKeyId, date, region, service] = parts as [string, string, string, string, string];
  if (!accessKeyId || !service) return undefined;
  return { accessKeyId, date, region, service };
}

/** Credential scope from an `Authorization: AWS4-HMAC-SHA256 Credential=…` header. */
export function scopeFromAuthorization(authorization: string | undefined): CredentialScope | undefined {
  if (!authorization) return undefined;
  const m = /Credential=([^,\s]+)/.exec(authorization);
  return m?.[1] ? parseCredentialScope(m[1]) : undefined;
}

function formToRecord(form: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of form) out[k] = v;
  return out;
}

export function parseAwsRequest(req: AwsRequestInput): AwsRequestInfo {
  const url = new URL(req.url, 'http://sandbox.invalid');
  const body = typeof req.body === 'string' ? req.body : req.body.toString('utf8');
  const query = url.searchParams;

  const scope =
    scopeFromAuthorization(header(req.headers, 'authorization')) ??
    (query.get('X-Amz-Credential') ? parseCredentialScope(query.get('X-Amz-Credential') ?? '') : undefined);

  const target = header(req.headers, 'x-amz-target');
  const contentType = (header(req.headers, 'content-type') ?? '').toLowerCase();

  let protocol: AwsProtocol = 'unknown';
  let action = 'unknown';
  let params: Record<string, unknown> = {};

  if (target) {
    // JSON protocol: `AmazonSSM.StartSession`, `AWSSecurityTokenServiceV20110615.GetCallerIdentity`.
    protocol = 'json';
    action = target.slice(target.lastIndexOf('.') + 1) || 'unknown';
    if (body.trim() !== '') {
      try {
        const parsed: unknown = JSON.parse(body);
        if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) params = parsed as Record<string, unknown>;
      } catch {
        params = {};
      }
    }
  } else if (scope !== undefined && REST_JSON_ROUTES[scope.service] !== undefined) {
    // rest-json: the operation is the method and path; parameters are the path's labels, the query
    // string and the JSON body (the gateway's modules read them by the query's wire names).
    const route = matchRestRoute(REST_JSON_ROUTES[scope.service] ?? [], req.method, url.pathname);
    protocol = 'rest-json';
    if (route) {
      action = route.action;
      let fromBody: Record<string, unknown> = {};
      if (body.trim() !== '') {
        try {
          const parsed: unknown = JSON.parse(body);
          if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) fromBody = parsed as Record<string, unknown>;
        } catch {
          fromBody = {};
        }
      }
      params = { ...formToRecord(query), ...fromBody, ...route.labels };
      for (const k of Object.keys(params)) if (k.startsWith('X-Amz-')) delete params[k];
    }
  } else {
    const fields = formToRecord(query);
    if (body !== '' && (contentType.includes('x-www-form-urlencoded') || contentType === '' || /(^|&)Action=/.test(body))) {
      Object.assign(fields, formToRecord(new URLSearchParams(body)));
    }
    if (fields['Action'] !== undefined) {
      protocol = 'query';
      action = fields['Action'];
      params = { ...fields };
      delete params['Action'];
      delete params['Version'];
      // Presigned-URL auth parameters are not request parameters.
      for (const k of Object.keys(params)) if (k.startsWith('X-Amz-')) delete params[k];
    }
  }

  return {
    service: scope?.service ?? 'unknown',
    action,
    protocol,
    accessKeyId: scope?.accessKeyId,
    region: scope?.region,
    params,
  };
}

/** `METHOD /path/{Label}/…` → operation, per rest-json signing name the gateway serves. */
export const REST_JSON_ROUTES: Record<string, readonly (readonly [method: string, path: string, action: string])[]> = {
  backup: [
    ['PUT', '/backup-jobs', 'StartBackupJob'],
    ['GET', '/backup-jobs/{BackupJobId}', 'DescribeBackupJob'],
    ['GET', '/backup-vaults', 'ListBackupVaults'],
    ['PUT', '/backup-vaults/{BackupVaultName}', 'CreateBackupVault'],
    ['GET', '/backup-vaults/{BackupVaultName}', 'DescribeBackupVault'],
    ['DELETE', '/backup-vaults/{BackupVaultName}', 'DeleteBackupVault'],
    ['GET', '/backup-vaults/{BackupVaultName}/recovery-points', 'ListRecoveryPointsByBackupVault'],
    ['GET', '/backup-vaults/{BackupVaultName}/recovery-points/{RecoveryPointArn}', 'DescribeRecoveryPoint'],
    ['GET', '/backup-vaults/{BackupVaultName}/recovery-points/{RecoveryPointArn}/restore-metadata', 'GetRecoveryPointRestoreMetadata'],
    ['PUT', '/restore-jobs', 'StartRestoreJob'],
    ['GET', '/restore-jobs', 'ListRestoreJobs'],
    ['GET', '/restore-jobs/{RestoreJobId}', 'DescribeRestoreJob'],
    ['PUT', '/restore-jobs/{RestoreJobId}/validations', 'PutRestoreValidationResult'],
  ],
};

/** The route `method path` matches (trailing slashes ignored, labels URL-decoded), or undefined. */
export function matchRestRoute(
  routes: readonly (readonly [string, string, string])[],
  method: string,
  pathname: string,
): { action: string; labels: Record<string, string> } | undefined {
  const parts = pathname.split('/').filter((p) => p !== '');
  for (const [m, pattern, action] of routes) {
    if (m !== method.toUpperCase()) continue;
    const want = pattern.split('/').filter((p) => p !== '');
    if (want.length !== parts.length) continue;
    const labels: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < want.length && ok; i++) {
      const w = want[i] ?? '';
      const got = parts[i] ?? '';
      if (w.startsWith('{') && w.endsWith('}')) {
        try {
          labels[w.slice(1, -1)] = decodeURIComponent(got);
        } catch {
          ok = false;
        }
      } else ok = w === got;
    }
    if (ok) return { action, labels };
  }
  return undefined;
}
