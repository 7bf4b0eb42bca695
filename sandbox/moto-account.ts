// moto keeps one set of services per account and picks it by the x-moto-account-id header: the seed,
// and tests that look at the seed's other accounts, talk to moto directly with this on their clients.
import type { MetadataBearer, MiddlewareStack } from '@smithy/types';

export function inMotoAccount<C extends { middlewareStack: Pick<MiddlewareStack<object, MetadataBearer>, 'add'> }>(client: C, account: string): C {
  client.middlewareStack.add(
    (next) => (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers['x-moto-account-id'] = account;
      return next(args);
    },
    { step: 'build', name: 'sandboxMotoAccount' },
  );
  return client;
}
