import { DEVICE_CREDENTIALS_REPOSITORY, type DeviceCredentials, type DeviceCredentialsRepository } from '@m2m-trust/challenge-data-access';
import { EVENT_BUS, type EventBus } from '@m2m-trust/shared-contracts';
import { ed25519KeyObject } from '@m2m-trust/shared-crypto';
import type { RecordedEvent } from '@m2m-trust/shared-events';

import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';

/**
 * A key no one holds: an unknown device's proof (a challenge signature, a client assertion) is checked against it,
 * so refusing it costs what refusing any other does and its timing tells no one the device is unknown.
 */
export const NOBODYS_KEY = generateKeyPairSync('ed25519').publicKey;

export interface CachedCredentials extends DeviceCredentials {
  /** Parsed once, so the verify path never parses a key. */
  readonly key: KeyObject;
}

const MAX_ENTRIES = 100_000;

/**
 * Device keys and standing for the verify path, parsed once. Entries are
 * dropped when the bus reports a change to the device, which happens after the
 * change commits and before its caller is answered.
 */
@Injectable()
export class DeviceCredentialsCache implements OnModuleInit, OnModuleDestroy {
  private readonly entries = new Map<string, CachedCredentials>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    @Inject(DEVICE_CREDENTIALS_REPOSITORY) private readonly repository: DeviceCredentialsRepository,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.bus.subscribe(['DeviceRegistered', 'DeviceRevoked'], (event: RecordedEvent) => {
      this.invalidate((event.data as { deviceId: string }).deviceId);
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  async get(deviceId: string): Promise<CachedCredentials | null> {
    const hit = this.entries.get(deviceId);
    if (hit) return hit;
    const credentials = await this.repository.get(deviceId);
    return credentials ? this.remember(credentials) : null;
  }

  /**
   * The device as the shared table has it now, with the cached parsed key when
   * it is still current: for paths no append condition guards (a bearer token
   * or a signed request on GET /v1/me). Another instance's revocation reaches
   * this instance's cache only through its own consumer, which may be another
   * instance; the table is where every instance sees it at once.
   */
  async current(deviceId: string): Promise<CachedCredentials | null> {
    const fresh = await this.repository.get(deviceId);
    if (!fresh) return null;
    const hit = this.entries.get(deviceId);
    return hit && hit.version === fresh.version ? hit : this.remember(fresh);
  }

  /** Parses the key once and keeps the entry (replacing an older one), the oldest dropped when full. */
  private remember(credentials: DeviceCredentials): CachedCredentials {
    const entry = { ...credentials, key: ed25519KeyObject(Buffer.from(credentials.publicKey, 'hex')) };
    this.entries.delete(credentials.deviceId);
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(credentials.deviceId, entry);
    return entry;
  }

  invalidate(deviceId: string): void {
    this.entries.delete(deviceId);
  }
}
