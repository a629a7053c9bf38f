import { apiKeyProjectionHandles, type ApiKeyView, evolveApiKeyView } from '@m2m-trust/access-domain';
import type { ApiKeyEvent, ApiKeyScope, RecordedEvent } from '@m2m-trust/shared-events';
import type { PgExecutor, PostgresProjection } from '@m2m-trust/shared-postgres';

import type { ApiKeyReadRepository } from '../api-key.repository';

interface ApiKeyRow {
  api_key_id: string;
  name: string;
  scopes: ApiKeyScope[];
  secret_hash: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  revocation_reason: string | null;
  version: number;
  created_position: string;
}

const toView = (row: ApiKeyRow): ApiKeyView => ({
  apiKeyId: row.api_key_id,
  name: row.name,
  scopes: row.scopes,
  secretHash: row.secret_hash,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
  revocationReason: row.revocation_reason,
  version: row.version,
  createdPosition: Number(row.created_position),
});

/**
 * The API keys in the registry service's schema, written in the append's
 * transaction: a key is accepted the moment its ApiKeyCreated commits and
 * refused by the registry the moment its ApiKeyRevoked does (other processes
 * ask the registry, docs/api-keys.md). The row is locked while it is evolved,
 * so concurrent revocations of one key serialise.
 */
export class PostgresApiKeyProjection implements PostgresProjection, ApiKeyReadRepository {
  readonly name = 'access.api-keys';
  readonly handles = apiKeyProjectionHandles;

  constructor(private readonly pool: PgExecutor) {}

  async apply(tx: PgExecutor, recorded: RecordedEvent): Promise<void> {
    const event = recorded as RecordedEvent<ApiKeyEvent>;
    const current = (await tx.query<ApiKeyRow>('SELECT * FROM api_keys WHERE api_key_id = $1 FOR UPDATE', [event.data.apiKeyId])).rows[0];
    const next = evolveApiKeyView(current ? toView(current) : null, event);
    if (!next || next.version === current?.version) return;
    await tx.query(
      `INSERT INTO api_keys (api_key_id, name, scopes, secret_hash, created_at, expires_at, revoked_at, revocation_reason, version, created_position)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (api_key_id) DO UPDATE SET revoked_at = EXCLUDED.revoked_at, revocation_reason = EXCLUDED.revocation_reason, version = EXCLUDED.version`,
      [
        next.apiKeyId,
        next.name,
        JSON.stringify(next.scopes),
        next.secretHash,
        next.createdAt,
        next.expiresAt,
        next.revokedAt,
        next.revocationReason,
        next.version,
        next.createdPosition,
      ],
    );
  }

  async get(apiKeyId: string): Promise<ApiKeyView | null> {
    const { rows } = await this.pool.query<ApiKeyRow>('SELECT * FROM api_keys WHERE api_key_id = $1', [apiKeyId]);
    return rows[0] ? toView(rows[0]) : null;
  }

  async list(): Promise<readonly ApiKeyView[]> {
    const { rows } = await this.pool.query<ApiKeyRow>('SELECT * FROM api_keys ORDER BY created_position');
    return rows.map(toView);
  }
}
