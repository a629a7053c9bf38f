import { CLOCK, systemClock } from '@m2m-trust/shared-contracts';

import { type DynamicModule, Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, DiscoveryModule } from '@nestjs/core';

import { ADMIN_API_KEY, type AdminApiKey } from './config/admin-api-key';
import { APP_CONFIG, type AppConfig } from './config/app-config';
import { ServiceAudience } from './config/service-audience';
import { ApiKeyAuthenticator } from './http/api-key.authenticator';
import { ApiKeyGuard } from './http/api-key.guard';
import { FormBodySupport } from './http/form-body';
import { ProblemDetailsFilter } from './http/problem-details.filter';
import { RouteScopeCheck } from './http/route-scope.check';
import { HealthController, MetricsController } from './observability/health.controller';
import { Metrics } from './observability/metrics';

export interface PlatformOptions {
  readonly config: AppConfig;
  readonly adminApiKey: AdminApiKey;
  readonly metrics: Metrics;
}

/**
 * Cross-cutting HTTP concerns every app shares: config, API keys, errors, health, metrics, time.
 * Managed API keys are checked when some global module provides an ApiKeyVerifier (the access feature does);
 * otherwise only the admin key is accepted.
 */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(options: PlatformOptions): DynamicModule {
    return {
      module: PlatformModule,
      imports: [DiscoveryModule],
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: APP_CONFIG, useValue: options.config },
        { provide: ADMIN_API_KEY, useValue: options.adminApiKey },
        { provide: Metrics, useValue: options.metrics },
        { provide: CLOCK, useValue: systemClock },
        ServiceAudience,
        ApiKeyAuthenticator,
        RouteScopeCheck,
        FormBodySupport,
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
      ],
      exports: [APP_CONFIG, ADMIN_API_KEY, Metrics, CLOCK, ServiceAudience, ApiKeyAuthenticator],
    };
  }
}
