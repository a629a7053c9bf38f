import { HEALTH_CHECKS, type HealthCheck } from '@m2m-trust/shared-platform';

import { Global, Module } from '@nestjs/common';

import { RemoteAuthenticator } from './remote-authenticator';
import { RemoteDeviceDirectory } from './remote-device-directory';
import { ServiceClients } from './service-clients';

/** The gateway's clients of the services, and its readiness: every upstream answers. */
@Global()
@Module({
  providers: [
    ServiceClients,
    RemoteDeviceDirectory,
    RemoteAuthenticator,
    { provide: HEALTH_CHECKS, useFactory: (clients: ServiceClients): HealthCheck[] => [() => clients.ready()], inject: [ServiceClients] },
  ],
  exports: [ServiceClients, RemoteDeviceDirectory, RemoteAuthenticator, HEALTH_CHECKS],
})
export class DistributedClientsModule {}
