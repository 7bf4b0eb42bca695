import { isSecretKey, maskAccessKeyId, parseAwsRequest, parseCredentialScope, redactParams, redactSecrets, REDACTED } from '../../sandbox/aws-request';
import { FAULT_SERVICES, FaultRules, faultReply, parseFaultRule } from '../../sandbox/faults';
import { SsmApiError, SsmSessions, UnknownSessionError, sessionToWire } from '../../sandbox/ssm-sessions';

const auth = (akid: string, service: string): string =>
  `AWS4-HMAC-SHA256 Credential=${akid}/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc123`;

describe('parseAwsRequest', () => {
  it('parses a query-protocol STS AssumeRole call', () => {
    const body =
      'Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2FBreakGlassAdmin' +
      '&RoleSessionName=g-1&SourceIdentity=alice&Tags.member.1.Key=grant&Tags.member.1.Value=g-1';
    const info = parseAwsRequest({
      method: 'POST',
      url: '/',
      headers: { authorization: auth('AKIABROKER', 'sts'), 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: Buffer.from(body),
    });
    expect(info).toEqual({
      service: 'sts',
      action: 'AssumeRole',
      protocol: 'query',
      accessKeyId: 'AKIABROKER',
      region: 'us-east-1',
      params: {
        RoleArn: 'arn:aws:iam::123456789012:role/BreakGlassAdmin',
        RoleSessionName: 'g-1',
        SourceIdentity: 'alice',
        'Tags.member.1.Key': 'grant',
        'Tags.member.1.Value': 'g-1',
      },
    });
  });

  it('parses a JSON-protocol SSM call from X-Amz-Target', () => {
    const info = parseAwsRequest({
      method: 'POST',
      url: '/',
      headers: { authorization: auth('ASIAROLE', 'ssm'), 'x-amz-target': 'AmazonSSM.StartSession', 'content-type': 'application/x-amz-json-1.1' },
      body: JSON.stringify({ Target: 'i-0123', Reason: 'incident' }),
    });
    expect(info.service).toBe('ssm');
    expect(info.action).toBe('StartSession');
    expect(info.protocol).toBe('json');
    expect(info.accessKeyId).toBe('ASIAROLE');
    expect(info.params).toEqual({ Target: 'i-0123', Reason: 'incident' });
  });

  it('reads a presigned GET request from the query string', () => {
    const info = parseAwsRequest({
      method: 'GET',
      url: '/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAALICE%2F20260101%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Signature=ff',
      headers: {},
      body: '',
    });
    expect(info).toMatchObject({ service: 'sts', action: 'GetCallerIdentity', accessKeyId: 'AKIAALICE', params: {} });
  });

  it('tolerates unsigned and malformed requests', () => {
    expect(parseAwsRequest({ method: 'GET', url: '/moto-api/', headers: {}, body: '' })).toMatchObject({
      service: 'unknown',
      action: 'unknown',
      protocol: 'unknown',
      accessKeyId: undefined,
    });
    const bad = parseAwsRequest({ method: 'POST', url: '/', headers: { 'x-amz-target': 'AmazonSSM.DescribeSessions' }, body: '{not json' });
    expect(bad).toMatchObject({ action: 'DescribeSessions', params: {} });
    expect(parseCredentialScope('AKIA/20260101/us-east-1/sts')).toBeUndefined();
  });
});

describe('redaction', () => {
  it('redacts secret-looking keys at any depth but keeps AccessKeyId', () => {
    const input = {
      AccessKeyId: 'AKIAKEEP',
      SecretAccessKey: 'shh',
      SessionToken: 'tok',
      TokenCode: '123456',
      Password: 'pw',
      nested: { Credentials: { AccessKeyId: 'x' }, list: [{ NewPassword: 'p2', ok: 1 }] },
      RoleSessionName: 'fine',
    };
    expect(redactSecrets(input)).toEqual({
      AccessKeyId: 'AKIAKEEP',
      SecretAccessKey: REDACTED,
      SessionToken: REDACTED,
      TokenCode: REDACTED,
      Password: REDACTED,
      nested: { Credentials: REDACTED, list: [{ NewPassword: REDACTED, ok: 1 }] },
      RoleSessionName: 'fine',
    });
    expect(input.SecretAccessKey).toBe('shh'); // not mutated
  });

  it('redacts SecureString parameter values by context', () => {
    const params = { Name: '/db/password', Type: 'SecureString', Value: 'hunter2' };
    expect(redactParams({ service: 'ssm', action: 'PutParameter', params })).toEqual({ ...params, Value: REDACTED });
    const plain = { Name: '/app/colour', Type: 'String', Value: 'blue' };
    expect(redactParams({ service: 'ssm', action: 'PutParameter', params: plain })).toEqual(plain);
  });

  it('masks access key ids in call-log parameters, at any depth', () => {
    const params = { UserName: 'alice', AccessKeyId: 'AKIAIOSFODNN7EXAMPLE', 'Keys.member.1.AccessKeyId': 'ASIAIOSFODNN7EXAMPL2', Status: 'Inactive' };
    const logged = redactParams({ service: 'iam', action: 'UpdateAccessKey', params });
    expect(logged).toEqual({ UserName: 'alice', AccessKeyId: 'AKIA…MPLE', 'Keys.member.1.AccessKeyId': 'ASIA…MPL2', Status: 'Inactive' });
    expect(JSON.stringify(logged)).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(maskAccessKeyId('short')).toBe('…');
  });

  it("masks a key id given as CloudTrail's lookup attribute value, and only that one", () => {
    const params = {
      LookupAttributes: [
        { AttributeKey: 'AccessKeyId', AttributeValue: 'AKIAIOSFODNN7EXAMPLE' },
        { AttributeKey: 'Username', AttributeValue: 'alice' },
      ],
    };
    expect(redactParams({ service: 'cloudtrail', action: 'LookupEvents', params })).toEqual({
      LookupAttributes: [
        { AttributeKey: 'AccessKeyId', AttributeValue: 'AKIA…MPLE' },
        { AttributeKey: 'Username', AttributeValue: 'alice' },
      ],
    });
  });

  it('judges keys', () => {
    expect(isSecretKey('AccessKeyId')).toBe(false);
    expect(isSecretKey('x-amz-security-token')).toBe(true);
    expect(isSecretKey('ClientSecret')).toBe(true);
    expect(isSecretKey('SourceIdentity')).toBe(false);
  });
});

describe('faults', () => {
  it('validates rule bodies with readable messages', () => {
    expect(parseFaultRule({ service: 'sts', kind: 'throttle', rate: 1 })).toEqual({ service: 'sts', kind: 'throttle', rate: 1 });
    expect(() => parseFaultRule({ service: 'ec3', kind: 'throttle', rate: 1 })).toThrow(/service/);
    // The services the next runbooks call can be faulted too.
    for (const service of ['kms', 'rds', 'backup', 'secretsmanager', 'dynamodb', 'cloudformation', 'access-analyzer', 'cloudtrail', 's3'] as const) {
      expect(parseFaultRule({ service, kind: '5xx', rate: 1 })).toEqual({ service, kind: '5xx', rate: 1 });
      expect(FAULT_SERVICES).toContain(service);
    }
    expect(() => parseFaultRule({ service: 'sts', kind: 'throttle', rate: 2 })).toThrow(/rate/);
    expect(() => parseFaultRule({ service: 'sts', kind: 'latency', rate: 1 })).toThrow(/latencyMs/);
  });

  it('matches by service, action and rate', () => {
    let r = 0.5;
    const rules = new FaultRules(() => r);
    rules.add({ service: 'iam', action: 'PutRolePolicy', kind: '5xx', rate: 0.4 });
    rules.add({ service: '*', kind: 'latency', rate: 1, latencyMs: 10 });
    expect(rules.decide('iam', 'PutRolePolicy').failure).toBeUndefined();
    r = 0.1;
    expect(rules.decide('iam', 'PutRolePolicy').failure?.kind).toBe('5xx');
    expect(rules.decide('iam', 'GetRole').failure).toBeUndefined();
    expect(rules.decide('sts', 'GetCallerIdentity').latencyMs).toBe(10);
    rules.clear();
    expect(rules.decide('iam', 'PutRolePolicy')).toEqual({ latencyMs: 0 });
  });

  it('answers in the protocol format', () => {
    const q = faultReply('throttle', 'query');
    expect(q.status).toBe(400);
    expect(q.body).toMatch(/<ErrorResponse><Error><Type>Sender<\/Type><Code>Throttling<\/Code><Message>Rate exceeded<\/Message><\/Error><RequestId>/);
    const j = faultReply('throttle', 'json');
    expect(j.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(JSON.parse(j.body)).toEqual({ __type: 'ThrottlingException', message: 'Rate exceeded' });
    expect(faultReply('5xx', 'json').status).toBe(503);
  });
});

describe('SsmSessions', () => {
  const owner = 'arn:aws:sts::123456789012:assumed-role/BreakGlassAdmin/grant-1';
  it('starts, lists and terminates sessions', () => {
    const s = new SsmSessions({ instances: ['i-1'] });
    const started = s.start(owner, { Target: 'i-1' });
    expect(started.SessionId).toMatch(/^grant-1-[0-9a-f]{17}$/);
    expect(started.TokenValue.length).toBeGreaterThan(20);
    expect(s.describe({ State: 'Active', Filters: [{ key: 'Owner', value: owner }] }).Sessions).toHaveLength(1);
    expect(s.describe({ State: 'Active', Filters: [{ key: 'Owner', value: 'someone' }] }).Sessions).toHaveLength(0);
    expect(s.terminate({ SessionId: started.SessionId })).toEqual({ SessionId: started.SessionId });
    expect(s.terminate({ SessionId: started.SessionId })).toEqual({ SessionId: started.SessionId });
    expect(s.terminate({ SessionId: 'unknown-1' })).toEqual({ SessionId: 'unknown-1' });
    expect(s.describe({ State: 'Active' }).Sessions).toHaveLength(0);
    const hist = s.describe({ State: 'History' }).Sessions;
    expect(hist).toHaveLength(1);
    expect(typeof hist[0]?.['EndDate']).toBe('number');
  });

  it('keeps a stuck session Connected through TerminateSession, until unstuck and terminated again', () => {
    const s = new SsmSessions({ instances: ['i-1'] });
    const { SessionId } = s.start(owner, { Target: 'i-1' });
    expect(s.setStuck(SessionId, true)).toMatchObject({ SessionId, Stuck: true, Status: 'Connected' });
    // AWS answers TerminateSession before termination completes: success, yet still active.
    expect(s.terminate({ SessionId })).toEqual({ SessionId });
    expect(s.describe({ State: 'Active', Filters: [{ key: 'Owner', value: owner }] }).Sessions.map((x) => x['SessionId'])).toEqual([SessionId]);
    expect(s.describe({ State: 'History' }).Sessions).toEqual([]);
    // The AWS wire form never says "Stuck".
    expect(sessionToWire(s.all()[0]!)).not.toHaveProperty('Stuck');
    // Unsticking alone does not end the session; the next TerminateSession does.
    expect(s.setStuck(SessionId, false)).not.toHaveProperty('Stuck');
    expect(s.describe({ State: 'Active' }).Sessions).toHaveLength(1);
    s.terminate({ SessionId });
    expect(s.describe({ State: 'Active' }).Sessions).toHaveLength(0);
    expect(() => s.setStuck('nobody-0', true)).toThrow(UnknownSessionError);
  });

  it('rejects unknown targets and bad requests like AWS', () => {
    const s = new SsmSessions({ instances: ['i-1'] });
    expect(() => s.start(owner, { Target: 'i-nope' })).toThrow(expect.objectContaining({ code: 'TargetNotConnected' }) as SsmApiError);
    expect(() => s.describe({})).toThrow(/State|state/);
    expect(() => s.describe({ State: 'Active', Filters: [{ key: 'Color', value: 'x' }] })).toThrow(SsmApiError);
  });
});
