// The `safeguard` command. Everything a person can do in Slack, plus policy and audit commands.
// Exit codes: 0 done, 1 refused or invalid, 2 usage or environment problem.
import { Command, CommanderError } from 'commander';
import { SafeguardError } from '../client/errors';
import { ConfigError } from '../config/env';
import { PolicyError } from '../config/policy';
import { out } from './program';
import { nodeVersionNotice } from '../config/node-version';
import * as access from './areas/access';
import * as audit from './areas/audit';
import * as breakglass from './areas/breakglass';
import * as codec from './areas/codec';
import * as compliance from './areas/compliance';
import * as decisions from './areas/decisions';
import * as doctor from './areas/doctor';
import * as drills from './areas/drills';
import * as policy from './areas/policy';
import * as reviews from './areas/reviews';
import * as rotation from './areas/rotation';
import * as runbook from './areas/runbook';
import * as schedules from './areas/schedules';

/** Every area of the CLI, in the order `--help` lists them. */
const AREAS = [breakglass, rotation, drills, reviews, runbook, schedules, decisions, access, policy, audit, compliance, codec, doctor];

export function buildProgram(): Command {
  const program = new Command('safeguard').description('Break-glass access and runbook automation on Temporal').exitOverride().showHelpAfterError();
  for (const area of AREAS) area.register(program);
  return program;
}

export async function runCli(argv: string[]): Promise<number> {
  process.exitCode = 0;
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof SafeguardError) {
      out.stderr(`safeguard: ${err.message}${err.refusal ? ` [${err.refusal}]` : ''}`);
      return 1;
    }
    if (err instanceof PolicyError || err instanceof ConfigError) {
      out.stderr(`safeguard: ${err.message}`);
      return 2;
    }
    out.stderr(`safeguard: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
}

if (require.main === module) {
  // The CLI says nothing about the Node version: its output feeds scripts and credential_process.
  nodeVersionNotice();
  void runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
