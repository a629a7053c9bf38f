import { deviceProjectionHandles, type DeviceView, evolveDeviceView } from '@m2m-trust/registry-domain';
import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import type { DeviceEvent, DeviceStatus, RecordedEvent } from '@m2m-trust/shared-events';
import type { PgExecutor, PostgresProjection } from '@m2m-trust/shared-postgres';

import type { DevicePage, DeviceReadRepository } from '../device.repository';

interface DeviceRow {
  device_id: string;
  public_key: string;
  key_thumbprint: string;
  label: string;
  metadata: Record<string, unknown>;
  status: DeviceStatus;
  created_at: string;
  revoked_at: string | null;
  revocation_reason: string | null;
  version: number;
  registered_position: string;
}

const toView = (row: DeviceRow): DeviceView => ({
  deviceId: row.device_id,
  publicKey: row.public_key,
  keyThumbprint: row.key_thumbprint,
  label: row.label,
  metadata: row.metadata,
  status: row.status,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
  revocationReason: row.revocation_reason,
  version: row.version,
  registeredPosition: Number(row.registered_position),
});

const UNIQUE_VIOLATION = '23505';

/**
 * The registry service's device list on PostgreSQL, written in the append's
 * transaction. Its unique public_key constraint is what makes
 * DUPLICATE_PUBLIC_KEY hold under concurrent registrations.
 */
export class PostgresDeviceProjection implements PostgresProjection, DeviceReadRepository {
  readonly name = 'registry.devices';
  readonly handles = deviceProjectionHandles;

  constructor(private readonly pool: PgExecutor) {}

  async apply(tx: PgExecutor, event: RecordedEvent): Promise<void> {
    const deviceId = (event as RecordedEvent<DeviceEvent>).data.deviceId;
    const current = (await tx.query<DeviceRow>('SELECT * FROM devices WHERE device_id = $1', [deviceId])).rows[0];
    const next = evolveDeviceView(current ? toView(current) : null, event as RecordedEvent<DeviceEvent>);
    if (!next || next.version === current?.version) return;
    try {
      await tx.query(
        `INSERT INTO devices (device_id, public_key, key_thumbprint, label, metadata, status, created_at, revoked_at, revocation_reason, version, registered_position)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (device_id) DO UPDATE SET status = EXCLUDED.status, revoked_at = EXCLUDED.revoked_at,
           revocation_reason = EXCLUDED.revocation_reason, version = EXCLUDED.version`,
        [
          next.deviceId,
          next.publicKey,
          next.keyThumbprint,
          next.label,
          JSON.stringify(next.metadata),
          next.status,
          next.createdAt,
          next.revokedAt,
          next.revocationReason,
          next.version,
          next.registeredPosition,
        ],
      );
    } catch (error) {
      const pgError = error as { code?: string; constraint?: string };
      if (pgError.code === UNIQUE_VIOLATION && pgError.constraint === 'devices_public_key_unique') {
        throw new DomainError(ErrorCode.DuplicatePublicKey, 'This public key is already registered to another device');
      }
      throw error;
    }
  }

  async get(deviceId: string): Promise<DeviceView | null> {
    const row = (await this.pool.query<DeviceRow>('SELECT * FROM devices WHERE device_id = $1', [deviceId])).rows[0];
    return row ? toView(row) : null;
  }

  async findByPublicKey(publicKey: string): Promise<DeviceView | null> {
    const row = (await this.pool.query<DeviceRow>('SELECT * FROM devices WHERE public_key = $1', [publicKey])).rows[0];
    return row ? toView(row) : null;
  }

  async list(filter: { status?: DeviceStatus; after?: number; limit: number }): Promise<DevicePage> {
    const after = filter.after ?? 0;
    // One extra row tells whether another page exists without a second query.
    const { rows } = filter.status
      ? await this.pool.query<DeviceRow>('SELECT * FROM devices WHERE status = $1 AND registered_position > $2 ORDER BY registered_position LIMIT $3', [
          filter.status,
          after,
          filter.limit + 1,
        ])
      : await this.pool.query<DeviceRow>('SELECT * FROM devices WHERE registered_position > $1 ORDER BY registered_position LIMIT $2', [after, filter.limit + 1]);
    const items = rows.slice(0, filter.limit).map(toView);
    const more = rows.length > filter.limit;
    return { items, nextAfter: more ? (items[items.length - 1] as DeviceView).registeredPosition : null };
  }
}
