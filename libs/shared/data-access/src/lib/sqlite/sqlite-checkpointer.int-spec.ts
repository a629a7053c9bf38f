import { eventually } from '@m2m-trust/shared-domain/testing';

import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startBackgroundCheckpointer } from './sqlite-checkpointer';
import { openSqliteDatabase, type SqliteDatabase } from './sqlite-database';

const PAGE = 4096;

describe('background WAL checkpoints (real SQLite, a worker thread)', () => {
  let dir: string;
  let database: SqliteDatabase;
  const file = () => join(dir, 'm2m-trust.sqlite');

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'm2m-checkpoint-'));
    database = await openSqliteDatabase(dir, [], { backgroundCheckpoints: true });
    database.db.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
  });
  afterEach(() => database.close());

  it("copies committed pages into the database file off the writer's thread, and keeps them across a reopen", async () => {
    // Well under the writer's own bound, so only the worker can have moved these pages into the file.
    expect(database.db.pragma('wal_autocheckpoint', { simple: true })).toBe(8192);
    const before = statSync(file()).size;
    const insert = database.db.prepare('INSERT INTO blobs (body) VALUES (?)');
    database.db.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run(Buffer.alloc(PAGE, i % 251));
    })();
    await eventually('the pages in the database file', () => statSync(file()).size >= before + 2000 * PAGE);

    await database.close();
    database = await openSqliteDatabase(dir, []);
    expect(database.db.prepare('SELECT COUNT(*) AS n FROM blobs').get()).toEqual({ n: 2000 });
  });

  it('hands checkpoints back to the writer when the thread cannot start', async () => {
    const checkpointer = startBackgroundCheckpointer(database.db, join(dir, 'no-such.sqlite'));
    await checkpointer.stop();
    expect(database.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });
});
