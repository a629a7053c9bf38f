import { assertUnreachable } from '@m2m-trust/shared-domain';
import type { DeviceEvent, RecordedEvent } from '@m2m-trust/shared-events';
import type { PgExecutor, PostgresProjection } from '@m2m-trust/shared-postgres';

import type { DeviceCredentials, DeviceCredentialsRepository } from '../device-credentials.repository';

interface Row {
  device_id: string;
  public_key: string;
  key_thumbprint: string;
  status: 'active' | 'revoked';
  version: number;
}

const DEVICE_STREAM = /^device-(.+)$/s;

/**
 * Device keys and standing as the challenge service sees them, in its own
 * schema, written by the consumer of the registry's topic. Idempotent by the
 * device stream's version, so redelivered or reordered messages change
 * nothing. Every challenge-service instance reads this one table, which is how
 * a revocation applied once holds on all of them.
 */
export class PostgresDeviceCredentialsProjection implements PostgresProjection, DeviceCredentialsRepository {
  readonly name = 'challenge.device-credentials';
  readonly handles = ['DeviceRegistered', 'DeviceRevoked'] as const;

  constructor(private readonly pool: PgExecutor) {}

  async apply(tx: PgExecutor, recorded: RecordedEvent): Promise<void> {
    const event = recorded as RecordedEvent<DeviceEvent>;
    switch (event.type) {
      case 'DeviceRegistered':
        await tx.query(
          `INSERT INTO device_credentials (device_id, public_key, key_thumbprint, status, version) VALUES ($1, $2, $3, 'active', $4)
           ON CONFLICT (device_id) DO NOTHING`,
          [event.data.deviceId, event.data.publicKey, event.data.keyThumbprint, event.streamVersion],
        );
        return;
      case 'DeviceRevoked':
        await tx.query("UPDATE device_credentials SET status = 'revoked', version = $1 WHERE device_id = $2 AND version < $1", [
          event.streamVersion,
          event.data.deviceId,
        ]);
        return;
      default:
        return assertUnreachable(event);
    }
  }

  async get(deviceId: string): Promise<DeviceCredentials | null> {
    const row = (await this.pool.query<Row>('SELECT * FROM device_credentials WHERE device_id = $1', [deviceId])).rows[0];
    return row ? toCredentials(row) : null;
  }

  /**
   * Whether the device reaches a standing within `timeoutMs`: 'registered' once
   * it is known at all (a revoked device was registered first), 'revoked' once
   * revoked. The read-your-writes barrier a gateway waits on after a registry change.
   */
  async awaitStanding(deviceId: string, standing: 'registered' | 'revoked', timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (let pause = 2; ; pause = Math.min(pause * 2, 25)) {
      const current = await this.get(deviceId);
      if (current && (standing === 'registered' || current.status === 'revoked')) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resume) => setTimeout(resume, pause));
    }
  }

  /**
   * Where the challenge store reads a device stream's version for a verify's
   * (or an issue's) append condition: this table, which the store locks FOR
   * SHARE in the append. A revocation's update waits for an append in flight;
   * an append after it sees the new version and retries on fresh credentials.
   */
  readonly conditionSource = (streamId: string): { select: string; key: string } | undefined => {
    const match = DEVICE_STREAM.exec(streamId);
    return match ? { select: 'SELECT version FROM device_credentials WHERE device_id = {key}', key: match[1] as string } : undefined;
  };
}

const toCredentials = (row: Row): DeviceCredentials => ({
  deviceId: row.device_id,
  publicKey: row.public_key,
  keyThumbprint: row.key_thumbprint,
  status: row.status,
  version: row.version,
});
