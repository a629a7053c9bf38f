/** What a successful authentication hands the device (RFC 6749 section 5.1 names, camelCase on the JSON API). */
export interface IssuedAccessToken {
  readonly accessToken: string;
  readonly tokenType: 'Bearer';
  /** Seconds until the token expires. */
  readonly expiresIn: number;
}

/** The claims of a valid access token (docs/tokens.md). */
export interface AccessTokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string;
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
  /**
   * `device_key_thumbprint`: the RFC 7638 thumbprint of the device key the token was issued to, a private claim.
   * Not RFC 7800 `cnf.jkt`: RFC 9449 reserves that for DPoP-bound tokens, and a bearer token is bound to no
   * proof of possession; this server checks the key is still the device's (docs/tokens.md).
   */
  readonly deviceKeyThumbprint: string;
}

/**
 * Short-lived access tokens: JWTs signed with EdDSA by the service's rotating
 * key ring. The class is the injection token.
 */
export abstract class AccessTokens {
  /** Signs a token for a device that has just authenticated; `tokenId` becomes `jti` (it is in the audit event already). */
  abstract issue(subject: { readonly deviceId: string; readonly keyThumbprint: string; readonly tokenId: string }): Promise<IssuedAccessToken>;
  /** The claims when the signature, issuer, audience and lifetime hold; null otherwise. Says nothing about the device's standing. */
  abstract verify(token: string): Promise<AccessTokenClaims | null>;
}
