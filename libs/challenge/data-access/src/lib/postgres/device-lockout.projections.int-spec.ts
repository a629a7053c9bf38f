// The lockout record on both stores, through their event stores: SQLite (embedded) and PostgreSQL
// (the challenge service; npm test starts it, M2M_TEST_DATABASE_URL overrides).
import { CLEAN_LOCKOUT } from '@m2m-trust/challenge-domain';
import type { EventStore } from '@m2m-trust/shared-contracts';
import { openSqliteDatabase, type SqliteDatabase, SqliteEventStore } from '@m2m-trust/shared-data-access/sqlite';
import type { ChallengeEvent, NewEvent } from '@m2m-trust/shared-events';
import { openPostgresDatabase, type PostgresDatabase, PostgresEventStore, PostgresEventStore1763700001000 } from '@m2m-trust/shared-postgres';
import { dropSchema, TEST_DATABASE_URL, uniqueSchema } from '@m2m-trust/shared-postgres/testing';

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { DeviceLockoutRepository } from '../device-lockout.repository';
import { DeviceLockoutDetails1763700004100 } from '../sqlite/device-lockout-details.migration';
import { DeviceLockouts1763700000600 } from '../sqlite/device-lockouts.migration';
import { SqliteDeviceLockoutProjection } from '../sqlite/sqlite-device-lockout.projection';
import { PostgresDeviceLockoutDetails1763700004110 } from './device-lockout-details.migration';
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
/** An automatic lock as recorded before issue 17 (no reason): databases hold them, and they still fold. */
const legacyLocked = (deviceId: string, lockNumber: number, lockedUntil: string): NewEvent =>
  ({ type: 'DeviceLocked', data: { deviceId, failures: 3, lockNumber, lockedAt: AT, lockedUntil }, metadata: {} }) as NewEvent<ChallengeEvent>;
const operatorLocked = (deviceId: string, lockedUntil: string | null): NewEvent =>
  ({ type: 'DeviceLocked', data: { deviceId, failures: 1, lockNumber: 1, lockedAt: AT, lockedUntil, reason: 'stolen' }, metadata: {} }) as NewEvent<ChallengeEvent>;
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

    it('counts failures with the last one, folds old automatic locks and operator locks, and forgets on a clearing success or an unlock', async () => {
      const id = `${name}-dev-1`;
      expect(await lockouts.get(id)).toEqual(CLEAN_LOCKOUT);
      await append(store, failed(id));
      await append(store, failed(id, 'DEVICE_REVOKED'));
      expect(await lockouts.get(id)).toEqual({ ...CLEAN_LOCKOUT, consecutiveFailures: 2, lastFailureAt: AT, lastFailureReason: 'DEVICE_REVOKED' });
      await append(store, failed(id), legacyLocked(id, 1, '2026-11-21T10:01:00.000Z'));
      expect(await lockouts.get(id)).toMatchObject({ consecutiveFailures: 0, lockNumber: 1, lockedUntil: '2026-11-21T10:01:00.000Z', lockedIndefinitely: false, lockReason: null });
      await append(store, succeeded(id, false));
      expect((await lockouts.get(id)).lockNumber).toBe(1);
      await append(store, succeeded(id, true));
      expect(await lockouts.get(id)).toEqual(CLEAN_LOCKOUT);
      await append(store, failed(id), operatorLocked(id, null));
      expect(await lockouts.get(id)).toMatchObject({ consecutiveFailures: 1, lockNumber: 1, lockedUntil: null, lockedIndefinitely: true, lockReason: 'stolen' });
      await append(store, unlocked(id));
      expect(await lockouts.get(id)).toEqual(CLEAN_LOCKOUT);
    });

    it('keeps no record for devices that only succeed, nor for made-up device ids', async () => {
      const id = `${name}-dev-2`;
      await append(store, succeeded(id, false));
      expect(await lockouts.get(id)).toEqual(CLEAN_LOCKOUT);
      await append(store, failed(`${name}-nobody`, 'DEVICE_NOT_FOUND'));
      expect(await lockouts.get(`${name}-nobody`)).toEqual(CLEAN_LOCKOUT);
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
  const database: SqliteDatabase = await openSqliteDatabase(dir, [DeviceLockouts1763700000600, DeviceLockoutDetails1763700004100]);
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
    migrations: [PostgresEventStore1763700001000, PostgresDeviceLockouts1763700001600, PostgresDeviceLockoutDetails1763700004110],
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
