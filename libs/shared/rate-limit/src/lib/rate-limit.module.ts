import { GRPC_CALL_LIMITER } from '@m2m-trust/shared-grpc-server';
import { type AppConfig, type PlatformOptions, requireDistributed } from '@m2m-trust/shared-platform';
import { openPostgresDatabase } from '@m2m-trust/shared-postgres';

import { type DynamicModule, Global, Inject, Logger, Module, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Pool } from 'pg';

import { RateLimitGuard } from './rate-limit.guard';
import { RateLimitedGrpcCalls } from './rate-limited-grpc-calls';
import { RateLimits, type RateLimitStore } from './rate-limits';
import { RateLimits1763700003000 } from './rate-limits.migration';

/** Where this process keeps its counters. */
export type RateLimitStoreChoice =
  /** `warning`: logged once at start, when memory is a fallback for a store not configured. */
  | { readonly kind: 'memory'; readonly warning?: string }
  /** M2M_DATABASE_URL, in M2M_DATABASE_SCHEMA or `defaultSchema`; `service` names the connections in pg_stat_activity. */
  | { readonly kind: 'postgres'; readonly defaultSchema: string; readonly service: string };

export interface RateLimitModuleOptions {
  readonly store: RateLimitStoreChoice;
  /**
   * Which of this process's own transports count callers by client address
   * and API key: the gateway's ('http', 'grpc'). A service behind the gateway
   * enforces none (its callers are the gateways) and only offers RateLimits
   * for the per-device limit.
   */
  readonly enforce: readonly ('http' | 'grpc')[];
}

const STORE_POOL = Symbol('rate-limit.pool');

/** A limiter's query waits at most this long for a connection or an answer before the request is counted locally. */
const STORE_TIMEOUT_MS = 1_000;

/** The migrated table's pool, with timeouts: a slow database must not hold requests (they fall back to memory). */
async function openStorePool(config: AppConfig, store: Extract<RateLimitStoreChoice, { kind: 'postgres' }>): Promise<{ pool: Pool; schema: string }> {
  const { databaseUrl, databaseMigrationUrl, databaseSchema } = requireDistributed(config, ['databaseUrl']);
  const schema = databaseSchema ?? store.defaultSchema;
  const applicationName = `${store.service}:rate-limit`;
  // Creates the schema and table under the schema's migration lock; its own pool is not used (this one has timeouts).
  const migrated = await openPostgresDatabase({
    url: databaseUrl.reveal(),
    ...(databaseMigrationUrl ? { migrationUrl: databaseMigrationUrl.reveal() } : {}),
    schema,
    migrations: [RateLimits1763700003000],
    applicationName,
    poolSize: 1,
  });
  await migrated.close();
  const pool = new Pool({
    connectionString: databaseUrl.reveal(),
    max: 8,
    application_name: applicationName,
    options: `-c search_path=${schema}`,
    connectionTimeoutMillis: STORE_TIMEOUT_MS,
    query_timeout: STORE_TIMEOUT_MS,
  });
  // An idle client that loses its server emits here; the pool replaces it on next use.
  pool.on('error', () => undefined);
  return { pool, schema };
}

class StorePoolCloser implements OnApplicationShutdown {
  constructor(@Inject(STORE_POOL) private readonly store: { pool: Pool } | null) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store?.pool.end();
  }
}

/**
 * The rate limits (docs/abuse-limits.md): RateLimits for anyone to consume
 * ('device' from the challenge flows), and, where `enforce` says so, the
 * per-address and per-API-key limits on this process's HTTP routes
 * (@RateLimitedByAddress(), request.actor) and gRPC calls.
 */
@Global()
@Module({})
export class RateLimitModule {
  static forRoot(platform: PlatformOptions, options: RateLimitModuleOptions): DynamicModule {
    const { config, metrics } = platform;
    const store = options.store;
    const providers: Provider[] = [
      { provide: STORE_POOL, useFactory: () => (store.kind === 'postgres' ? openStorePool(config, store) : null) },
      StorePoolCloser,
      {
        provide: RateLimits,
        useFactory: (shared: { pool: Pool; schema: string } | null) => {
          // Here, not in forRoot: by now the process's own logger is in place.
          if (store.kind === 'memory' && store.warning) new Logger('rate-limit').warn(store.warning);
          const counters: RateLimitStore = shared ? { kind: 'postgres', ...shared } : { kind: 'memory' };
          return new RateLimits({ limits: config.abuse.rateLimits, store: counters, registry: metrics.registry });
        },
        inject: [STORE_POOL],
      },
    ];
    if (options.enforce.includes('http')) providers.push({ provide: APP_GUARD, useClass: RateLimitGuard });
    if (options.enforce.includes('grpc')) providers.push({ provide: GRPC_CALL_LIMITER, useClass: RateLimitedGrpcCalls });
    return {
      module: RateLimitModule,
      providers,
      exports: [RateLimits, ...(options.enforce.includes('grpc') ? [GRPC_CALL_LIMITER] : [])],
    };
  }
}
