import { DEVICE_CREDENTIALS_REPOSITORY, type DeviceCredentialsRepository } from '@m2m-trust/challenge-data-access';
import { AccessTokens } from '@m2m-trust/token-feature';

import { Inject, Injectable } from '@nestjs/common';

/** RFC 7662 section 2.2: `active` and, for an active token, what a resource server needs to decide. */
export type IntrospectionResult =
  | { readonly active: false }
  | {
      readonly active: true;
      readonly sub: string;
      readonly client_id: string;
      readonly iss: string;
      readonly aud: string;
      readonly exp: number;
      readonly iat: number;
      readonly jti: string;
      readonly token_type: 'Bearer';
      readonly device_key_thumbprint: string;
    };

const INACTIVE: IntrospectionResult = { active: false };

/**
 * Whether a token is active now: valid (signature, issuer, audience,
 * lifetime) and its device still in good standing with the key it was issued
 * to. The standing is read from the device credentials table on every call,
 * not from a per-instance cache, so a revocation applies at once to every
 * token of the device on every instance.
 */
@Injectable()
export class TokenIntrospection {
  constructor(
    private readonly tokens: AccessTokens,
    @Inject(DEVICE_CREDENTIALS_REPOSITORY) private readonly devices: DeviceCredentialsRepository,
  ) {}

  async introspect(token: string): Promise<IntrospectionResult> {
    const claims = await this.tokens.verify(token);
    if (!claims) return INACTIVE;
    const device = await this.devices.get(claims.sub);
    if (!device || device.status !== 'active' || device.keyThumbprint !== claims.deviceKeyThumbprint) return INACTIVE;
    return {
      active: true,
      sub: claims.sub,
      client_id: claims.sub,
      iss: claims.iss,
      aud: claims.aud,
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
      token_type: 'Bearer',
      device_key_thumbprint: claims.deviceKeyThumbprint,
    };
  }
}
