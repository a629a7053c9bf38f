// The API key projection on both stores, through their event stores: SQLite (the embedded gateway) and
// PostgreSQL (the registry service; M2M_TEST_DATABASE_URL names the server).
import type { EventStore } from '@m2m-trust/shared-contracts';
import { openSqliteDatabase, SqliteEventStore } from '@m2m-trust/shared-data-access/sqlite';
import { ErrorCode } from '@m2m-trust/shared-domain';
import { apiKeyStreamId } from '@m2m-trust/shared-events';
import { openPostgresDatabase, PostgresEventStore, PostgresEventStore1763700001000 } from '@m2m-trust/shared-postgres';
import { dropSchema, TEST_DATABASE_URL, uniqueSchema } from '@m2m-trust/shared-postgres/testing';

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { ApiKeyReadRepository } from '../api-key.repository';
import { apiKeyCommands, clock, HASH, meta } from '../api-key.test-commands';
import { ApiKeys1763700000610 } from '../sqlite/api-keys.migration';
import { SqliteApiKeyProjection } from '../sqlite/sqlite-api-key.projection';
import { PostgresApiKeys1763700001700 } from './api-keys.migration';
import { PostgresApiKeyProjection } from './postgres-api-key.projection';


interface Opened {
  readonly store: EventStore;
  readonly keys: ApiKeyReadRepository;
  close(): Promise<void>;
}

function contract(name: string, open: () => Promise<Opened>): void {
  describe(`${name}: the API key projection`, () => {
    let store: EventStore;
    let keys: ApiKeyReadRepository;
    let close: () => Promise<void>;
    // One store per test: the list's order is the whole table's.
    beforeEach(async () => ({ store, keys, close } = await open()));
    afterEach(() => close());

    const { create, revoke } = apiKeyCommands(() => store);

    it('holds a key once its ApiKeyCreated commits: the hash, never a secret', async () => {
      await create('a1', { scopes: ['audit:read', 'devices:read'], expiresAt: '2027-01-01T00:00:00Z' });
      expect(await keys.get('a1')).toEqual({
        apiKeyId: 'a1',
        name: 'key a1',
        scopes: ['devices:read', 'audit:read'],
        secretHash: HASH,
        createdAt: '2026-11-21T08:00:00.000Z',
        expiresAt: '2027-01-01T00:00:00.000Z',
        revokedAt: null,
        revocationReason: null,
        version: 1,
        createdPosition: 1,
      });
      expect(await keys.get('missing')).toBeNull();
    });

    it('marks a key revoked, and a second revocation records and changes nothing', async () => {
      await create('a1');
      await revoke('a1');
      const first = await keys.get('a1');
      expect(first).toMatchObject({ revokedAt: '2026-11-22T08:00:00.000Z', revocationReason: 'rotated', version: 2 });
      expect((await revoke('a1')).events).toHaveLength(0);
      expect(await keys.get('a1')).toEqual(first);
    });

    it('lists every key in creation order', async () => {
      await create('b2');
      await create('a1');
      await revoke('b2');
      expect((await keys.list()).map((view) => [view.apiKeyId, view.revokedAt !== null, view.createdPosition])).toEqual([
        ['b2', true, 1],
        ['a1', false, 2],
      ]);
    });

    it('commits with the events or not at all: a row the table refuses takes its event with it', async () => {
      await create('a1');
      const malformed = { apiKeyId: 'a2', name: 'bad', scopes: ['devices:read' as const], expiresAt: null, secretHash: 'short', createdAt: clock.now().toISOString() };
      await expect(store.appendToStream(apiKeyStreamId('a2'), 0, [{ type: 'ApiKeyCreated', data: malformed, metadata: meta }])).rejects.toBeDefined();
      expect((await store.readStream(apiKeyStreamId('a2'))).events).toHaveLength(0);
      expect(await keys.get('a2')).toBeNull();
      await expect(revoke('missing')).rejects.toMatchObject({ code: ErrorCode.ApiKeyNotFound });
      expect((await keys.list()).map((view) => view.apiKeyId)).toEqual(['a1']);
    });
  });
}

contract('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'm2m-access-'));
  const database = await openSqliteDatabase(dir, [ApiKeys1763700000610]);
  const projection = new SqliteApiKeyProjection(database.db);
  return {
    store: new SqliteEventStore(database.db, [projection], clock),
    keys: projection,
    close: async () => {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

contract('PostgreSQL', async () => {
  const schema = uniqueSchema('apikeys');
  const database = await openPostgresDatabase({
    url: TEST_DATABASE_URL,
    schema,
    migrations: [PostgresEventStore1763700001000, PostgresApiKeys1763700001700],
    applicationName: 'api-keys-spec',
  });
  const projection = new PostgresApiKeyProjection(database.pool);
  return {
    store: new PostgresEventStore(database, [projection], clock),
    keys: projection,
    close: async () => {
      await database.close();
      await dropSchema(schema);
    },
  };
});
