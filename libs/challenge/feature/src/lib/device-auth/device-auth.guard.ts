import { CLOCK, type Clock } from '@m2m-trust/shared-contracts';
import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';
import { type HttpRequestParts, verifyRequestSignature } from '@m2m-trust/shared-http-signatures';
import { APP_CONFIG, type AppConfig } from '@m2m-trust/shared-platform';
import { AccessTokens } from '@m2m-trust/token-feature';

import { type CanActivate, type ExecutionContext, Inject, Injectable, Optional } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { type CachedCredentials, DeviceCredentialsCache } from '../device-credentials.cache';
import type { AuthenticatedDevice, DeviceRequest } from './authenticated-device';
import { rawBodyOf } from './raw-body.capture';
import { SignatureReplayCache } from './signature-replay.cache';

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
 */
@Injectable()
export class DeviceAuthGuard implements CanActivate {
  private readonly maxAgeSeconds: number;
  private readonly publicOrigin: string | null;

  constructor(
    private readonly credentials: DeviceCredentialsCache,
    private readonly replays: SignatureReplayCache,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
    // Absent until a module provides the token issuer: then bearer tokens are refused, signatures still work.
    @Optional() @Inject(AccessTokens) private readonly tokens: AccessTokens | null = null,
  ) {
    this.maxAgeSeconds = config.signatures.maxAgeSeconds;
    this.publicOrigin = originOf(config.challenge.audience);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<DeviceRequest>();
    const outcome = await this.authenticate(request);
    if (!outcome.ok) {
      void http.getResponse<FastifyReply>().header('www-authenticate', deviceChallenge(outcome.tokenRefused === true));
      throw new DomainError(ErrorCode.Unauthorized, outcome.detail);
    }
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
    const now = this.clock.now().getTime();
    let signer: CachedCredentials | null = null;
    const result = await verifyRequestSignature(this.partsOf(request), {
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
    const seen = this.replays.use(replayKey, created + this.maxAgeSeconds * 1000, now);
    if (seen === 'replayed') return refused('HTTP signature refused (SIGNATURE_REPLAYED): this signature or nonce was already used; sign each request afresh');
    if (seen === 'full') throw new DomainError(ErrorCode.ServiceUnavailable, 'Too many signed requests in the replay window; retry shortly', [], { afterSeconds: 1 });
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
   * The target URI the device addressed: the configured public origin
   * (M2M_AUDIENCE, when it is an http(s) URL) or else the scheme Fastify saw
   * and the Host header, then the path and query as received. X-Forwarded-*
   * is not read: anyone can send it.
   */
  private partsOf(request: FastifyRequest): HttpRequestParts {
    const origin = this.publicOrigin ?? `${request.protocol}://${request.headers.host ?? ''}`;
    return { method: request.method, targetUri: `${origin}${request.url}`, headers: request.headers, body: rawBodyOf(request) };
  }
}

function originOf(audience: string | null): string | null {
  if (audience === null || !/^https?:\/\//i.test(audience)) return null;
  try {
    return new URL(audience).origin;
  } catch {
    return null;
  }
}
