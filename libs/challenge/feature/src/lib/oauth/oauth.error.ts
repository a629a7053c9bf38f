/**
 * RFC 9110 section 11.6.1: every 401 names a challenge. Clients authenticate here by private_key_jwt in the
 * body (RFC 7523), which has no HTTP authentication scheme; this one, the project's, says so (docs/tokens.md).
 */
export const TOKEN_ENDPOINT_CHALLENGE = 'PrivateKeyJwt realm="m2m-trust"';

/** RFC 6749 section 5.2 error codes the token endpoint answers with. */
export type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unsupported_grant_type' | 'invalid_scope';

/**
 * An OAuth refusal: standard clients read `error` (RFC 6749), so the OAuth
 * endpoints answer these instead of problem+json (docs/tokens.md).
 */
export class OAuthError extends Error {
  override readonly name = 'OAuthError';

  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
  ) {
    super(description);
  }

  /** 401 for a client that failed to authenticate (RFC 6749 section 5.2), 400 otherwise. */
  get status(): 400 | 401 {
    return this.error === 'invalid_client' ? 401 : 400;
  }
}
