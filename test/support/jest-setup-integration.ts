import { nodeVersionNotice } from '../../config/node-version';

jest.setTimeout(300_000);
// The test process makes AWS SDK clients too: no nine-line Node-version notice in the test output.
nodeVersionNotice();
