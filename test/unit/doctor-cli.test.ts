// `safeguard doctor` refuses bad input before checking anything: unknown options, stray arguments
// and a --timeout that is not a duration get a clear message and the usage exit code (2).
import { runSafeguard } from '../support/run-cli';

const cli = runSafeguard;

it.each([
  ['an unknown option', ['doctor', '--fix'], /unknown option '--fix'/],
  ['a stray argument', ['doctor', 'production'], /too many arguments for 'doctor'/],
  ['--timeout without a value', ['doctor', '--timeout'], /option '--timeout <duration>' argument missing/],
  ['--timeout that is not a duration', ['doctor', '--timeout', 'soon'], /argument 'soon' is invalid\. "soon" is not a duration/],
  ['--timeout without a unit', ['doctor', '--timeout', '10'], /add a unit \(s, m, h, d\), like 10m/],
  ['--timeout over the limit', ['doctor', '--timeout', '1h'], /"1h" is longer than the 5m limit/],
  ['--json with a value', ['doctor', '--json=yes'], /unknown option '--json=yes'/],
])('refuses %s with a clear message and exit code 2', async (_what, argv, message) => {
  const r = await cli(...argv);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(r.stdout).toBe('');
});

it('lists doctor and its options in the help', async () => {
  const r = await cli('doctor', '--help');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/--json/);
  expect(r.stdout).toMatch(/--timeout <duration>\s+how long each check may take \(1s to 5m\) \(default: 10s\)/);
});
