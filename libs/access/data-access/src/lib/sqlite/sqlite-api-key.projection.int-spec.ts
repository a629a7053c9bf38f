import { openSqliteDatabase, type SqliteDatabase, SqliteEventStore } from '@m2m-trust/shared-data-access/sqlite';

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { apiKeyCommands, clock } from '../api-key.test-commands';
import { ApiKeys1763700000610 } from './api-keys.migration';
import { SqliteApiKeyProjection } from './sqlite-api-key.projection';

describe('SqliteApiKeyProjection (real SQLite, inline with the event store): its own concerns', () => {
  let database: SqliteDatabase;
  let projection: SqliteApiKeyProjection;
  let store: SqliteEventStore;

  const { create, revoke } = apiKeyCommands(() => store);

  beforeEach(async () => {
    database = await openSqliteDatabase(mkdtempSync(join(tmpdir(), 'm2m-access-')), [ApiKeys1763700000610]);
    projection = new SqliteApiKeyProjection(database.db);
    store = new SqliteEventStore(database.db, [projection], clock);
  });
  afterEach(() => database.close());

  // The behaviour both stores share is in api-key.projections.int-spec.ts; what is SQLite's own is here.
  it('has no column a secret could be kept in', async () => {
    await create('a1');
    const columns = database.db.prepare('SELECT * FROM api_keys').all() as Record<string, unknown>[];
    expect(Object.keys(columns[0]!)).not.toContain('secret');
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
