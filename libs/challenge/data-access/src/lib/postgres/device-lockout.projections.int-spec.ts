// The lockout record on both stores, through their event stores: SQLite (embedded) and PostgreSQL
// (the challenge service; npm test starts it, M2M_TEST_DATABASE_URL overrides).
import type { EventStore } from '@m2m-trust/shared-contracts';
import { openSqliteDatabase, type SqliteDatabase, SqliteEventStore } from '@m2m-trust/shared-data-access/sqlite';
import type { ChallengeEvent, NewEvent } from '@m2m-trust/shared-events';
import { openPostgresDatabase, type PostgresDatabase, PostgresEventStore, PostgresEventStore1763700001000 } from '@m2m-trust/shared-postgres';
import { dropSchema, TEST_DATABASE_URL, uniqueSchema } from '@m2m-trust/shared-postgres/testing';

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { DeviceLockoutRepository } from '../device-lockout.repository';
import { DeviceLockouts1763700000600 } from '../sqlite/device-lockouts.migration';
import { SqliteDeviceLockoutProjection } from '../sqlite/sqlite-device-lockout.projection';
import { PostgresDeviceLockouts1763700001600 } from './device-lockouts.migration';
import { PostgresDeviceLockoutProjection } from './postgres-device-lockout.projection';

const AT = '2026-11-21T10:00:00.000Z';
const clock = { now: () => new Date(AT) };
const noBus = { publish: async () => undefined, subscribe: () => () => undefined };

const failed = (deviceId: string, reason = 'SIGNATURE_INVALID'): NewEvent =>
  ({
    type: 'DeviceAuthenticationFailed',
    data: { challengeId: 'c', deviceId, keyThumbprint: 't', method: 'challenge-response', reason, failedAt: AT },
    metadata: {},
  }) as NewEvent<ChallengeEvent>;
const succeeded = (deviceId: string, resetsLockout: boolean): NewEvent =>
  ({
    type: 'DeviceAuthenticated',
    data: { challengeId: 'c', deviceId, keyThumbprint: 't', method: 'challenge-response', verifiedAt: AT, ...(resetsLockout ? { resetsLockout: true } : {}) },
    metadata: {},
  }) as NewEvent<ChallengeEvent>;
const locked = (deviceId: string, lockNumber: number, lockedUntil: string): NewEvent =>
  ({ type: 'DeviceLocked', data: { deviceId, failures: 3, lockNumber, lockedAt: AT, lockedUntil }, metadata: {} }) as NewEvent<ChallengeEvent>;
const unlocked = (deviceId: string): NewEvent => ({ type: 'DeviceUnlocked', data: { deviceId, reason: null, unlockedAt: AT }, metadata: {} }) as NewEvent<ChallengeEvent>;

let streams = 0;
const append = (store: EventStore, ...events: NewEvent[]) => store.appendToStream(`challenge-${++streams}`, 0, events);

function contract(name: string, open: () => Promise<{ store: EventStore; lockouts: DeviceLockoutRepository; close(): Promise<void> }>): void {
  describe(`${name}: the lockout record`, () => {
    let store: EventStore;
    let lockouts: DeviceLockoutRepository;
    let close: () => Promise<void>;
    beforeAll(async () => ({ store, lockouts, close } = await open()));
    afterAll(() => close());

    it('counts counted failures, takes a lock, and forgets on a clearing success or an unlock', async () => {
      const id = `${name}-dev-1`;
      expect(await lockouts.get(id)).toEqual({ consecutiveFailures: 0, lockNumber: 0, lockedUntil: null });
      await append(store, failed(id));
      await append(store, failed(id, 'DEVICE_REVOKED'));
      await append(store, failed(id));
      expect(await lockouts.get(id)).toEqual({ consecutiveFailures: 2, lockNumber: 0, lockedUntil: null });
      await append(store, failed(id), locked(id, 1, '2026-11-21T10:01:00.000Z'));
      expect(await lockouts.get(id)).toEqual({ consecutiveFailures: 0, lockNumber: 1, lockedUntil: '2026-11-21T10:01:00.000Z' });
      await append(store, succeeded(id, false));
      expect((await lockouts.get(id)).lockNumber).toBe(1);
      await append(store, succeeded(id, true));
      expect(await lockouts.get(id)).toEqual({ consecutiveFailures: 0, lockNumber: 0, lockedUntil: null });
      await append(store, failed(id), locked(id, 1, '2026-11-21T10:02:00.000Z'));
      await append(store, unlocked(id));
      expect(await lockouts.get(id)).toEqual({ consecutiveFailures: 0, lockNumber: 0, lockedUntil: null });
    });

    it('keeps no record for devices that only succeed', async () => {
      const id = `${name}-dev-2`;
      await append(store, succeeded(id, false));
      expect(await lockouts.get(id)).toEqual({ consecutiveFailures: 0, lockNumber: 0, lockedUntil: null });
    });

    it('counts every one of concurrent failures of one device', async () => {
      const id = `${name}-dev-3`;
      await Promise.all(Array.from({ length: 8 }, () => append(store, failed(id))));
      expect((await lockouts.get(id)).consecutiveFailures).toBe(8);
    });
  });
}

contract('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'm2m-lockout-'));
  const database: SqliteDatabase = await openSqliteDatabase(dir, [DeviceLockouts1763700000600]);
  const projection = new SqliteDeviceLockoutProjection(database.db);
  const store = new SqliteEventStore(database.db, [projection], clock, noBus);
  return {
    store,
    lockouts: projection,
    close: async () => {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

contract('PostgreSQL', async () => {
  const schema = uniqueSchema('lockout');
  const database: PostgresDatabase = await openPostgresDatabase({
    url: TEST_DATABASE_URL,
    schema,
    migrations: [PostgresEventStore1763700001000, PostgresDeviceLockouts1763700001600],
    applicationName: 'lockout-spec',
  });
  const projection = new PostgresDeviceLockoutProjection(database.pool);
  return {
    store: new PostgresEventStore(database, [projection], clock),
    lockouts: projection,
    close: async () => {
      await database.close();
      await dropSchema(schema);
    },
  };
});
