import { EVENT_BUS } from '@m2m-trust/shared-contracts';
import { InProcessEventBus } from '@m2m-trust/shared-data-access';
import { GRPC_SERVICES, GrpcServer, type GrpcServiceBinding } from '@m2m-trust/shared-grpc-server';

import { type DynamicModule, type InjectionToken, Module, type ModuleMetadata, type Provider } from '@nestjs/common';
import type { Logger } from 'pino';

import { SERVICE_LOGGER } from './distributed-infra';

export interface ServiceGrpcOptions {
  /** The feature modules whose controllers the bindings wrap. */
  readonly imports: NonNullable<ModuleMetadata['imports']>;
  /** The services this process serves, from what `inject` names. */
  readonly inject: InjectionToken[];
  readonly bindings: (...dependencies: never[]) => GrpcServiceBinding[];
}

/** A process's gRPC server and the services it serves (GRPC_SERVICES), the one thing a service's gRPC module declares. */
@Module({})
export class ServiceGrpcModule {
  static forRoot(options: ServiceGrpcOptions): DynamicModule {
    return {
      module: ServiceGrpcModule,
      imports: options.imports,
      providers: [{ provide: GRPC_SERVICES, useFactory: options.bindings, inject: options.inject }, GrpcServer],
      exports: [GrpcServer],
    };
  }
}

/** A service's persistence (its schema, Kafka client, adapters), global so the feature modules find their ports. */
@Module({})
export class ServicePersistenceModule {
  static forRoot(metadata: { readonly providers: Provider[]; readonly exports: NonNullable<ModuleMetadata['exports']> }): DynamicModule {
    return { module: ServicePersistenceModule, global: true, providers: metadata.providers, exports: metadata.exports };
  }
}

/** The process's own EVENT_BUS (live subscriptions, key caches), logging a subscriber that fails on SERVICE_LOGGER. */
export const serviceEventBus = (): Provider => ({
  provide: EVENT_BUS,
  useFactory: (logger: Logger) => new InProcessEventBus((error, event) => logger.error({ err: error, eventId: event.eventId }, 'event subscriber failed')),
  inject: [SERVICE_LOGGER],
});
