import type { EventMetadata } from '@m2m-trust/shared-events';
import type { IssuedAccessToken } from '@m2m-trust/token-feature';

/** A client-credentials grant as the transports parsed it: the private_key_jwt assertion and, when sent, the client id it must name. */
export interface ClientCredentialsRequest {
  readonly assertion: string;
  readonly clientId?: string;
}

/**
 * OAuth 2.0 client credentials with a private_key_jwt assertion (RFC 7523), whatever carried it: the token endpoint's
 * form or m2m.v1.Authentication/RequestToken. ClientCredentialsService where assertions are decided, the challenge
 * service's client in a gateway of the distributed mode. The class is the injection token.
 */
export abstract class ClientCredentials {
  /** A refused client (unknown, bad or reused assertion, revoked or locked device) is a DomainError UNAUTHORIZED saying why. */
  abstract requestToken(request: ClientCredentialsRequest, metadata: EventMetadata): Promise<IssuedAccessToken>;
}
