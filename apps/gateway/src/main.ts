import { exitOnStartFailure, startService } from '@m2m-trust/shared-bootstrap';

import { AppModule } from './app.module';
import { DistributedGatewayModule, isDistributedGateway, proxyAuditService, proxyChallengeService, proxyRegistryService } from './distributed-gateway.module';
import { setupOpenApi } from './openapi';

// The embedded default (one process, SQLite) unless the distributed services are named (docs/distributed.md).
startService({
  name: 'gateway',
  module: (options) => (isDistributedGateway(options.config) ? DistributedGatewayModule.forRoot(options) : AppModule.forRoot(options)),
  beforeInit: async (fastify, options) => {
    if (isDistributedGateway(options.config)) {
      await proxyAuditService(fastify, options.config);
      await proxyRegistryService(fastify, options.config);
    }
  },
  configure: async (app, options) => {
    // Distributed, most routes are the services' and passed through: the document is the embedded app's, the same API.
    await setupOpenApi(app, isDistributedGateway(options.config) ? AppModule.forRoot(options) : undefined);
    if (isDistributedGateway(options.config)) await proxyChallengeService(app, options.config);
  },
  announceGeneratedKey: true,
  // The console goes here too once it exists.
  banner: [
    { label: 'Docs', path: '/docs' },
    { label: 'OpenAPI', path: '/openapi.json' },
  ],
}).catch(exitOnStartFailure);
