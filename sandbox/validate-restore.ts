// The SSM document restore drills validate RDS restores with, `Safeguard-ValidateRestore`: the seed
// creates it in moto (so DescribeDocument and the console-like listings know it), and the gateway
// runs it against the restored data (rds-data.ts) when a command names it. On AWS the same document
// runs psql on the validation instance; its last line of output is the JSON the drill reads.

import type { RdsSandbox } from './services/rds';
import type { DocumentRunner, RunOutput } from './ssm-commands';

export const VALIDATE_RESTORE_DOCUMENT = 'Safeguard-ValidateRestore';

/** The document's content (schema 2.2), as the seed creates it. */
export const VALIDATE_RESTORE_CONTENT = {
  schemaVersion: '2.2',
  description: 'Counts the rows of a table of a restored RDS database and reports the newest row. The last line of output is {"rows": <n>, "newest": "<ISO time>"}.',
  parameters: {
    instance: { type: 'String', description: 'The restored DB instance identifier.', allowedPattern: '^[a-zA-Z][a-zA-Z0-9-]{0,62}$' },
    endpoint: { type: 'String', description: 'host:port of the instance (default: looked up from the identifier).', default: '' },
    table: { type: 'String', description: 'The table to count; it must have a timestamp column `at`.', default: 'events', allowedPattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
  },
  mainSteps: [
    {
      action: 'aws:runShellScript',
      name: 'validateRestore',
      inputs: {
        runCommand: [
          'set -euo pipefail',
          'endpoint="{{endpoint}}"',
          'if [ -z "$endpoint" ]; then endpoint=$(aws rds describe-db-instances --db-instance-identifier "{{instance}}" --query "DBInstances[0].[Endpoint.Address,Endpoint.Port]" --output text | tr "\\t" ":"); fi',
          'echo "instance: {{instance}} at $endpoint, table {{table}}"',
          'psql "host=${endpoint%:*} port=${endpoint##*:} dbname=postgres sslmode=require" -tA -c "select json_build_object(\'rows\', count(*), \'newest\', max(at)) from {{table}}"',
        ],
      },
    },
  ],
} as const;

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Runs the document against the gateway's RDS state: what psql would have said. */
export function validateRestoreRunner(rds: Pick<RdsSandbox, 'status' | 'data'>, region = 'us-east-1'): DocumentRunner {
  return (params): RunOutput => {
    const endpoint = params['endpoint']?.[0] ?? '';
    const instance = params['instance']?.[0] || endpoint.split('.')[0] || '';
    const table = params['table']?.[0] || 'events';
    const host = endpoint ? endpoint.replace(/:\d+$/, '') : `${instance}.aaaaaaaaaa.${region}.rds.amazonaws.com`;
    const header = `instance: ${instance} at ${host}, table ${table}\n`;
    const fail = (stderr: string): RunOutput => ({ stdout: header, stderr: `${stderr}\n`, code: 1 });
    if (!TABLE_NAME.test(table)) return fail(`invalid table name "${table}"`);
    const status = rds.status(instance);
    if (status === undefined) return fail(`psql: error: could not translate host name "${host}" to address: Name or service not known`);
    if (status !== 'available') return fail(`psql: error: connection to server at "${host}", port 5432 failed: DB instance ${instance} is ${status}, not available`);
    const result = rds.data.query(instance, table);
    if (!result.ok) {
      return fail(result.error === 'no-table' ? `ERROR:  relation "${table}" does not exist` : `psql: error: connection to server at "${host}" failed: FATAL:  database "postgres" does not exist`);
    }
    const { rows, newest } = result.summary;
    const line = JSON.stringify({ rows, newest: newest !== undefined ? new Date(newest).toISOString() : null });
    return { stdout: `${header}${line}\n`, stderr: '', code: 0 };
  };
}
