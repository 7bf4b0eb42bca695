// `npm run demo` arguments: `--only <kind>` plays one runbook kind; nothing plays every kind.
export type DemoKind = 'break-glass' | 'access-key-rotation' | 'kms-rotation' | 'restore-drill' | 'break-glass-drill' | 'access-review' | 'runbook';
export const DEMO_KINDS: DemoKind[] = ['break-glass', 'access-key-rotation', 'kms-rotation', 'restore-drill', 'break-glass-drill', 'access-review', 'runbook'];

/** `--only <kind>` plays one kind; otherwise every kind the policy has something for. */
export function parseDemoArgs(argv: string[]): DemoKind[] {
  if (argv.length === 0) return DEMO_KINDS;
  const [flag, kind, ...rest] = argv;
  if (flag !== '--only' || rest.length > 0) throw new Error(`usage: npm run demo [-- --only <kind>]; got "${argv.join(' ').slice(0, 80)}"`);
  if (!kind || !DEMO_KINDS.includes(kind as DemoKind)) throw new Error(`--only takes one of ${DEMO_KINDS.join(', ')}${kind ? `, not "${kind.slice(0, 40)}"` : ''}`);
  return [kind as DemoKind];
}
