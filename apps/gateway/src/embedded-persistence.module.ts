import { API_KEY_READ_REPOSITORY } from '@m2m-trust/access-data-access';
import { accessSqliteMigrations, accessSqliteProviders, SqliteApiKeyProjection } from '@m2m-trust/access-data-access/sqlite';
import { AUDIT_CHAIN_STORE, AUDIT_LOG_REPOSITORY, NAMED_QUERY_REPOSITORY, QUERY_SUBSCRIPTION_REPOSITORY } from '@m2m-trust/audit-data-access';
import { auditSqliteMigrations, auditSqliteProviders, EMBEDDED_AUDIT_LOG, type EmbeddedAuditLog } from '@m2m-trust/audit-data-access/sqlite';
import { DEVICE_CREDENTIALS_REPOSITORY, DEVICE_LOCKOUT_REPOSITORY } from '@m2m-trust/challenge-data-access';
import {
  challengeSqliteMigrations,
  challengeSqliteProviders,
  SqliteDeviceCredentialsProjection,
  SqliteDeviceLockoutProjection,
} from '@m2m-trust/challenge-data-access/sqlite';
import { DEVICE_READ_REPOSITORY } from '@m2m-trust/registry-data-access';
import { registrySqliteMigrations, registrySqliteProviders, SqliteDeviceProjection } from '@m2m-trust/registry-data-access/sqlite';
import { CLOCK, type Clock, EVENT_BUS, EVENT_STORE, type EventBus } from '@m2m-trust/shared-contracts';
import { InProcessEventBus } from '@m2m-trust/shared-data-access';
import { openSqliteDatabase, SQLITE_DATABASE, type SqliteDatabase, SqliteEventStore } from '@m2m-trust/shared-data-access/sqlite';
import { HEALTH_CHECKS, type HealthCheck } from '@m2m-trust/shared-platform';
import { TOKEN_SIGNING_KEY_REPOSITORY } from '@m2m-trust/token-data-access';
import { tokenSqliteMigrations, tokenSqliteProviders } from '@m2m-trust/token-data-access/sqlite';

import { type DynamicModule, Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';

class DatabaseCloser implements OnApplicationShutdown {
  constructor(
    @Inject(SQLITE_DATABASE) private readonly database: SqliteDatabase,
    @Inject(EMBEDDED_AUDIT_LOG) private readonly audit: EmbeddedAuditLog,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    // The audit log first: it finishes writing what the store committed.
    await this.audit.close();
    await this.database.close();
  }
}

/**
 * The embedded default's persistence: one SQLite file with the event store
 * and the read models kept inline with it (devices, device credentials,
 * lockouts, API keys), and the EPCIS audit log in a file of its own, written
 * behind the store by a thread of its own.
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
            openSqliteDatabase(
              dataDir,
              [...registrySqliteMigrations, ...challengeSqliteMigrations, ...tokenSqliteMigrations, ...auditSqliteMigrations, ...accessSqliteMigrations],
              { backgroundCheckpoints: true },
            ),
        },
        ...registrySqliteProviders(),
        ...challengeSqliteProviders(),
        ...tokenSqliteProviders(),
        ...accessSqliteProviders(),
        ...auditSqliteProviders({ dataDir, logger: new Logger('audit-log') }),
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
            audit: EmbeddedAuditLog,
            clock: Clock,
            bus: EventBus,
            apiKeys: SqliteApiKeyProjection,
          ) => {
            const store = new SqliteEventStore(database.db, [devices, credentials, lockouts, apiKeys], clock, bus, [audit.follower]);
            store.catchUpProjections();
            audit.start(store);
            return store;
          },
          inject: [
            SQLITE_DATABASE,
            SqliteDeviceProjection,
            SqliteDeviceCredentialsProjection,
            SqliteDeviceLockoutProjection,
            EMBEDDED_AUDIT_LOG,
            CLOCK,
            EVENT_BUS,
            SqliteApiKeyProjection,
          ],
        },
        {
          provide: HEALTH_CHECKS,
          useFactory: (d: SqliteDatabase, a: EmbeddedAuditLog): HealthCheck[] => [
            () => void d.db.prepare('SELECT 1').get(),
            () => void a.database.db.prepare('SELECT 1').get(),
          ],
          inject: [SQLITE_DATABASE, EMBEDDED_AUDIT_LOG],
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
        QUERY_SUBSCRIPTION_REPOSITORY,
        EVENT_BUS,
        EVENT_STORE,
        HEALTH_CHECKS,
      ],
    };
  }
}
