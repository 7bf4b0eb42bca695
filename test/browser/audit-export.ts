// `npm run test:browser`: the HTML period report in a real browser. It plays every runbook kind on a
// stack of its own (the demo's plays, dev/demo-plays.ts), exports the period as HTML through the CLI's
// code path, opens the file in headless Debian Chromium (playwright-core, tools/install-chromium.sh)
// and checks that:
// - every run played has its table row, under its kind, with its evidence id, and the chain verified;
// - the root-recovery run cites its step records by seq, and the root sign-in the watcher paged has
//   its row in its own section;
// - the page logs no console error and throws no page error;
// - the page makes no network request at all (every request is routed; anything but the file fails);
// - it prints to PDF.
// Exits 0 when all hold, 1 otherwise; stops by itself (a watchdog ends a hung run).
// `-- --evidence <dir>` checks an existing evidence directory instead of playing (e.g. .data/demo/evidence
// after `npm run demo`); `--keep <dir>` keeps the HTML and PDF there.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { runAuditExport } from '../../cli/areas/audit-export';
import { DEMO_KINDS } from '../../dev/demo-args';
import { playOnOwnStack } from '../../dev/demo-plays';
import type { Played } from '../../dev/demo-plays';
import { REPO_ROOT } from '../../dev/temporal-server';
import { EvidenceStore } from '../../evidence/store';
import { openEvidenceForAudit } from '../../evidence/audit-access';
import { DEV_EVIDENCE_KEY_FILE } from '../../config/stack-file';
import { isReportKind } from '../../reports/audit-export';

const CHROMIUM = '/usr/bin/chromium';
const WATCHDOG_MS = 15 * 60_000;

interface Args {
  evidence?: string;
  keep?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {};
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if ((flag !== '--evidence' && flag !== '--keep') || value === undefined) throw new Error(`usage: npm run test:browser [-- --evidence <dir>] [--keep <dir>]; got "${argv.join(' ').slice(0, 80)}"`);
    args[flag === '--evidence' ? 'evidence' : 'keep'] = value;
  }
  return args;
}

const log = (m: string): void => {
  process.stdout.write(`${m}\n`);
};

/** The runs to look for: what the plays returned (by workflow id), else every entry of an existing directory (by evidence id). */
async function expectedRuns(dir: string, played: Played[] | undefined): Promise<{ kind: string; label: string; idSelector: string }[]> {
  if (played) return played.map((p) => ({ kind: p.kind, label: String(p['workflowId']), idSelector: `[data-evidence-id^="${cssString(`${String(p['workflowId'])}/`)}"]` }));
  const entries = await new EvidenceStore(dir).list();
  return entries.filter((e) => isReportKind(e.kind)).map((e) => ({ kind: e.kind, label: e.id, idSelector: `[data-evidence-id="${cssString(e.id)}"]` }));
}

function cssString(s: string): string {
  return s.replace(/["\\]/g, (c) => `\\${c}`);
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-browser-'));
  const failures: string[] = [];
  const fail = (m: string): void => {
    failures.push(m);
    log(`FAIL ${m}`);
  };
  let browser: Browser | undefined;
  try {
    let evidenceDir: string;
    let played: Played[] | undefined;
    const startedAt = new Date(Date.now() - 60_000);
    if (args.evidence) {
      evidenceDir = path.resolve(args.evidence);
      log(`· using the evidence in ${evidenceDir}`);
    } else {
      log(`· playing every runbook kind on a stack of its own (${DEMO_KINDS.join(', ')}); takes a few minutes`);
      const t0 = Date.now();
      const run = await playOnOwnStack({
        stack: { dataDir: path.join(work, 'stack'), headless: true, policyFile: path.join(REPO_ROOT, 'examples/policy.yaml') },
        kinds: DEMO_KINDS,
        out: { say: () => undefined, note: (m) => log(`  ${m}`) },
      });
      log(`· played ${run.played.length} runbook(s) in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      for (const p of run.played) if (!p.ok) fail(`the ${p.kind} play did not end as expected: ${JSON.stringify(p).slice(0, 300)}`);
      if (run.played.length !== DEMO_KINDS.length) fail(`played ${run.played.length} of ${DEMO_KINDS.length} kinds`);
      evidenceDir = run.evidenceDir;
      played = run.played;
    }

    const htmlFile = path.join(args.keep ? path.resolve(args.keep) : work, 'audit-export.html');
    fs.mkdirSync(path.dirname(htmlFile), { recursive: true });
    const from = args.evidence ? '2000-01-01' : startedAt.toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    // Keyed with the key the stack left beside its evidence (`--key-file`), as an auditor verifies it.
    const keyed = async (dir: string): Promise<EvidenceStore> => (await openEvidenceForAudit({ dir, keyFile: path.join(path.dirname(dir), DEV_EVIDENCE_KEY_FILE) })).store;
    const code = await runAuditExport({ from, to, format: 'html', dir: evidenceDir, out: htmlFile }, { stdout: log, stderr: (m) => log(`· ${m}`) }, { openStore: keyed });
    if (code !== 0) throw new Error(`audit export exited ${code}`);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    const page = await browser.newPage();
    const fileUrl = pathToFileURL(htmlFile).href;
    const requests: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') fail(`console error: ${msg.text().slice(0, 300)}`);
    });
    page.on('pageerror', (err) => fail(`page error: ${err.message.slice(0, 300)}`));
    page.on('request', (req) => requests.push(req.url()));
    // Every request goes through here: the report file itself may load, nothing else.
    await page.route('**/*', async (route) => {
      const url = route.request().url();
      if (url === fileUrl) return route.continue();
      fail(`the page asked for ${url.slice(0, 200)}`);
      return route.abort('blockedbyclient');
    });
    await page.goto(fileUrl, { waitUntil: 'load' });

    if ((await page.title()).startsWith('Safeguard audit export') === false) fail(`unexpected title ${JSON.stringify(await page.title())}`);
    // The page must say what verify() says (the chain's own tests are the store's; this is the report's honesty).
    const chainOk = (await (await keyed(evidenceDir)).verify()).ok;
    if (!chainOk) fail('the evidence chain of the stack that ran every runbook does not verify');
    const shown = await page.locator('#chain').getAttribute('data-ok');
    if (shown !== String(chainOk)) fail(`the report shows the chain as ${shown}, verify() says ${chainOk}`);
    else log(`ok the chain is shown as ${chainOk ? 'verified' : 'NOT verified'}: ${(await page.locator('#chain').textContent())?.slice(0, 160) ?? ''}`);
    const runs = await expectedRuns(evidenceDir, played);
    for (const r of runs) {
      const rows = page.locator(`section[data-kind="${r.kind}"] tr.run[data-kind="${r.kind}"]${r.idSelector}`);
      const n = await rows.count();
      if (n !== 1) fail(`${r.kind} run ${r.label}: ${n} table rows, expected 1`);
      else if (!(await rows.first().isVisible())) fail(`${r.kind} run ${r.label}: its row is not visible`);
      else log(`ok ${r.kind} ${await rows.first().getAttribute('data-evidence-id')} (seq ${await rows.first().getAttribute('data-seq')})`);
    }
    // A runbook run cites its step records (never rows, never "other evidence"); the watcher's page has its own section.
    const runbook = played?.find((p) => p.kind === 'runbook');
    if (runbook) {
      const cell = page.locator(`section[data-kind="runbook"] tr.run[data-evidence-id^="${cssString(`${String(runbook['workflowId'])}/`)}"] td[data-figure="stepEvidence"]`);
      const cited = (await cell.count()) === 1 ? await cell.first().textContent() : null;
      const expected = (runbook['stepEvidenceSeqs'] as number[]).join(', ');
      if (cited !== expected) fail(`runbook run ${String(runbook['workflowId'])}: step evidence shown as ${JSON.stringify(cited)}, expected ${expected}`);
      else log(`ok runbook steps cited by seq: ${cited}`);
      const paged = page.locator(`section[data-kind="root-login"] tr.run[data-evidence-id$="/${cssString(String(runbook['pagedRootSignInEventId']))}"]`);
      if ((await paged.count()) !== 1) fail(`the root sign-in the watcher paged (${String(runbook['pagedRootSignInEventId'])}) has ${await paged.count()} rows in the root-login section, expected 1`);
      else log(`ok the paged root sign-in is in its own section (${await paged.first().getAttribute('data-evidence-id')})`);
    }
    const stepRows = await page.locator('#other td', { hasText: 'runbook-step' }).count();
    if (stepRows > 0) fail(`${stepRows} runbook-step record(s) listed as other evidence`);
    for (const kind of new Set(runs.map((r) => r.kind))) {
      const runsCell = await page.locator(`#summary tr[data-kind="${kind}"] td`).nth(1).textContent();
      if (!runsCell || Number(runsCell) < runs.filter((r) => r.kind === kind).length) fail(`summary of ${kind} counts ${runsCell} run(s)`);
    }

    await page.emulateMedia({ media: 'print' });
    const pdf = await page.pdf({ format: 'A4', landscape: true, printBackground: true });
    if (pdf.subarray(0, 5).toString('latin1') !== '%PDF-' || pdf.length < 2_000) fail(`page.pdf() gave ${pdf.length} bytes that are not a PDF`);
    else log(`ok printed to PDF: ${pdf.length} bytes`);
    if (args.keep) fs.writeFileSync(path.join(path.resolve(args.keep), 'audit-export.pdf'), pdf);
    const outside = requests.filter((u) => u !== fileUrl);
    if (outside.length > 0) fail(`network requests besides the file: ${outside.slice(0, 5).join(', ')}`);
    else log(`ok no network request (${requests.length} request: the file itself)`);
    if (runs.length === 0) fail('the export holds no runs to look for');
  } finally {
    await browser?.close().catch(() => undefined);
    if (!process.env.SAFEGUARD_KEEP_TEST_DATA) fs.rmSync(work, { recursive: true, force: true });
  }
  log(failures.length === 0 ? 'browser check passed' : `browser check FAILED: ${failures.length} problem(s)`);
  return failures.length === 0 ? 0 : 1;
}

// A hung browser or stack must not hang CI.
setTimeout(() => {
  process.stderr.write(`test:browser: still running after ${WATCHDOG_MS / 60_000} min; giving up\n`);
  process.exit(1);
}, WATCHDOG_MS).unref();

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`test:browser: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
