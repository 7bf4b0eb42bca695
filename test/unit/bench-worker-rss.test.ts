// The worker-RSS section's reading of the SDK's sticky-cache default (bench/sections/worker-rss.ts).
import { defaultMaxCachedWorkflows } from '../../bench/sections/worker-rss';

describe('defaultMaxCachedWorkflows', () => {
  it('follows the SDK: (heap limit − 200 MiB) × 600 / 1024, at least 10', () => {
    expect(defaultMaxCachedWorkflows(4144)).toBe(2310);
    expect(defaultMaxCachedWorkflows(200)).toBe(10);
    expect(defaultMaxCachedWorkflows(100)).toBe(10);
  });
});
