// S3 Object Lock where moto 5.2.5 differs from AWS in what the evidence anchors rely on:
// - GetObjectRetention (`GET /bucket/key?retention`) is not implemented: moto answers with the
//   object's content, which the SDK cannot parse. The gateway answers it from the version's
//   `x-amz-object-lock-*` headers (a HEAD to moto).
// - PutObjectRetention accepts anything. AWS refuses, in COMPLIANCE mode, a shorter retain-until
//   date or a change of mode, for everyone, the root user included ("Access Denied because object
//   protected by object lock"); the gateway refuses both the same way. (GOVERNANCE is passed on.)
// Deleting a locked version is already refused by moto (AccessDenied); everything else passes to moto.
import { requestId } from '../faults';
import type { AwsCall, Handled, Reply, ServiceContext, ServiceHandler } from './types';

interface Retention {
  mode?: string;
  until?: Date;
}

function s3Error(status: number, code: string, message: string): Reply {
  const rid = requestId();
  return {
    status,
    headers: { 'content-type': 'application/xml', 'x-amz-request-id': rid },
    body: Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${rid}</RequestId></Error>`),
  };
}

function header(r: Reply, name: string): string | undefined {
  const v = r.headers[name] ?? r.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** The version's retention, as moto's HEAD reports it; undefined when the object is not there. */
async function currentRetention(ctx: ServiceContext, call: AwsCall, url: URL): Promise<{ status: number; retention?: Retention }> {
  const versionId = url.searchParams.get('versionId');
  const head = await ctx.invoke(call.caller, { service: 's3', method: 'HEAD', url: `${url.pathname}${versionId ? `?versionId=${encodeURIComponent(versionId)}` : ''}`, headers: {}, body: '' });
  if (head.status !== 200) return { status: head.status };
  const mode = header(head, 'x-amz-object-lock-mode');
  const until = header(head, 'x-amz-object-lock-retain-until-date');
  return { status: 200, retention: { ...(mode ? { mode } : {}), ...(until && !Number.isNaN(Date.parse(until)) ? { until: new Date(until) } : {}) } };
}

function requestedRetention(body: string): Retention {
  const mode = /<Mode>\s*([A-Z]+)\s*<\/Mode>/.exec(body)?.[1];
  const until = /<RetainUntilDate>\s*([^<]+?)\s*<\/RetainUntilDate>/.exec(body)?.[1];
  return { ...(mode ? { mode } : {}), ...(until && !Number.isNaN(Date.parse(until)) ? { until: new Date(until) } : {}) };
}

export function s3Service(): ServiceHandler {
  return {
    service: 's3',
    async handle(ctx: ServiceContext, call: AwsCall): Promise<Handled | undefined> {
      const url = new URL(call.request.url, 'http://sandbox');
      if (!url.searchParams.has('retention')) return undefined;
      const method = call.request.method.toUpperCase();
      if (method === 'GET') {
        const { status, retention } = await currentRetention(ctx, call, url);
        if (status === 404) return { reply: s3Error(404, 'NoSuchKey', 'The specified key does not exist.'), servedBy: 'gateway' };
        if (status !== 200) return { reply: s3Error(status, 'AccessDenied', 'Access Denied'), servedBy: 'gateway' };
        if (!retention?.mode) return { reply: s3Error(404, 'NoSuchObjectLockConfiguration', 'The specified object does not have a ObjectLock configuration'), servedBy: 'gateway' };
        const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Retention xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Mode>${retention.mode}</Mode>${retention.until ? `<RetainUntilDate>${retention.until.toISOString()}</RetainUntilDate>` : ''}</Retention>`;
        return { reply: { status: 200, headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId() }, body: Buffer.from(body) }, servedBy: 'gateway' };
      }
      if (method === 'PUT') {
        const { retention } = await currentRetention(ctx, call, url);
        if (retention?.mode === 'COMPLIANCE' && retention.until && retention.until.getTime() > ctx.now()) {
          const wanted = requestedRetention(call.request.body.toString('utf8'));
          if (wanted.mode !== 'COMPLIANCE' || !wanted.until || wanted.until.getTime() < retention.until.getTime()) {
            return { reply: s3Error(403, 'AccessDenied', 'Access Denied because object protected by object lock.'), servedBy: 'gateway' };
          }
        }
      }
      return undefined;
    },
  };
}
