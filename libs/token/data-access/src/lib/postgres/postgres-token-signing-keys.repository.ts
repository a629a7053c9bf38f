import type { PgExecutor } from '@m2m-trust/shared-postgres';

import { createPrivateKey } from 'node:crypto';

import type { StoredTokenSigningKey, TokenSigningKeyRepository } from '../token-signing-keys.repository';

interface Row {
  generation: number;
  kid: string;
  private_key: string;
  created_at: Date;
  activates_at: Date;
}

/**
 * The signing ring in the challenge service's schema (the service that issues tokens), shared by every
 * instance: one row per generation, so of two instances rotating at once the
 * second insert does nothing and both then read the first one's key.
 */
export class PostgresTokenSigningKeyRepository implements TokenSigningKeyRepository {
  constructor(private readonly pool: PgExecutor) {}

  async list(): Promise<StoredTokenSigningKey[]> {
    const { rows } = await this.pool.query<Row>('SELECT generation, kid, private_key, created_at, activates_at FROM token_signing_keys ORDER BY generation');
    return rows.map((row) => ({
      generation: row.generation,
      kid: row.kid,
      privateKey: createPrivateKey(row.private_key),
      createdAt: row.created_at,
      activatesAt: row.activates_at,
    }));
  }

  async add(key: StoredTokenSigningKey): Promise<boolean> {
    const pem = key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const { rowCount } = await this.pool.query(
      'INSERT INTO token_signing_keys (generation, kid, private_key, created_at, activates_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
      [key.generation, key.kid, pem, key.createdAt, key.activatesAt],
    );
    return rowCount === 1;
  }

  async deleteBelow(generation: number): Promise<void> {
    await this.pool.query('DELETE FROM token_signing_keys WHERE generation < $1', [generation]);
  }
}
