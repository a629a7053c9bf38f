import { CLOCK, type Clock } from '@m2m-trust/shared-contracts';
import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import { type HttpRequestParts, verifyRequestSignature } from '@m2m-trust/shared-http-signatures';
import { APP_CONFIG, type AppConfig, type PublicUrl, ServiceAudience } from '@m2m-trust/shared-platform';
import { RateLimits } from '@m2m-trust/shared-rate-limit';
import { AccessTokens } from '@m2m-trust/token-feature';

import { type CanActivate, type ExecutionContext, Inject, Injectable, Logger, type OnApplicationBootstrap, Optional } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { type CachedCredentials, DeviceCredentialsCache } from '../device-credentials.cache';
import type { AuthenticatedDevice, DeviceRequest } from './authenticated-device';
import { rawBodyOf } from './raw-body.capture';
import { DEFAULT_REPLAY_CAPACITY, type ReplayCapacity, SIGNATURE_REPLAY_CAPACITY, SignatureReplayCache } from './signature-replay.cache';

/**
 * Both schemes a device may use, for the 401's challenges (RFC 9110 section 11.6.1): RFC 6750 `Bearer`, with
 * `error="invalid_token"` when a token was sent and refused (section 3.1), and `Signature` (RFC 9421, Ed25519).
 */
export function deviceChallenge(tokenRefused: boolean): string {
  return `Bearer realm="m2m-trust"${tokenRefused ? ', error="invalid_token"' : ''}, Signature realm="m2m-trust", alg="ed25519"`;
}

type Outcome = { readonly ok: true; readonly device: AuthenticatedDevice } | { readonly ok: false; readonly detail: string; readonly tokenRefused?: true };

const refused = (detail: string): Outcome => ({ ok: false, detail });
const tokenRefused = (detail: string): Outcome => ({ ok: false, detail, tokenRefused: true });
const isActive = (credentials: CachedCredentials | null): credentials is CachedCredentials => credentials?.status === 'active';

/**
 * Authenticates a device, not an operator: an RFC 9421 signature by the
 * device's registered key (keyid = device id), or an access token issued to
 * it. A request with signature fields is judged by them alone; otherwise
 * `Authorization: Bearer`. Either way the device must still be active.
 * Sets `request.device` and `request.actor = "device:<id>"`.
 *
 * Rate limits: the client address is counted before (the gateway's
 * RateLimitGuard, from @DeviceAuth()'s metadata; in the distributed mode the
 * gateway in front), the device only once its credential is verified, so a
 * stranger cannot spend a device's budget (docs/abuse-limits.md).
 */
@Injectable()
export class DeviceAuthGuard implements CanActivate, OnApplicationBootstrap {
  private readonly maxAgeSeconds: number;
  private readonly publicUrl: PublicUrl | null;
  private readonly replayCapacity: ReplayCapacity;

  constructor(
    private readonly credentials: DeviceCredentialsCache,
    private readonly replays: SignatureReplayCache,
    private readonly limits: RateLimits,
    private readonly audience: ServiceAudience,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
    // Absent until a module provides the token issuer: then bearer tokens are refused, signatures still work.
    @Optional() @Inject(AccessTokens) private readonly tokens: AccessTokens | null = null,
    @Optional() @Inject(SIGNATURE_REPLAY_CAPACITY) replayCapacity: ReplayCapacity | null = null,
  ) {
    this.maxAgeSeconds = config.signatures.maxAgeSeconds;
    this.publicUrl = config.signatures.publicUrl;
    this.replayCapacity = replayCapacity ?? DEFAULT_REPLAY_CAPACITY;
  }

  onApplicationBootstrap(): void {
    if (this.publicUrl === null) {
      new Logger('device-auth').warn(
        'M2M_PUBLIC_URL is not set (nor M2M_AUDIENCE as an http(s) URL): requests signed with RFC 9421 are refused (503 PUBLIC_URL_NOT_CONFIGURED) until it names the URL devices call; access tokens still work',
      );
    }
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<DeviceRequest>();
    const outcome = await this.authenticate(request);
    if (!outcome.ok) {
      void http.getResponse<FastifyReply>().header('www-authenticate', deviceChallenge(outcome.tokenRefused === true));
      throw new DomainError(ErrorCode.Unauthorized, outcome.detail);
    }
    // Proven to hold the device's credential: now, and only now, the device's own budget is spent.
    await this.limits.consume('device', outcome.device.deviceId);
    request.device = outcome.device;
    request.actor = `device:${outcome.device.deviceId}`;
    return true;
  }

  private authenticate(request: FastifyRequest): Promise<Outcome> {
    if (request.headers['signature-input'] !== undefined || request.headers['signature'] !== undefined) return this.bySignature(request);
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    if (bearer) return this.byToken(bearer[1] as string);
    return Promise.resolve(refused('Authenticate as a device: sign the request (RFC 9421, keyid = device id) or send "Authorization: Bearer <access token>"'));
  }

  private async byToken(token: string): Promise<Outcome> {
    const claims = this.tokens ? await this.tokens.verify(token) : null;
    if (!claims) return tokenRefused('The bearer token is not a valid access token');
    const credentials = await this.credentials.current(claims.sub);
    // The token holds while the device still has the key it was issued for (the private device_key_thumbprint claim).
    if (!isActive(credentials) || credentials.keyThumbprint !== claims.deviceKeyThumbprint) return tokenRefused('The access token belongs to no active device');
    return {
      ok: true,
      device: {
        deviceId: credentials.deviceId,
        keyThumbprint: credentials.keyThumbprint,
        status: credentials.status,
        authentication: { method: 'bearer', tokenId: claims.jti, expiresAt: new Date(claims.exp * 1000).toISOString() },
      },
    };
  }

  private async bySignature(request: FastifyRequest): Promise<Outcome> {
    const origin = this.publicOrigin();
    const now = this.clock.now().getTime();
    let signer: CachedCredentials | null = null;
    const result = await verifyRequestSignature(this.partsOf(request, origin), {
      resolveKey: async (deviceId) => {
        const credentials = await this.credentials.current(deviceId);
        // A revoked device reads as unknown: a refusal says nothing of a device the caller has not proved to hold.
        signer = isActive(credentials) ? credentials : null;
        return signer?.key ?? null;
      },
      maxAgeSeconds: this.maxAgeSeconds,
      now,
    });
    if (!result.ok) return refused(`HTTP signature refused (${result.reason}): ${result.detail}`);
    const credentials = signer as CachedCredentials | null;
    if (!credentials) return refused('HTTP signature refused (KEY_UNKNOWN)');

    // Accepted once: by nonce when the device sent one (scoped to its keyid), else by the signature's bytes.
    const replayKey = result.nonce !== null ? `n:${result.keyId}:${result.nonce}` : `s:${Buffer.from(result.signature).toString('base64')}`;
    const created = (result.created as number) * 1000;
    const seen = this.replays.use(credentials.deviceId, replayKey, created + this.maxAgeSeconds * 1000, now);
    if (seen.outcome === 'replayed') return refused('HTTP signature refused (SIGNATURE_REPLAYED): this signature or nonce was already used; sign each request afresh');
    if (seen.outcome === 'device_full') {
      const afterSeconds = Math.ceil(seen.retryAfterMs / 1000);
      const { perDevice } = this.replayCapacity;
      throw new DomainError(ErrorCode.RateLimited, `Too many signed requests by this device: at most ${perDevice} within ${this.maxAgeSeconds} s; retry in ${afterSeconds} s`, [], {
        afterSeconds,
        limit: perDevice,
        remaining: 0,
        windowSeconds: this.maxAgeSeconds,
      });
    }
    if (seen.outcome === 'full') throw new DomainError(ErrorCode.ServiceUnavailable, 'Too many signed requests in the replay window; retry shortly', [], { afterSeconds: 1 });
    return {
      ok: true,
      device: {
        deviceId: credentials.deviceId,
        keyThumbprint: credentials.keyThumbprint,
        status: credentials.status,
        authentication: {
          method: 'http-signature',
          label: result.label,
          keyId: result.keyId,
          created: new Date(created).toISOString(),
          nonce: result.nonce,
          components: result.components,
        },
      },
    };
  }

  /**
   * The configured public origin (M2M_PUBLIC_URL, or an http(s) M2M_AUDIENCE,
   * or the listening URL when told so), never the request's Host header or
   * X-Forwarded-*: anyone can send those. Without one, no signature is judged.
   */
  private publicOrigin(): string {
    if (this.publicUrl?.kind === 'origin') return this.publicUrl.origin;
    if (this.publicUrl?.kind === 'listening') return new URL(this.audience.listeningUrl()).origin;
    throw new DomainError(
      ErrorCode.PublicUrlNotConfigured,
      'Signed requests cannot be verified: the operator has not set M2M_PUBLIC_URL, the URL devices call (docs/http-signatures.md); use an access token meanwhile',
    );
  }

  /** The target URI the device addressed: the public origin, then the path and query as received. */
  private partsOf(request: FastifyRequest, origin: string): HttpRequestParts {
    return { method: request.method, targetUri: `${origin}${request.url}`, headers: request.headers, body: rawBodyOf(request) };
  }
}
