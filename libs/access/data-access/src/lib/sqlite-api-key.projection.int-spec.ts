import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { apiKeyDecider } from '@m2m-trust/access-domain';
import { type Clock, decideAndAppend } from '@m2m-trust/shared-contracts';
import { openSqliteDatabase, type SqliteDatabase, SqliteEventStore } from '@m2m-trust/shared-data-access';
import { ErrorCode } from '@m2m-trust/shared-domain';
import { apiKeyStreamId } from '@m2m-trust/shared-events';

import { ApiKeys1763700000610 } from './api-keys.migration';
import { SqliteApiKeyProjection } from './sqlite-api-key.projection';

const clock: Clock = { now: () => new Date('2026-11-21T08:00:00.000Z') };
const HASH = 'c'.repeat(64);
const meta = { actor: 'api-key:admin', requestId: 'r1' };

describe('SqliteApiKeyProjection (real SQLite, inline with the event store)', () => {
  let database: SqliteDatabase;
  let projection: SqliteApiKeyProjection;
  let store: SqliteEventStore;

  const create = (apiKeyId: string, overrides: Record<string, unknown> = {}) =>
    decideAndAppend(
      store,
      apiKeyStreamId(apiKeyId),
      apiKeyDecider,
      {
        type: 'CreateApiKey',
        data: { apiKeyId, name: `key ${apiKeyId}`, scopes: ['devices:read'], expiresAt: null, secretHash: HASH, now: clock.now().toISOString(), ...overrides },
      },
      meta,
    );
  const revoke = (apiKeyId: string) =>
    decideAndAppend(store, apiKeyStreamId(apiKeyId), apiKeyDecider, { type: 'RevokeApiKey', data: { apiKeyId, reason: 'rotated', now: '2026-11-22T08:00:00.000Z' } }, meta);

  beforeEach(async () => {
    database = await openSqliteDatabase(mkdtempSync(join(tmpdir(), 'm2m-access-')), [ApiKeys1763700000610]);
    projection = new SqliteApiKeyProjection(database.db);
    store = new SqliteEventStore(database.db, [projection], clock);
  });
  afterEach(() => database.close());

  it('holds a key once its ApiKeyCreated commits: the hash, never a secret', async () => {
    await create('a1', { scopes: ['audit:read', 'devices:read'], expiresAt: '2027-01-01T00:00:00Z' });
    expect(await projection.get('a1')).toEqual({
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
    const columns = database.db.prepare('SELECT * FROM api_keys').all() as Record<string, unknown>[];
    expect(Object.keys(columns[0]!)).not.toContain('secret');
  });

  it('marks a key revoked, and a second revocation records and changes nothing', async () => {
    await create('a1');
    await revoke('a1');
    const first = await projection.get('a1');
    expect(first).toMatchObject({ revokedAt: '2026-11-22T08:00:00.000Z', revocationReason: 'rotated', version: 2 });
    expect((await revoke('a1')).events).toHaveLength(0);
    expect(await projection.get('a1')).toEqual(first);
  });

  it('lists every key in creation order', async () => {
    await create('b2');
    await create('a1');
    await revoke('b2');
    expect((await projection.list()).map((view) => [view.apiKeyId, view.revokedAt !== null])).toEqual([
      ['b2', true],
      ['a1', false],
    ]);
  });

  it('commits with the events or not at all: a row the table refuses takes its event with it', async () => {
    await create('a1');
    const malformed = { apiKeyId: 'a2', name: 'bad', scopes: ['devices:read' as const], expiresAt: null, secretHash: 'short', createdAt: clock.now().toISOString() };
    // better-sqlite3's error may come from another realm than Jest's sandbox, so match its code rather than its class.
    await expect(store.appendToStream(apiKeyStreamId('a2'), 0, [{ type: 'ApiKeyCreated', data: malformed, metadata: meta }])).rejects.toHaveProperty(
      'code',
      'SQLITE_CONSTRAINT_CHECK',
    );
    expect((await store.readStream(apiKeyStreamId('a2'))).events).toHaveLength(0);
    await expect(revoke('missing')).rejects.toMatchObject({ code: ErrorCode.ApiKeyNotFound });
    expect((await projection.list()).map((view) => view.apiKeyId)).toEqual(['a1']);
    expect(store.readAll(0, 10).map((event) => event.type)).toEqual(['ApiKeyCreated']);
  });

  it('rebuilds to the same rows from the events after the table is emptied', async () => {
    await create('a1');
    await create('b2');
    await revoke('a1');
    const before = await projection.list();
    database.db.exec("DELETE FROM api_keys; DELETE FROM projection_checkpoints WHERE name = 'access.api-keys'");
    expect(store.catchUpProjections()).toBe(3);
    expect(await projection.list()).toEqual(before);
  });
});
