import { createPrivateKey } from 'node:crypto';
import type Database from 'better-sqlite3';

import type { StoredTokenSigningKey, TokenSigningKeyRepository } from '../token-signing-keys.repository';

interface Row {
  generation: number;
  kid: string;
  private_key: string;
  created_at: string;
  activates_at: string;
}

/** The embedded server's signing ring, in its one SQLite file. */
export class SqliteTokenSigningKeyRepository implements TokenSigningKeyRepository {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      list: db.prepare<[], Row>('SELECT * FROM token_signing_keys ORDER BY generation'),
      add: db.prepare<[number, string, string, string, string]>(
        'INSERT INTO token_signing_keys (generation, kid, private_key, created_at, activates_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
      ),
      deleteBelow: db.prepare<[number]>('DELETE FROM token_signing_keys WHERE generation < ?'),
    };
  }

  async list(): Promise<StoredTokenSigningKey[]> {
    return this.s.list.all().map((row) => ({
      generation: row.generation,
      kid: row.kid,
      privateKey: createPrivateKey(row.private_key),
      createdAt: new Date(row.created_at),
      activatesAt: new Date(row.activates_at),
    }));
  }

  async add(key: StoredTokenSigningKey): Promise<boolean> {
    const pem = key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    return this.s.add.run(key.generation, key.kid, pem, key.createdAt.toISOString(), key.activatesAt.toISOString()).changes === 1;
  }

  async deleteBelow(generation: number): Promise<void> {
    this.s.deleteBelow.run(generation);
  }
}
