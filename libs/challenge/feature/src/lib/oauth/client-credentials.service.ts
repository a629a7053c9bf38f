import { DEVICE_LOCKOUT_REPOSITORY, type DeviceLockoutRepository } from '@m2m-trust/challenge-data-access';
import { type AssertionCheck, type AuthenticateWithAssertion, clientAssertionDecider } from '@m2m-trust/challenge-domain';
import { CLOCK, type Clock, decideAndAppend, EVENT_STORE, type EventStore } from '@m2m-trust/shared-contracts';
import { DomainError, ErrorCode, isDeviceId, isDomainError } from '@m2m-trust/shared-domain';
import { type ChallengeEvent, deviceStreamId, type EventMetadata } from '@m2m-trust/shared-events';
import { APP_CONFIG, type AppConfig, Metrics } from '@m2m-trust/shared-platform';
import { RateLimits } from '@m2m-trust/shared-rate-limit';
import { AccessTokens, type IssuedAccessToken, OAuthIssuer } from '@m2m-trust/token-feature';

import { createHash, type KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { decodeJwt, decodeProtectedHeader, errors, type JWTPayload, jwtVerify } from 'jose';
import { v7 as uuidv7 } from 'uuid';

import { DeviceCredentialsCache, NOBODYS_KEY } from '../device-credentials.cache';
import { ClientCredentials, type ClientCredentialsRequest } from './client-credentials';

/** Ed25519 signatures under either name: EdDSA (RFC 8037) or the fully-specified Ed25519 (RFC 9864). */
export const CLIENT_ASSERTION_ALGORITHMS = ['EdDSA', 'Ed25519'] as const;
const ALGORITHMS: readonly string[] = CLIENT_ASSERTION_ALGORITHMS;
const MAX_JTI_LENGTH = 256;

const NOT_SIGNED_BY_THE_DEVICE = 'The client assertion is not signed by the key registered for this device';
const REFUSAL: Record<string, string> = {
  SIGNATURE_INVALID: NOT_SIGNED_BY_THE_DEVICE,
  // An unknown device is told what a wrong signature is told: a stranger cannot learn which device ids exist.
  DEVICE_NOT_FOUND: NOT_SIGNED_BY_THE_DEVICE,
  ASSERTION_EXPIRED: 'The client assertion is expired, not yet valid, or valid for longer than this server accepts',
  ASSERTION_INVALID: 'The client assertion must name this server as aud and carry exp and a jti',
  ASSERTION_REUSED: 'This client assertion (its jti) was used before',
  DEVICE_REVOKED: 'The device is revoked',
  DEVICE_LOCKED: 'The device is locked by an operator',
};

/** Which assertion failure a jose refusal is (the audit event records it). */
function checkOf(error: unknown): AssertionCheck {
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'SIGNATURE_INVALID';
  if (error instanceof errors.JWTExpired) return 'ASSERTION_EXPIRED';
  if (error instanceof errors.JWTClaimValidationFailed && (error.claim === 'nbf' || error.claim === 'iat')) return 'ASSERTION_EXPIRED';
  if (error instanceof errors.JOSEError) return 'ASSERTION_INVALID';
  throw error;
}

/**
 * OAuth 2.0 client credentials with private_key_jwt (RFC 7523 section 2.2):
 * the device signs a short-lived assertion with its registered Ed25519 key and
 * gets an access token. Every outcome is an audit event like a challenge-response, with method private_key_jwt (an
 * unknown device's too, answered as a wrong signature); the device's state is told only to an assertion signed with
 * its key, and only such an assertion spends the device's rate-limit budget.
 */
@Injectable()
export class ClientCredentialsService extends ClientCredentials {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DEVICE_LOCKOUT_REPOSITORY) private readonly lockouts: DeviceLockoutRepository,
    private readonly credentials: DeviceCredentialsCache,
    private readonly tokens: AccessTokens,
    private readonly issuer: OAuthIssuer,
    private readonly metrics: Metrics,
    private readonly rateLimits: RateLimits,
  ) {
    super();
  }

  async requestToken({ assertion, clientId }: ClientCredentialsRequest, metadata: EventMetadata): Promise<IssuedAccessToken> {
    const { deviceId, jti } = this.claimedDevice(assertion, clientId);
    const { events } = await this.decide(assertion, deviceId, jti, metadata).catch((error: unknown) => {
      // Conflicts past every retry: callers sending one assertion at once kept appending to its stream. One of them
      // has its token; to everyone else the assertion is used, which RFC 6749 answers invalid_client, never a conflict.
      if (isDomainError(error) && error.code === ErrorCode.ConcurrencyConflict) throw refused(REFUSAL['ASSERTION_REUSED'] as string);
      throw error;
    });
    return this.answer(events);
  }

  private decide(assertion: string, deviceId: string, jti: string | null, metadata: EventMetadata) {
    return decideAndAppend(
      this.store,
      jti === null ? `client-assertion-${uuidv7()}` : `client-assertion-${deviceId}-${digest(jti)}`,
      clientAssertionDecider,
      async (_state, attempt) => {
        const credentials = await this.credentials.get(deviceId);
        const now = this.clock.now();
        const check = await this.check(assertion, credentials?.key ?? NOBODYS_KEY, deviceId, now);
        // Counted per device only once the device's key signed it: a stranger's assertion spends nothing of the device's.
        if (attempt === 1 && check === 'valid' && credentials) await this.rateLimits.consume('device', deviceId);
        const command: AuthenticateWithAssertion = {
          type: 'AuthenticateWithAssertion',
          data: {
            deviceId,
            assertionId: jti,
            now: now.toISOString(),
            device: credentials ? { status: credentials.status, keyThumbprint: credentials.keyThumbprint } : { status: 'unknown' },
            lockout: await this.lockouts.get(deviceId),
            check,
            tokenId: uuidv7(),
          },
        };
        // As a verify: only while the device stands as we saw it, so a revocation that commits first wins.
        return { command, conditions: credentials ? [{ streamId: deviceStreamId(deviceId), version: credentials.version }] : undefined };
      },
      { ...metadata, actor: `device:${deviceId}` },
      // Someone else decided in between (the same jti at once, or a revocation): decide again on fresh credentials.
      { onConflict: () => this.credentials.invalidate(deviceId) },
    );
  }

  /**
   * iss = sub = the device id (and client_id when sent), read before the signature can be checked with that device's
   * key; and the jti that names the assertion's stream (null when it has none usable: then it is refused as invalid).
   */
  private claimedDevice(assertion: string, clientId: string | undefined): { deviceId: string; jti: string | null } {
    let claims: JWTPayload;
    try {
      if (!ALGORITHMS.includes(decodeProtectedHeader(assertion).alg ?? '')) {
        throw refused('The client assertion must be signed with Ed25519 (alg EdDSA or Ed25519)');
      }
      claims = decodeJwt(assertion);
    } catch (error) {
      if (isDomainError(error)) throw error;
      throw refused('client_assertion is not a JWT');
    }
    if (!isDeviceId(claims.iss) || claims.sub !== claims.iss) throw refused('The client assertion must have iss and sub both set to the device id');
    if (clientId !== undefined && clientId !== claims.iss) throw refused('client_id does not match the client assertion');
    return { deviceId: claims.iss, jti: assertionId(claims) };
  }

  private async check(assertion: string, key: KeyObject, deviceId: string, now: Date): Promise<AssertionCheck> {
    const issuer = this.issuer.issuer();
    try {
      const { payload } = await jwtVerify(assertion, key, {
        algorithms: [...ALGORITHMS],
        issuer: deviceId,
        subject: deviceId,
        // RFC 7523 names the token endpoint; RFC 7523bis and many clients (openid-client) use the issuer identifier.
        audience: [issuer, this.issuer.endpoint('/oauth2/token')],
        currentDate: now,
        clockTolerance: 5,
        requiredClaims: ['exp', 'jti'],
      });
      const remaining = (payload.exp as number) - now.getTime() / 1000;
      if (remaining > this.config.tokens.assertionMaxSeconds) return 'ASSERTION_EXPIRED';
      return assertionId(payload) === null ? 'ASSERTION_INVALID' : 'valid';
    } catch (error) {
      return checkOf(error);
    }
  }

  private async answer(events: readonly ChallengeEvent[]): Promise<IssuedAccessToken> {
    const outcome = events[0];
    if (outcome?.type === 'DeviceAuthenticated') {
      this.metrics.authentications.inc({ outcome: 'success', reason: '' });
      const { deviceId, keyThumbprint, tokenId } = outcome.data;
      if (tokenId === undefined) throw new Error('a client assertion succeeded without a token id');
      return this.tokens.issue({ deviceId, keyThumbprint, tokenId });
    }
    if (outcome?.type === 'DeviceAuthenticationFailed') {
      this.metrics.authentications.inc({ outcome: 'failure', reason: outcome.data.reason });
      throw refused(REFUSAL[outcome.data.reason] ?? 'The client assertion was refused');
    }
    throw new Error(`a client assertion decided ${outcome?.type ?? 'nothing'}`);
  }
}

/** The grant's refusals: the token endpoint answers them as invalid_client, gRPC as UNAUTHENTICATED. */
const refused = (description: string): DomainError => new DomainError(ErrorCode.Unauthorized, description);

const assertionId = (claims: JWTPayload): string | null =>
  typeof claims.jti === 'string' && claims.jti.length > 0 && claims.jti.length <= MAX_JTI_LENGTH ? claims.jti : null;

const digest = (jti: string): string => createHash('sha256').update(jti).digest('base64url');
