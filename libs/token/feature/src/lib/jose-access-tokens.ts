import { CLOCK, type Clock } from '@m2m-trust/shared-contracts';
import { APP_CONFIG, type AppConfig } from '@m2m-trust/shared-platform';

import { Inject, Injectable } from '@nestjs/common';
import { jwtVerify, SignJWT } from 'jose';

import { type AccessTokenClaims, AccessTokens, type IssuedAccessToken } from './access-tokens';
import { OAuthIssuer } from './oauth-issuer';
import { TokenSigningKeyRing } from './token-signing-key-ring';

/** RFC 9068: the media type of JWT access tokens, in the header so a token is never mistaken for another kind of JWT. */
const ACCESS_TOKEN_TYPE = 'at+jwt';
/** A private claim (RFC 7519 section 4.3), not `cnf.jkt`: see AccessTokenClaims. */
export const DEVICE_KEY_THUMBPRINT_CLAIM = 'device_key_thumbprint';
const REQUIRED_CLAIMS = ['iss', 'sub', 'aud', 'iat', 'exp', 'jti', DEVICE_KEY_THUMBPRINT_CLAIM];

const isNonEmptyString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/** Access tokens as JWTs (RFC 9068) signed with EdDSA by the key ring; every JWT operation is jose's. */
@Injectable()
export class JoseAccessTokens extends AccessTokens {
  constructor(
    private readonly ring: TokenSigningKeyRing,
    private readonly issuer: OAuthIssuer,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
  }

  async issue(subject: { readonly deviceId: string; readonly keyThumbprint: string; readonly tokenId: string }): Promise<IssuedAccessToken> {
    const key = this.ring.signingKey();
    const ttl = this.config.tokens.ttlSeconds;
    const iat = Math.floor(this.clock.now().getTime() / 1000);
    // client_id: RFC 9068 asks for it; a device is its own client (it authenticates as itself).
    const accessToken = await new SignJWT({ client_id: subject.deviceId, [DEVICE_KEY_THUMBPRINT_CLAIM]: subject.keyThumbprint })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: ACCESS_TOKEN_TYPE })
      .setIssuer(this.issuer.issuer())
      .setSubject(subject.deviceId)
      .setAudience(this.issuer.audience())
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttl)
      .setJti(subject.tokenId)
      .sign(key.privateKey);
    return { accessToken, tokenType: 'Bearer', expiresIn: ttl };
  }

  async verify(token: string): Promise<AccessTokenClaims | null> {
    try {
      const { payload } = await jwtVerify(
        token,
        async (header) => {
          const key = await this.ring.verificationKey(header.kid);
          if (!key) throw new Error('unknown kid');
          return key;
        },
        {
          algorithms: ['EdDSA'],
          typ: ACCESS_TOKEN_TYPE,
          issuer: this.issuer.issuer(),
          audience: this.issuer.audience(),
          currentDate: this.clock.now(),
          requiredClaims: REQUIRED_CLAIMS,
        },
      );
      const { iss, sub, aud, iat, exp, jti } = payload;
      const thumbprint = payload[DEVICE_KEY_THUMBPRINT_CLAIM];
      // jose has checked presence and the registered claims' types; the shapes this service relies on besides:
      if (!isNonEmptyString(sub) || !isNonEmptyString(aud) || !isNonEmptyString(jti) || !isNonEmptyString(thumbprint)) return null;
      return { iss: iss as string, sub, aud, iat: iat as number, exp: exp as number, jti, deviceKeyThumbprint: thumbprint };
    } catch {
      // Bad signature, unknown kid, wrong issuer or audience, expired, malformed: all "not a valid token".
      return null;
    }
  }
}
