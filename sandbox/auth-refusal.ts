// The answers AWS gives a request it cannot authenticate, per protocol family: the error code,
// HTTP status and body shape the SDKs parse (query XML, JSON 1.x, rest-json, S3's XML). Pure.

import type { AwsProtocol } from './aws-request';
import { awsErrorReply, requestId } from './faults';
import type { ErrorReply } from './faults';
import { escapeXml } from './moto-query';

/** Why a request is refused, before the service looks at it. */
export type AuthRefusal =
  /** No Authorization header and no presigned X-Amz-* parameters. */
  | 'missing'
  /** The signature's parts do not parse. */
  | 'malformed'
  /** No such key: never issued, deleted, or Inactive (AWS does not tell these apart). */
  | 'unknown-key'
  /** The session token is not the one issued with the key. */
  | 'bad-token'
  | 'bad-signature'
  | 'expired'
  | 'not-yet-valid'
  | 'payload-mismatch';

/** How a service's errors look on the wire. */
export type ProtocolFamily = 'query' | 'json' | 'rest-json' | 's3';

/** Services whose SDK clients speak rest-json (the request carries no Action or X-Amz-Target). */
const REST_JSON_SERVICES = new Set(['backup', 'access-analyzer', 'lambda', 'apigateway', 'securityhub', 'guardduty', 'sso', 'eks']);

export function protocolFamily(service: string, protocol: AwsProtocol): ProtocolFamily {
  if (service === 's3') return 's3';
  if (protocol === 'json') return 'json';
  if (protocol === 'query') return 'query';
  return REST_JSON_SERVICES.has(service) ? 'rest-json' : 'query';
}

const INVALID_TOKEN = 'The security token included in the request is invalid.';
const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const INCOMPLETE = 'The request signature does not conform to AWS standards.';
const EXPIRED = 'Signature expired: the request was signed more than 15 minutes ago (or its presigned URL has expired).';
const NOT_YET = 'Signature not yet current: the request is dated more than 15 minutes in the future.';

interface Answer {
  status: number;
  code: string;
  message: string;
}

/** query: IAM, STS, RDS, CloudFormation… (403 for every authentication failure). */
function queryAnswer(reason: AuthRefusal): Answer {
  switch (reason) {
    case 'missing':
      return { status: 403, code: 'MissingAuthenticationToken', message: 'Request is missing Authentication Token' };
    case 'malformed':
      return { status: 403, code: 'IncompleteSignature', message: INCOMPLETE };
    case 'unknown-key':
    case 'bad-token':
      return { status: 403, code: 'InvalidClientTokenId', message: INVALID_TOKEN };
    case 'bad-signature':
    case 'payload-mismatch':
      return { status: 403, code: 'SignatureDoesNotMatch', message: SIGNATURE_MISMATCH };
    case 'expired':
      return { status: 403, code: 'SignatureDoesNotMatch', message: EXPIRED };
    case 'not-yet-valid':
      return { status: 403, code: 'SignatureDoesNotMatch', message: NOT_YET };
  }
}

/** JSON 1.x (SSM, KMS, DynamoDB, Secrets Manager…): 400; rest-json services answer 403. */
function jsonAnswer(reason: AuthRefusal, status: number): Answer {
  switch (reason) {
    case 'missing':
      return { status, code: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
    case 'malformed':
      return { status, code: 'IncompleteSignatureException', message: INCOMPLETE };
    case 'unknown-key':
    case 'bad-token':
      return { status, code: 'UnrecognizedClientException', message: INVALID_TOKEN };
    case 'bad-signature':
    case 'payload-mismatch':
      return { status, code: 'InvalidSignatureException', message: SIGNATURE_MISMATCH };
    case 'expired':
      return { status, code: 'InvalidSignatureException', message: EXPIRED };
    case 'not-yet-valid':
      return { status, code: 'InvalidSignatureException', message: NOT_YET };
  }
}

function s3Answer(reason: AuthRefusal): Answer {
  switch (reason) {
    case 'missing':
      return { status: 403, code: 'AccessDenied', message: 'Access Denied' };
    case 'malformed':
      return { status: 400, code: 'AuthorizationHeaderMalformed', message: 'The authorization header is malformed.' };
    case 'unknown-key':
      return { status: 403, code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.' };
    case 'bad-token':
      return { status: 400, code: 'InvalidToken', message: 'The provided token is malformed or otherwise invalid.' };
    case 'bad-signature':
      return { status: 403, code: 'SignatureDoesNotMatch', message: SIGNATURE_MISMATCH };
    case 'payload-mismatch':
      return { status: 400, code: 'XAmzContentSHA256Mismatch', message: "The provided 'x-amz-content-sha256' header does not match what was computed." };
    case 'expired':
      return { status: 403, code: 'AccessDenied', message: 'Request has expired' };
    case 'not-yet-valid':
      return { status: 403, code: 'RequestTimeTooSkewed', message: "The difference between the request time and the server's time is too large." };
  }
}

/** The wire answer to a request refused for `reason`. */
export function authRefusalReply(reason: AuthRefusal, family: ProtocolFamily): ErrorReply {
  switch (family) {
    case 'query': {
      const a = queryAnswer(reason);
      return awsErrorReply('query', a.status, a.code, a.message);
    }
    case 'json': {
      const a = jsonAnswer(reason, 400);
      return awsErrorReply('json', a.status, a.code, a.message);
    }
    case 'rest-json': {
      const a = jsonAnswer(reason, 403);
      const rid = requestId();
      return {
        status: a.status,
        code: a.code,
        headers: { 'content-type': 'application/json', 'x-amzn-errortype': a.code, 'x-amzn-requestid': rid },
        body: JSON.stringify({ message: a.message }),
      };
    }
    case 's3': {
      const a = s3Answer(reason);
      const rid = requestId();
      return {
        status: a.status,
        code: a.code,
        headers: { 'content-type': 'application/xml', 'x-amz-request-id': rid },
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${a.code}</Code><Message>${escapeXml(a.message)}</Message><RequestId>${rid}</RequestId></Error>`,
      };
    }
  }
}
