// Restore-drill data for DynamoDB and AWS Backup (SeedPlan.dynamoTables, .backupVaults), in two
// steps around the gateway's start:
// 1. seedDynamoAndVaults (with the rest of the seed, moto directly): source tables with ~100 items
//    backdated over the hour before seeding, PITR and on-demand backups as planned, the vaults, and
//    the identity the gateway's own writes use (moto must accept it when it authenticates).
// 2. registerDrillData (once the gateway runs, before moto authenticates, after the RDS sources
//    exist): the gateway journals each table's items as written at their `ts` (so a point-in-time
//    restore into the past hour leaves out later items) and starts its writer; then one recovery
//    point per vault resource through the gateway's StartBackupJob, unlogged.

import { BackupClient, CreateBackupVaultCommand } from '@aws-sdk/client-backup';
import {
  BatchWriteItemCommand,
  CreateBackupCommand,
  CreateTableCommand,
  DynamoDBClient,
  UpdateContinuousBackupsCommand,
} from '@aws-sdk/client-dynamodb';
import type { WriteRequest } from '@aws-sdk/client-dynamodb';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import type { Gateway } from './gateway';
import type { SeedPlan } from './seed-plan';
import { SEED_KEY_ATTRIBUTE, SEED_TIMESTAMP_ATTRIBUTE } from './services/dynamodb';

/** Items per seeded table, spread evenly over the hour before seeding. */
export const SEEDED_ITEMS = 100;
const HISTORY_MS = 60 * 60_000;
/** The identity of the gateway's own writes (DynamoDB writer, seeded recovery points). */
export const DRILL_SERVICE_USER = 'safeguard-sandbox-aws-services';

export interface SandboxDynamoTable {
  name: string;
  arn: string;
  pitr: boolean;
  /** Start of the PITR window (ISO), when PITR is on: an hour before seeding, with the history. */
  pitrSince?: string;
  /** Items seeded (the writer adds more). */
  seededItems: number;
  /** The newest seeded item's `ts`. */
  newestSeededAt: string;
  /** On-demand backups, oldest first. */
  backupArns: string[];
}

export interface SandboxBackupVault {
  name: string;
  arn: string;
  /** One per resource the plan names, in its order. */
  recoveryPoints: { resource: string; resourceArn: string; recoveryPointArn: string }[];
}

export interface DrillServiceUser {
  userName: string;
  arn: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SeededDrillData {
  dynamoTables: Record<string, SandboxDynamoTable>;
  backupVaults: Record<string, SandboxBackupVault>;
  drillService: DrillServiceUser;
}

const SERVICE_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['dynamodb:*', 'backup:*', 'rds:CreateDBSnapshot', 'rds:Describe*'], Resource: '*' },
  ],
});

interface Client {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  maxAttempts: number;
}

/** Step 1: tables, vaults and the service identity, straight into moto. */
export async function seedDynamoAndVaults(client: Client, plan: SeedPlan, now = Date.now()): Promise<SeededDrillData> {
  const iam = new IAMClient(client);
  const ddb = new DynamoDBClient(client);
  const backup = new BackupClient(client);
  try {
    const drillServiceP = (async (): Promise<DrillServiceUser> => {
      const user = await iam.send(new CreateUserCommand({ UserName: DRILL_SERVICE_USER, Tags: [{ Key: 'safeguard:sandbox', Value: 'true' }] }));
      await iam.send(new PutUserPolicyCommand({ UserName: DRILL_SERVICE_USER, PolicyName: 'SandboxAwsServices', PolicyDocument: SERVICE_POLICY }));
      const key = await iam.send(new CreateAccessKeyCommand({ UserName: DRILL_SERVICE_USER }));
      const arn = user.User?.Arn;
      const accessKeyId = key.AccessKey?.AccessKeyId;
      const secretAccessKey = key.AccessKey?.SecretAccessKey;
      if (!arn || !accessKeyId || !secretAccessKey) throw new Error(`seeding ${DRILL_SERVICE_USER}: moto returned no ARN or key`);
      return { userName: DRILL_SERVICE_USER, arn, accessKeyId, secretAccessKey };
    })();

    const tablesP = Promise.all(
      (plan.dynamoTables ?? []).map(async (t): Promise<SandboxDynamoTable> => {
        const created = await ddb.send(
          new CreateTableCommand({
            TableName: t.name,
            BillingMode: 'PAY_PER_REQUEST',
            AttributeDefinitions: [{ AttributeName: SEED_KEY_ATTRIBUTE, AttributeType: 'S' }],
            KeySchema: [{ AttributeName: SEED_KEY_ATTRIBUTE, KeyType: 'HASH' }],
            Tags: [{ Key: 'safeguard:sandbox', Value: 'true' }],
          }),
        );
        const arn = created.TableDescription?.TableArn;
        if (!arn) throw new Error(`seeding DynamoDB table ${t.name}: moto returned no ARN`);
        const times = Array.from({ length: SEEDED_ITEMS }, (_, i) => now - HISTORY_MS + Math.round(((i + 1) * HISTORY_MS) / (SEEDED_ITEMS + 1)));
        const puts: WriteRequest[] = times.map((at, i) => ({
          PutRequest: {
            Item: {
              [SEED_KEY_ATTRIBUTE]: { S: `seed-${String(i + 1).padStart(4, '0')}` },
              [SEED_TIMESTAMP_ATTRIBUTE]: { S: new Date(at).toISOString() },
              amount: { N: String(100 + ((i * 37) % 900)) },
              source: { S: 'sandbox-seed' },
            },
          },
        }));
        for (let i = 0; i < puts.length; i += 25) {
          await ddb.send(new BatchWriteItemCommand({ RequestItems: { [t.name]: puts.slice(i, i + 25) } }));
        }
        if (t.pitr === true) {
          await ddb.send(new UpdateContinuousBackupsCommand({ TableName: t.name, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }));
        }
        const backupArns: string[] = [];
        for (let i = 0; i < (t.backups ?? 0); i++) {
          const b = await ddb.send(new CreateBackupCommand({ TableName: t.name, BackupName: `${t.name}-seed-${i + 1}` }));
          if (b.BackupDetails?.BackupArn) backupArns.push(b.BackupDetails.BackupArn);
        }
        return {
          name: t.name,
          arn,
          pitr: t.pitr === true,
          ...(t.pitr === true ? { pitrSince: new Date(now - HISTORY_MS).toISOString() } : {}),
          seededItems: SEEDED_ITEMS,
          newestSeededAt: new Date(times[times.length - 1] ?? now).toISOString(),
          backupArns,
        };
      }),
    );

    const vaultsP = Promise.all(
      (plan.backupVaults ?? []).map(async (v): Promise<SandboxBackupVault> => {
        const out = await backup.send(new CreateBackupVaultCommand({ BackupVaultName: v.name, BackupVaultTags: { 'safeguard:sandbox': 'true' } }));
        if (!out.BackupVaultArn) throw new Error(`seeding backup vault ${v.name}: moto returned no ARN`);
        return { name: v.name, arn: out.BackupVaultArn, recoveryPoints: [] };
      }),
    );

    const [drillService, tables, vaults] = await Promise.all([drillServiceP, tablesP, vaultsP]);
    return {
      dynamoTables: Object.fromEntries(tables.map((t) => [t.name, t])),
      backupVaults: Object.fromEntries(vaults.map((v) => [v.name, v])),
      drillService,
    };
  } finally {
    iam.destroy();
    ddb.destroy();
    backup.destroy();
  }
}

/**
 * Step 2, once the gateway runs: journals and writers for the tables, then the vaults' recovery
 * points (filled into `seed.backupVaults`). The RDS sources must already be known to the gateway.
 */
export async function registerDrillData(
  gateway: Gateway,
  seed: SeededDrillData & { rdsInstances: Record<string, { arn: string }> },
  plan: SeedPlan,
  log: (msg: string) => void,
): Promise<void> {
  const as = { accessKeyId: seed.drillService.accessKeyId, secretAccessKey: seed.drillService.secretAccessKey, arn: seed.drillService.arn };
  for (const t of Object.values(seed.dynamoTables)) {
    await gateway.registerDynamoTable(t.name, { writeAs: as, ...(t.pitrSince !== undefined ? { pitrSince: Date.parse(t.pitrSince) } : {}) });
  }
  for (const v of plan.backupVaults ?? []) {
    const vault = seed.backupVaults[v.name];
    if (!vault) continue;
    const accountId = vault.arn.split(':')[4] ?? '123456789012';
    for (const resource of v.resources) {
      const resourceArn = seed.rdsInstances[resource]?.arn ?? seed.dynamoTables[resource]?.arn;
      if (!resourceArn) {
        log(`seed: skipping recovery point of ${resource} in ${v.name}: no RDS instance or DynamoDB table of that name in the plan`);
        continue;
      }
      const recoveryPointArn = await gateway.startBackupJob(as, {
        BackupVaultName: v.name,
        ResourceArn: resourceArn,
        IamRoleArn: `arn:aws:iam::${accountId}:role/service-role/AWSBackupDefaultServiceRole`,
      });
      vault.recoveryPoints.push({ resource, resourceArn, recoveryPointArn });
    }
  }
}
