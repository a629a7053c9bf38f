import type { ClientCredentialsRequest } from './client-credentials';
import { OAuthError } from './oauth.error';

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The token endpoint's form, as parsed (a repeated parameter arrives as an array and is refused). */
export type TokenRequestForm = Readonly<Record<string, unknown>>;

/** RFC 6749 section 5.1: what a client gets for its credentials. */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
}

/** The client-credentials grant an RFC 6749 token request asks for, or the RFC 6749 section 5.2 error it is. */
export function parseTokenRequest(form: TokenRequestForm): ClientCredentialsRequest {
  const grantType = single(form, 'grant_type');
  if (grantType === undefined) throw new OAuthError('invalid_request', 'grant_type is required');
  if (grantType !== 'client_credentials') throw new OAuthError('unsupported_grant_type', 'Only grant_type=client_credentials is supported');
  if (form['scope'] !== undefined) throw new OAuthError('invalid_scope', 'Device tokens carry no scopes: send no scope parameter');
  if (single(form, 'client_assertion_type') !== JWT_BEARER_ASSERTION) {
    throw new OAuthError('invalid_client', `Authenticate with private_key_jwt: client_assertion_type=${JWT_BEARER_ASSERTION} and client_assertion`);
  }
  const assertion = single(form, 'client_assertion');
  if (assertion === undefined) throw new OAuthError('invalid_client', 'client_assertion is required');
  const clientId = single(form, 'client_id');
  return clientId === undefined ? { assertion } : { assertion, clientId };
}

/** A parameter sent once; a repeated one is a malformed request (RFC 6749 section 3.2). */
function single(form: TokenRequestForm, name: string): string | undefined {
  const value = form[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new OAuthError('invalid_request', `${name} must be sent once`);
  return value;
}
