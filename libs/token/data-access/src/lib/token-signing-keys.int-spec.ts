import { openSqliteDatabase, type SqliteDatabase } from '@m2m-trust/shared-data-access/sqlite';
import { openPostgresDatabase, type PostgresDatabase } from '@m2m-trust/shared-postgres';
import { dropSchema, TEST_DATABASE_URL, uniqueSchema } from '@m2m-trust/shared-postgres/testing';

import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { PostgresTokenSigningKeyRepository } from './postgres/postgres-token-signing-keys.repository';
import { PostgresTokenSigningKeys1763700001260 } from './postgres/token-signing-keys.migration';
import { SqliteTokenSigningKeyRepository } from './sqlite/sqlite-token-signing-keys.repository';
import { TokenSigningKeys1763700000260 } from './sqlite/token-signing-keys.migration';
import type { StoredTokenSigningKey, TokenSigningKeyRepository } from './token-signing-keys.repository';

const newKey = (generation: number, kid = `kid-${generation}-${Math.random().toString(36).slice(2)}`): StoredTokenSigningKey => ({
  generation,
  kid,
  privateKey: generateKeyPairSync('ed25519').privateKey,
  createdAt: new Date(Date.UTC(2026, 2, 1, 0, generation, 0, 123)),
  activatesAt: new Date(Date.UTC(2026, 2, 1, 1, generation, 0, 456)),
});

/** The same contract against both stores. */
function behavesAsTheSigningKeyStore(open: () => Promise<{ repository: TokenSigningKeyRepository; close(): Promise<void> }>): void {
  let repository: TokenSigningKeyRepository;
  let close: () => Promise<void>;
  beforeEach(async () => ({ repository, close } = await open()));
  afterEach(() => close());

  it('keeps a key, private half included, with its times to the millisecond', async () => {
    const key = newKey(1);
    expect(await repository.add(key)).toBe(true);
    const [stored] = await repository.list();
    expect(stored).toEqual({ ...key, privateKey: expect.anything() });
    // The key read back signs what the original public key verifies.
    const message = Buffer.from('a token');
    const signature = sign(null, message, stored!.privateKey);
    expect(verify(null, message, key.privateKey, signature)).toBe(true);
    expect(String(stored!.privateKey)).not.toContain('PRIVATE KEY');
  });

  it('stores one key per generation and per kid: the first add wins, later ones change nothing', async () => {
    const winner = newKey(1);
    expect(await repository.add(winner)).toBe(true);
    expect(await repository.add(newKey(1))).toBe(false);
    expect(await repository.add(newKey(2, winner.kid))).toBe(false);
    expect((await repository.list()).map((key) => key.kid)).toEqual([winner.kid]);
  });

  it('settles concurrent adds of one generation on exactly one key', async () => {
    const racing = [newKey(1), newKey(1), newKey(1), newKey(1)];
    const results = await Promise.all(racing.map((key) => repository.add(key)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const stored = await repository.list();
    expect(stored).toHaveLength(1);
    expect(stored[0]?.kid).toBe(racing[results.indexOf(true)]?.kid);
  });

  it('lists by generation and deletes the generations below a bound', async () => {
    for (const generation of [3, 1, 2, 4]) await repository.add(newKey(generation));
    expect((await repository.list()).map((key) => key.generation)).toEqual([1, 2, 3, 4]);
    await repository.deleteBelow(3);
    expect((await repository.list()).map((key) => key.generation)).toEqual([3, 4]);
    await repository.deleteBelow(3);
    expect((await repository.list()).map((key) => key.generation)).toEqual([3, 4]);
  });
}

describe('SqliteTokenSigningKeyRepository (real SQLite)', () => {
  behavesAsTheSigningKeyStore(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'm2m-token-keys-'));
    const database: SqliteDatabase = await openSqliteDatabase(dir, [TokenSigningKeys1763700000260]);
    return {
      repository: new SqliteTokenSigningKeyRepository(database.db),
      close: async () => {
        await database.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
});

describe('PostgresTokenSigningKeyRepository (real PostgreSQL)', () => {
  const schemas: string[] = [];
  afterAll(async () => {
    for (const schema of schemas) await dropSchema(schema);
  });

  behavesAsTheSigningKeyStore(async () => {
    const schema = uniqueSchema('token_keys');
    schemas.push(schema);
    const database: PostgresDatabase = await openPostgresDatabase({
      url: TEST_DATABASE_URL,
      schema,
      migrations: [PostgresTokenSigningKeys1763700001260],
      applicationName: 'token-keys-int-spec',
    });
    return { repository: new PostgresTokenSigningKeyRepository(database.pool), close: () => database.close() };
  });
});
