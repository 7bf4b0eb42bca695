// Writes config/policy.schema.json from the policy's zod schema (every section), so editors
// (yaml-language-server) validate policy files against the same rules as the loader.
// Run: npm run schema
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { policyJsonSchema } from './policy/load';

export const POLICY_JSON_SCHEMA_PATH = join(__dirname, 'policy.schema.json');

export function renderPolicyJsonSchema(): string {
  return `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(POLICY_JSON_SCHEMA_PATH, renderPolicyJsonSchema());
  process.stdout.write(`wrote ${POLICY_JSON_SCHEMA_PATH}\n`);
}
