import { type DynamicModule, Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';

import { API_KEY_READ_REPOSITORY, ApiKeys1763700000610, SqliteApiKeyProjection } from '@m2m-trust/access-data-access';
import {
  AUDIT_CHAIN_STORE,
  AUDIT_LOG_REPOSITORY,
  AuditChain1763700000400,
  AuditLog1763700000300,
  AuditQueryIndexes1763700000510,
  NAMED_QUERY_REPOSITORY,
  NamedQueries1763700000520,
  SqliteAuditChainStore,
  SqliteAuditLogProjection,
  SqliteAuditLogReader,
  SqliteNamedQueryRepository,
} from '@m2m-trust/audit-data-access';
import {
  DEVICE_CREDENTIALS_REPOSITORY,
  DEVICE_LOCKOUT_REPOSITORY,
  DeviceCredentials1763700000200,
  DeviceLockouts1763700000600,
  SqliteDeviceCredentialsProjection,
  SqliteDeviceLockoutProjection,
  SqliteTokenSigningKeyRepository,
  TOKEN_SIGNING_KEY_REPOSITORY,
  TokenSigningKeys1763700000260,
} from '@m2m-trust/challenge-data-access';
import { DEVICE_READ_REPOSITORY, Devices1763700000100, SqliteDeviceProjection } from '@m2m-trust/registry-data-access';
import { CLOCK, type Clock, EVENT_BUS, EVENT_STORE, type EventBus } from '@m2m-trust/shared-contracts';
import {
  InProcessEventBus,
  openSqliteDatabase,
  SQLITE_DATABASE,
  type SqliteDatabase,
  SqliteEventStore,
} from '@m2m-trust/shared-data-access';
import { HEALTH_CHECKS, type HealthCheck } from '@m2m-trust/shared-platform';

class DatabaseCloser implements OnApplicationShutdown {
  constructor(@Inject(SQLITE_DATABASE) private readonly database: SqliteDatabase) {}

  async onApplicationShutdown(): Promise<void> {
    await this.database.close();
  }
}

/**
 * The embedded default's persistence: one SQLite file, one event store, and
 * every read model (devices, device credentials, audit log, API keys) kept inline with it.
 */
@Global()
@Module({})
export class EmbeddedPersistenceModule {
  static forRoot(dataDir: string): DynamicModule {
    const logger = new Logger('event-bus');
    return {
      module: EmbeddedPersistenceModule,
      providers: [
        {
          provide: SQLITE_DATABASE,
          useFactory: () =>
            openSqliteDatabase(dataDir, [
              Devices1763700000100,
              DeviceCredentials1763700000200,
              TokenSigningKeys1763700000260,
              AuditLog1763700000300,
              AuditChain1763700000400,
              AuditQueryIndexes1763700000510,
              NamedQueries1763700000520,
              DeviceLockouts1763700000600,
              ApiKeys1763700000610,
            ], { backgroundCheckpoints: true }),
        },
        { provide: SqliteDeviceProjection, useFactory: (d: SqliteDatabase) => new SqliteDeviceProjection(d.db), inject: [SQLITE_DATABASE] },
        {
          provide: SqliteDeviceCredentialsProjection,
          useFactory: (d: SqliteDatabase) => new SqliteDeviceCredentialsProjection(d.db),
          inject: [SQLITE_DATABASE],
        },
        { provide: SqliteDeviceLockoutProjection, useFactory: (d: SqliteDatabase) => new SqliteDeviceLockoutProjection(d.db), inject: [SQLITE_DATABASE] },
        { provide: SqliteAuditLogProjection, useFactory: (d: SqliteDatabase) => new SqliteAuditLogProjection(d.db), inject: [SQLITE_DATABASE] },
        { provide: SqliteApiKeyProjection, useFactory: (d: SqliteDatabase) => new SqliteApiKeyProjection(d.db), inject: [SQLITE_DATABASE] },
        { provide: DEVICE_READ_REPOSITORY, useExisting: SqliteDeviceProjection },
        { provide: API_KEY_READ_REPOSITORY, useExisting: SqliteApiKeyProjection },
        { provide: DEVICE_CREDENTIALS_REPOSITORY, useExisting: SqliteDeviceCredentialsProjection },
        { provide: DEVICE_LOCKOUT_REPOSITORY, useExisting: SqliteDeviceLockoutProjection },
        { provide: TOKEN_SIGNING_KEY_REPOSITORY, useFactory: (d: SqliteDatabase) => new SqliteTokenSigningKeyRepository(d.db), inject: [SQLITE_DATABASE] },
        { provide: AUDIT_LOG_REPOSITORY, useFactory: (d: SqliteDatabase) => new SqliteAuditLogReader(d.db), inject: [SQLITE_DATABASE] },
        { provide: NAMED_QUERY_REPOSITORY, useFactory: (d: SqliteDatabase) => new SqliteNamedQueryRepository(d.db), inject: [SQLITE_DATABASE] },
        { provide: AUDIT_CHAIN_STORE, useFactory: (d: SqliteDatabase) => new SqliteAuditChainStore(d.db), inject: [SQLITE_DATABASE] },
        {
          provide: EVENT_BUS,
          useFactory: () => new InProcessEventBus((error, event) => logger.error({ err: error, eventId: event.eventId }, 'event subscriber failed')),
        },
        {
          provide: EVENT_STORE,
          useFactory: (
            database: SqliteDatabase,
            devices: SqliteDeviceProjection,
            credentials: SqliteDeviceCredentialsProjection,
            lockouts: SqliteDeviceLockoutProjection,
            audit: SqliteAuditLogProjection,
            clock: Clock,
            bus: EventBus,
            apiKeys: SqliteApiKeyProjection,
          ) => {
            const store = new SqliteEventStore(database.db, [devices, credentials, lockouts, audit, apiKeys], clock, bus);
            store.catchUpProjections();
            return store;
          },
          inject: [
            SQLITE_DATABASE,
            SqliteDeviceProjection,
            SqliteDeviceCredentialsProjection,
            SqliteDeviceLockoutProjection,
            SqliteAuditLogProjection,
            CLOCK,
            EVENT_BUS,
            SqliteApiKeyProjection,
          ],
        },
        {
          provide: HEALTH_CHECKS,
          useFactory: (d: SqliteDatabase): HealthCheck[] => [() => void d.db.prepare('SELECT 1').get()],
          inject: [SQLITE_DATABASE],
        },
        DatabaseCloser,
      ],
      exports: [
        SQLITE_DATABASE,
        DEVICE_READ_REPOSITORY,
        API_KEY_READ_REPOSITORY,
        DEVICE_CREDENTIALS_REPOSITORY,
        DEVICE_LOCKOUT_REPOSITORY,
        TOKEN_SIGNING_KEY_REPOSITORY,
        AUDIT_LOG_REPOSITORY,
        AUDIT_CHAIN_STORE,
        NAMED_QUERY_REPOSITORY,
        EVENT_BUS,
        EVENT_STORE,
        HEALTH_CHECKS,
      ],
    };
  }
}
