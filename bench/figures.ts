// One benchmark figure and the table `npm run bench` prints: every figure says what it measured, on
// how many samples, and against which target. Figures are reported, never asserted (the machine is
// shared and noisy); `met` is the figure compared with DESIGN.md §9's target, for the reader.

export interface Figure {
  /** Stable key in the JSON output, e.g. `slackAck`. */
  id: string;
  /** What was measured, in words, e.g. "Slack ack latency, 50 concurrent signed /breakglass commands". */
  what: string;
  /** How many samples the figure is computed from. */
  samples: number;
  /** The numbers, with their unit in the key (`p50Ms`, `rssMiB`, `ratio`); null when not measurable. */
  values: Record<string, number | null>;
  /** The numbers as the table shows them, e.g. "p50 12 ms  p95 40 ms  p99 61 ms". */
  shown: string;
  /** The target in words ("p99 ≤ 300 ms"), if the design sets one. */
  target?: string;
  /** Whether the figure meets the target; undefined when there is none or it could not be measured. */
  met?: boolean;
  /** How it was measured, what limits it, what else was seen. */
  notes?: string[];
}

/** A section that failed still prints: its error takes the place of its figures. */
export interface SectionResult {
  section: string;
  figures: Figure[];
  error?: string;
  elapsedMs: number;
}

export interface BenchReport {
  bench: 'safeguard';
  startedAt: string;
  machine: MachineConditions;
  sections: SectionResult[];
}

export interface MachineConditions {
  cores: number;
  cpu: string;
  node: string;
  platform: string;
  memoryGiB: number;
  loadAverageAtStart: number[];
}

export const ms = (x: number | null | undefined): string => (x === null || x === undefined || Number.isNaN(x) ? 'n/a' : x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`);
export const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

/** Percentile figures in the shape every latency section reports. */
export function latencyShown(s: { p50: number; p95: number; p99?: number; max: number }): string {
  return `p50 ${ms(s.p50)}  p95 ${ms(s.p95)}${s.p99 !== undefined ? `  p99 ${ms(s.p99)}` : ''}  max ${ms(s.max)}`;
}

const verdict = (f: Figure): string => (f.target === undefined ? '' : f.met === undefined ? `target ${f.target}: not measured` : `target ${f.target}: ${f.met ? 'met' : 'NOT met'}`);

/** The whole report as the table the terminal shows. */
export function renderTable(report: BenchReport): string {
  const m = report.machine;
  const lines: string[] = [
    `Safeguard benchmark, ${report.startedAt}`,
    `machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, node ${m.node}, ${m.platform}, load ${m.loadAverageAtStart.join(' ')} at start`,
    '',
  ];
  const rows: Array<[string, string, string, string]> = [];
  for (const s of report.sections) {
    if (s.error !== undefined) rows.push([s.section, 'FAILED', '', s.error]);
    for (const f of s.figures) rows.push([f.what, f.shown, `n=${f.samples}`, verdict(f)]);
  }
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length), 0));
  for (const r of rows) lines.push(`${r[0].padEnd(w[0]!)}  ${r[1].padEnd(w[1]!)}  ${r[2].padEnd(w[2]!)}  ${r[3]}`.trimEnd());
  const notes = report.sections.flatMap((s) => s.figures.flatMap((f) => (f.notes ?? []).map((n) => `  ${f.id}: ${n}`)));
  if (notes.length > 0) lines.push('', 'notes:', ...notes);
  return `${lines.join('\n')}\n`;
}
