import { signChallenge } from './challenge.signer';
import { JWT_BEARER_ASSERTION, signClientAssertion } from './client-assertion';
import { type PrivateKeyInput } from './device-keys';
import { type CallOptions, type HttpTransport } from './http.transport';
import { M2MInvalidResponseError } from './m2m.error';
import {
  type AccessToken,
  type Challenge,
  type Device,
  type DeviceLockout,
  type DevicePage,
  type InitiateChallengeInput,
  type IterateDevicesQuery,
  type ListDevicesQuery,
  type LockDeviceInput,
  type RegisterDeviceInput,
  type RequestTokenInput,
  type RevokeDeviceInput,
  type UnlockDeviceInput,
  type VerifyInput,
  type VerifyResult,
} from './m2m.types';
import { asAccessToken, asChallenge, asDevice, asDeviceLockout, asDevicePage, asVerifyResult } from './response.guard';

export interface AuthenticateInput {
  readonly deviceId: string;
  readonly privateKey: PrivateKeyInput;
  /** The service this device means to talk to; defaults to the client's `audience`. */
  readonly audience?: string;
  /** See `ChallengeExpectation.clockToleranceMs`. */
  readonly clockToleranceMs?: number;
}

const DEFAULT_PAGE_SIZE = 100;

/** Devices and challenge-response: `client.m2m`. */
export class M2MApi {
  constructor(
    private readonly http: HttpTransport,
    private readonly audience: string,
    /** Where POST /oauth2/token is: the default `aud` of client assertions. */
    private readonly tokenEndpoint: string,
  ) {}

  /** Operator: registers a device with its Ed25519 public key. 409 `DEVICE_EXISTS` / `DUPLICATE_PUBLIC_KEY`. */
  async registerDevice(input: RegisterDeviceInput, options?: CallOptions): Promise<Device> {
    // Only the documented fields: the service refuses unknown ones, and an object typed wider than its type may carry some.
    const body = {
      deviceId: input.deviceId,
      publicKey: input.publicKey,
      ...(input.label === undefined ? {} : { label: input.label }),
      ...(input.metadata === undefined ? {} : { metadata: input.metadata }),
    };
    return asDevice(await this.http.request({ method: 'POST', target: 'v1/devices', body, authenticated: true, retry: 'refused' }, options));
  }

  /** Operator: one page of devices, in registration order. */
  async listDevices(query: ListDevicesQuery = {}, options?: CallOptions): Promise<DevicePage> {
    const params = new URLSearchParams();
    if (query.status !== undefined) params.set('status', query.status);
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    if (query.cursor !== undefined) params.set('cursor', query.cursor);
    return asDevicePage(
      await this.http.request({ method: 'GET', target: 'v1/devices', query: params, authenticated: true, retry: 'idempotent' }, options),
    );
  }

  /** Operator: every device, page after page, as they are needed. */
  async *iterateDevices(query: IterateDevicesQuery = {}, options?: CallOptions): AsyncGenerator<Device, void, undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.listDevices(
        { ...(query.status ? { status: query.status } : {}), limit: query.pageSize ?? DEFAULT_PAGE_SIZE, ...(cursor ? { cursor } : {}) },
        options,
      );
      yield* page.items;
      if (page.nextCursor !== null && page.nextCursor === cursor) {
        throw new M2MInvalidResponseError(`The service answered the same cursor twice (${cursor}); stopping rather than looping`);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  /** Operator: one device. 404 `DEVICE_NOT_FOUND`. */
  async getDevice(deviceId: string, options?: CallOptions): Promise<Device> {
    return asDevice(
      await this.http.request({ method: 'GET', target: `v1/devices/${encodeURIComponent(deviceId)}`, authenticated: true, retry: 'idempotent' }, options),
    );
  }

  /** Operator: revokes a device; no authentication succeeds for it afterwards. Idempotent. */
  async revokeDevice(deviceId: string, input: RevokeDeviceInput = {}, options?: CallOptions): Promise<Device> {
    return asDevice(
      await this.http.request(
        // Revoking twice answers the revoked device again, so a lost answer may be retried like a read.
        { method: 'POST', target: `v1/devices/${encodeURIComponent(deviceId)}/revoke`,
          body: input.reason === undefined ? {} : { reason: input.reason },
          authenticated: true, retry: 'idempotent' },
        options,
      ),
    );
  }

  /** Operator: a device's failed-authentication record and lock. */
  async getDeviceLockout(deviceId: string, options?: CallOptions): Promise<DeviceLockout> {
    return asDeviceLockout(
      await this.http.request({ method: 'GET', target: `v1/devices/${encodeURIComponent(deviceId)}/lockout`, authenticated: true, retry: 'idempotent' }, options),
    );
  }

  /**
   * Operator: locks a device by hand (audited), until `until` or until unlocked; a new lock replaces the one in force.
   * The device then gets decoy challenges and `DEVICE_LOCKED` on verify. 400 `VALIDATION_FAILED`, 404 `DEVICE_NOT_FOUND`.
   * Not retried on a lost answer: a second lock would be a second audit record.
   */
  async lockDevice(deviceId: string, input: LockDeviceInput, options?: CallOptions): Promise<DeviceLockout> {
    return asDeviceLockout(
      await this.http.request(
        {
          method: 'POST',
          target: `v1/devices/${encodeURIComponent(deviceId)}/lock`,
          body: input.until === undefined ? { reason: input.reason } : { reason: input.reason, until: input.until },
          authenticated: true,
          retry: 'refused',
        },
        options,
      ),
    );
  }

  /** Operator: lifts a device's lock and clears its failures (audited). Idempotent. */
  async unlockDevice(deviceId: string, input: UnlockDeviceInput = {}, options?: CallOptions): Promise<DeviceLockout> {
    return asDeviceLockout(
      await this.http.request(
        {
          method: 'POST',
          target: `v1/devices/${encodeURIComponent(deviceId)}/unlock`,
          body: input.reason === undefined ? {} : { reason: input.reason },
          authenticated: true,
          retry: 'idempotent',
        },
        options,
      ),
    );
  }

  /**
   * Device: asks for a single-use challenge. Every well-formed request gets one: for an unknown, revoked or locked
   * device it is a decoy that never verifies, and only a verify signed with the device's key is told why
   * (docs/abuse-limits.md). 400 `VALIDATION_FAILED`, 429 `RATE_LIMITED`.
   */
  async initiateChallenge(input: InitiateChallengeInput, options?: CallOptions): Promise<Challenge> {
    return asChallenge(
      await this.http.request({ method: 'POST', target: 'v1/challenges', body: { deviceId: input.deviceId }, authenticated: false, retry: 'refused' }, options),
    );
  }

  /**
   * Device: sends the signed challenge. Never retried, not even after a 429,
   * 503 or timeout: the first attempt consumes the challenge whatever its
   * outcome. Ask for a new challenge instead.
   */
  async verify(input: VerifyInput, options?: CallOptions): Promise<VerifyResult> {
    return asVerifyResult(
      await this.http.request(
        {
          method: 'POST',
          target: 'v1/challenges/verify',
          body: { challengeId: input.challengeId, signature: input.signature },
          authenticated: false,
          retry: 'never',
        },
        options,
      ),
    );
  }

  /**
   * Device: the whole flow in one call. Asks for a challenge, checks it (this
   * device, the expected audience, this challenge, not expired) and signs it
   * only then, and verifies. Throws `ChallengeRefusedError` when the check
   * fails; nothing is signed or sent then.
   */
  async authenticate(input: AuthenticateInput, options?: CallOptions): Promise<VerifyResult> {
    const challenge = await this.initiateChallenge({ deviceId: input.deviceId }, options);
    const signature = await signChallenge(challenge, input.privateKey, {
      deviceId: input.deviceId,
      audience: input.audience ?? this.audience,
      ...(input.clockToleranceMs === undefined ? {} : { clockToleranceMs: input.clockToleranceMs }),
    });
    return this.verify({ challengeId: challenge.id, signature }, options);
  }

  /**
   * Device: an access token in one call, by OAuth 2.0 client credentials with
   * a private_key_jwt assertion (RFC 7523) signed here with the device key.
   * Refusals are `M2MUnauthorizedError` with the RFC 6749 code (`invalid_client`)
   * as `code`. Retried only when nothing was done (429, 503, a refused
   * connection): the assertion is single-use.
   */
  async requestToken(input: RequestTokenInput, options?: CallOptions): Promise<AccessToken> {
    const assertion = await signClientAssertion({
      deviceId: input.deviceId,
      privateKey: input.privateKey,
      audience: input.audience ?? this.tokenEndpoint,
      ...(input.lifetimeSeconds === undefined ? {} : { lifetimeSeconds: input.lifetimeSeconds }),
    });
    const form = { grant_type: 'client_credentials', client_assertion_type: JWT_BEARER_ASSERTION, client_assertion: assertion };
    return asAccessToken(await this.http.request({ method: 'POST', target: 'oauth2/token', form, authenticated: false, retry: 'refused' }, options));
  }
}
