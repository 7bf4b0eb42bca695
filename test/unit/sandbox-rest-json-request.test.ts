import { parseAwsRequest } from '../../sandbox/aws-request';
import { awsErrorReply } from '../../sandbox/faults';
import { backedUpResource, restoreIdempotencyToken } from '../../activities/drills/aws-backup';
import { parseBackupResource } from '../../sandbox/services/backup';

const auth = (service: string): string =>
  `AWS4-HMAC-SHA256 Credential=AKIATEST/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc123`;

describe('parseAwsRequest for rest-json (AWS Backup)', () => {
  it('names the operation from the method and path, with path labels, query and body as parameters', () => {
    const rp = 'arn:aws:dynamodb:us-east-1:123456789012:table/claims/backup/0179-ab';
    const info = parseAwsRequest({
      method: 'GET',
      url: `/backup-vaults/drills/recovery-points/${encodeURIComponent(rp)}?backupVaultAccountId=123456789012`,
      headers: { authorization: auth('backup') },
      body: '',
    });
    expect(info).toMatchObject({ service: 'backup', protocol: 'rest-json', action: 'DescribeRecoveryPoint', params: { BackupVaultName: 'drills', RecoveryPointArn: rp, backupVaultAccountId: '123456789012' } });

    const put = parseAwsRequest({ method: 'PUT', url: '/restore-jobs/JOB-1/validations', headers: { authorization: auth('backup') }, body: '{"ValidationStatus":"FAILED"}' });
    expect(put).toMatchObject({ action: 'PutRestoreValidationResult', params: { RestoreJobId: 'JOB-1', ValidationStatus: 'FAILED' } });
    expect(parseAwsRequest({ method: 'GET', url: '/backup-vaults/drills/recovery-points/', headers: { authorization: auth('backup') }, body: '' }).action).toBe('ListRecoveryPointsByBackupVault');
    // A path it does not know is still rest-json, for moto to answer.
    expect(parseAwsRequest({ method: 'POST', url: '/backup/plans', headers: { authorization: auth('backup') }, body: '' })).toMatchObject({ protocol: 'rest-json', action: 'unknown' });
  });

  it('answers rest-json errors with the x-amzn-ErrorType header and a JSON body', () => {
    const e = awsErrorReply('rest-json', 400, 'ResourceNotFoundException', 'no such job');
    expect(e.headers['x-amzn-errortype']).toBe('ResourceNotFoundException');
    expect(JSON.parse(e.body)).toMatchObject({ Code: 'ResourceNotFoundException', Message: 'no such job' });
  });
});

describe('AWS Backup resources and tokens', () => {
  it('tells RDS instances from DynamoDB tables, and nothing else', () => {
    for (const parse of [parseBackupResource, backedUpResource]) {
      expect(parse('arn:aws:rds:us-east-1:123456789012:db:patients-db')).toMatchObject({ name: 'patients-db' });
      expect(parse('arn:aws:dynamodb:us-east-1:123456789012:table/claims')).toMatchObject({ name: 'claims' });
      expect(parse('arn:aws:s3:::bucket')).toBeUndefined();
    }
  });

  it('derives one idempotency token per run, scratch and recovery point', () => {
    const a = restoreIdempotencyToken('run-1', 'sg-drill-x-1', 'rp');
    expect(restoreIdempotencyToken('run-1', 'sg-drill-x-1', 'rp')).toBe(a);
    expect(restoreIdempotencyToken('run-2', 'sg-drill-x-1', 'rp')).not.toBe(a);
    expect(restoreIdempotencyToken('run-1', 'sg-drill-x-1', 'rp2')).not.toBe(a);
  });
});
