// The sections of `npm run bench`, in the order they run on the one stack. The history section runs
// last: its plays change the sandbox as `npm run demo` does (owner tags, a revoked service user, a
// removed console login), which the others must not see. The review runs on a stack of its own.
import type { BenchSection } from '../section';
import { historySizeSection } from './history-size';
import { motoAloneSection } from './moto-alone';
import { revocationLagSection } from './revocation-lag';
import { slackAckSection } from './slack-ack';
import { throughputSection } from './throughput';
import { vendingSection } from './vending';
import { workerRssSection } from './worker-rss';

export { runReviewSection } from './review';

export const STACK_SECTIONS: readonly BenchSection[] = [
  slackAckSection,
  vendingSection,
  motoAloneSection,
  revocationLagSection,
  throughputSection,
  workerRssSection,
  historySizeSection,
];
