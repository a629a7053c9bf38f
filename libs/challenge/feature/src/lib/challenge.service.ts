import { DEVICE_LOCKOUT_REPOSITORY, type DeviceLockoutRepository } from '@m2m-trust/challenge-data-access';
import { answeredReason, type ChallengeCommand, challengeDecider, type ChallengeState, type DeviceStanding } from '@m2m-trust/challenge-domain';
import { CLOCK, type Clock, decideAndAppend, EVENT_STORE, type EventStore, type StreamCondition } from '@m2m-trust/shared-contracts';
import { checkEd25519Signature, decodeSignature, type SignatureCheck } from '@m2m-trust/shared-crypto';
import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import {
  type ChallengeEvent,
  challengeStreamId,
  deviceStreamId,
  type EventMetadata,
  VerifyFailureReason,
} from '@m2m-trust/shared-events';
import { APP_CONFIG, type AppConfig, Metrics, ServiceAudience } from '@m2m-trust/shared-platform';
import { RateLimits } from '@m2m-trust/shared-rate-limit';
import { AccessTokens } from '@m2m-trust/token-feature';

import { Inject, Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';

import { Authenticator } from './authenticator';
import type { ChallengeResponse, VerifyResponse } from './challenge.dto';
import { type CachedCredentials, DeviceCredentialsCache, NOBODYS_KEY } from './device-credentials.cache';
import { PendingChallenges } from './pending-challenges';
import { RandomPool } from './random-pool';


const standingOf = (credentials: CachedCredentials | null): DeviceStanding =>
  credentials ? { status: credentials.status, keyThumbprint: credentials.keyThumbprint } : { status: 'unknown' };

/** The device's stream at the version its cached credentials were read at; nothing to hold when the device is unknown. */
const deviceCondition = (deviceId: string, credentials: CachedCredentials | null): readonly StreamCondition[] | undefined =>
  credentials ? [{ streamId: deviceStreamId(deviceId), version: credentials.version }] : undefined;

/** The device a challenge names; a stream without a challenge is never decided on, so never asked. */
function deviceOf(state: ChallengeState): string {
  if (state.status === 'none') throw new Error('a challenge that was never issued names no device');
  return state.deviceId;
}

/**
 * Challenge-response authentication (docs/protocol.md): a challenge is issued to a
 * device and verified once. Both are decided by the challenge decider through
 * decideAndAppend, on condition that the device's stream still stands where the
 * key cache read it. A verify of a challenge this process issued reads no stream
 * and parses no key (pending challenges, credentials cache); it reads the
 * lockout standing afresh and appends the outcome in a commit grouped with
 * other appends, before it answers. The audit record follows from that event,
 * behind the store.
 *
 * What a caller without the device's key can do to it (docs/abuse-limits.md): nothing beyond its own address's
 * budget. A challenge for a device that cannot authenticate is a decoy like any other answer; the device's state is
 * told only to a verify signed with its key, and only such a verify spends the device's budget.
 */
@Injectable()
export class ChallengeService extends Authenticator {
  private readonly random = new RandomPool();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly credentials: DeviceCredentialsCache,
    private readonly pending: PendingChallenges,
    private readonly metrics: Metrics,
    private readonly audience: ServiceAudience,
    @Inject(DEVICE_LOCKOUT_REPOSITORY) private readonly lockouts: DeviceLockoutRepository,
    private readonly tokens: AccessTokens,
    private readonly rateLimits: RateLimits,
  ) {
    super();
  }

  async initiate(deviceId: string, metadata: EventMetadata): Promise<ChallengeResponse> {
    // Not counted per device: anyone may ask for a device's challenge, so counting it would hand strangers the device's
    // budget. The address limit bounds them; the device's own budget is spent by verifies signed with its key.
    // Time-ordered, so challenge streams append to the end of the stream index.
    // Not a secret: the nonce's 32 random bytes are what make it unpredictable.
    const challengeId = uuidv7();
    const { state, version, events } = await decideAndAppend(
      this.store,
      challengeStreamId(challengeId),
      challengeDecider,
      async () => {
        const credentials = await this.credentials.get(deviceId);
        const command: ChallengeCommand = {
          type: 'IssueChallenge',
          data: {
            challengeId,
            deviceId,
            audience: this.audience.get(),
            random: this.random.next32Base64Url(),
            now: this.clock.now().toISOString(),
            ttlSeconds: this.config.challenge.ttlSeconds,
            device: standingOf(credentials),
            lockout: await this.lockouts.get(deviceId),
          },
        };
        // Issued only while the device stands as the cache says: an instance whose
        // cache missed a revocation decides again on fresh credentials and refuses.
        return { command, conditions: deviceCondition(deviceId, credentials) };
      },
      // The device the caller names, as a verify's failure names it: a decoy's failure is then found by actor too.
      { ...metadata, actor: `device:${deviceId}` },
      // A new stream: nothing to read before the first attempt.
      { preloaded: { state: challengeDecider.initialState, version: 0 }, onConflict: () => this.credentials.invalidate(deviceId) },
    );
    if (state.status !== 'issued') throw new Error('issuing a challenge did not issue it');
    // A decoy's failure is counted like any other; the caller is answered the same either way.
    for (const event of events) if (event.type === 'DeviceAuthenticationFailed') this.metrics.authentications.inc({ outcome: 'failure', reason: event.data.reason });
    this.pending.add(state, version);
    return { id: challengeId, deviceId, nonce: state.nonce, algorithm: 'Ed25519', expiresAt: state.expiresAt };
  }

  async verify(challengeId: string, signatureText: string, metadata: EventMetadata): Promise<VerifyResponse> {
    const signature = decodeSignature(signatureText);
    if (!signature) throw new DomainError(ErrorCode.ValidationFailed, 'signature must be 64 bytes as 128 hex or 86 base64url characters');
    // The in-memory copy is taken, not read: a second verify of the same challenge
    // goes to the store and meets the first one's append there.
    const cached = this.pending.take(challengeId);
    const { state, events } = await decideAndAppend(
      this.store,
      challengeStreamId(challengeId),
      challengeDecider,
      async (state, attempt) => {
        if (state.status === 'none') return null;
        const credentials = await this.credentials.get(state.deviceId);
        const checked = this.check(credentials, state.nonce, signature);
        // Per device as well as per address, but only for a verify signed with the device's key: a stranger's spends
        // nothing of the device's. The first attempt pays; a refused verify leaves the challenge unconsumed, and the
        // device may retry it after Retry-After.
        if (attempt === 1 && checked === 'valid' && credentials) await this.rateLimits.consume('device', state.deviceId);
        const command: ChallengeCommand = {
          type: 'VerifyChallenge',
          data: {
            now: this.clock.now().toISOString(),
            device: standingOf(credentials),
            // Read fresh on every attempt: a lock an operator set through another instance holds here too.
            lockout: await this.lockouts.get(state.deviceId),
            // Time-ordered like challenge ids; recorded in the success event so an auditor can trace a token.
            tokenId: uuidv7(),
            // The signature over this state's nonce, checked once above.
            checkSignature: () => checked,
          },
        };
        // Commit only if the device is still as we saw it: a revocation that
        // commits first turns this into another attempt that sees it.
        return { command, conditions: deviceCondition(state.deviceId, credentials) };
      },
      (state) => ({ ...metadata, actor: `device:${deviceOf(state)}` }),
      {
        ...(cached ? { preloaded: cached } : {}),
        // A consumed challenge stays consumed: replays are recorded in any order.
        expectedVersion: (state, version) => (state.status === 'consumed' ? 'any' : version),
        onConflict: (state) => this.credentials.invalidate(deviceOf(state)),
      },
    );
    if (state.status === 'none') {
      this.metrics.authentications.inc({ outcome: 'failure', reason: VerifyFailureReason.ChallengeNotFound });
      return { verified: false, reason: VerifyFailureReason.ChallengeNotFound };
    }
    return this.answer(events);
  }

  private check(credentials: CachedCredentials | null, nonce: string, signature: Uint8Array): SignatureCheck {
    return checkEd25519Signature(credentials?.key ?? NOBODYS_KEY, nonce, signature);
  }

  private async answer(events: readonly ChallengeEvent[]): Promise<VerifyResponse> {
    const outcome = events[0];
    if (outcome?.type === 'DeviceAuthenticated') {
      this.metrics.authentications.inc({ outcome: 'success', reason: '' });
      const { deviceId, keyThumbprint, tokenId } = outcome.data;
      if (tokenId === undefined) throw new Error('a verify succeeded without a token id');
      const token = await this.tokens.issue({ deviceId, keyThumbprint, tokenId });
      return { verified: true, deviceId, verifiedAt: outcome.data.verifiedAt, ...token };
    }
    if (outcome?.type === 'DeviceAuthenticationFailed') {
      this.metrics.authentications.inc({ outcome: 'failure', reason: outcome.data.reason });
      return { verified: false, reason: answeredReason(outcome.data.reason) as VerifyFailureReason };
    }
    throw new Error(`verify decided ${outcome?.type ?? 'nothing'}`);
  }
}
