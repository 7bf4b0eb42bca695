import { nodeVersionNotice } from '../../config/node-version';

describe('the Node version notice', () => {
  it('silences the AWS SDK notice unless the operator set the variable, and says it once on Node 20', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(nodeVersionNotice('v20.20.2', env)).toMatch(/running on Node v20\.20\.2: production runs Node 22/);
    expect(env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).toBe('true');
    const chosen: NodeJS.ProcessEnv = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'false' };
    nodeVersionNotice('v20.1.0', chosen);
    expect(chosen.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).toBe('false');
  });

  it('has nothing to say on Node 22 or later', () => {
    expect(nodeVersionNotice('v22.12.0', {})).toBeUndefined();
    expect(nodeVersionNotice('v24.1.0', {})).toBeUndefined();
  });
});
