import { type ApiKeyVerifier, type VerifiedApiKey } from '@m2m-trust/shared-platform';

import type { handleUnaryCall, ServiceDefinition } from '@grpc/grpc-js';

import type { GrpcServiceBinding } from './grpc.server';
import { internalJsonMethod } from './internal-json-method';

export interface VerifyApiKeyRequest {
  /** The key a caller presented to another process; never logged, never stored. */
  readonly key: string;
}

export interface VerifyApiKeyResponse {
  /** Null: unknown, wrong secret, expired or revoked; the reason is not told. */
  readonly verified: VerifiedApiKey | null;
}

/**
 * m2m.internal.v1.ApiKeyVerification: in the distributed mode the registry
 * service owns the API keys, and every other process asks it whether a
 * presented key is good (docs/api-keys.md). Internal, between the services
 * and the gateways only, so it is not part of the public m2m.v1 protos; its
 * messages are JSON, like m2m.internal.v1.DevicePropagation's.
 */
export const API_KEY_VERIFICATION_SERVICE = {
  VerifyApiKey: internalJsonMethod<VerifyApiKeyRequest, VerifyApiKeyResponse>('/m2m.internal.v1.ApiKeyVerification/VerifyApiKey'),
} satisfies ServiceDefinition;

/** Longer than any key the service issues (m2m_ + 24 + _ + 43 characters), short enough to bound the work on junk. */
const MAX_KEY_LENGTH = 256;

/** Served by the registry service, over the verifier that reads its own projection. Only the admin key may call it. */
export const apiKeyVerificationBinding = (verifier: ApiKeyVerifier): GrpcServiceBinding => ({
  name: 'm2m.internal.v1.ApiKeyVerification',
  definition: () => API_KEY_VERIFICATION_SERVICE,
  handlers: (calls) => ({
    VerifyApiKey: calls.unary('admin', async (request: VerifyApiKeyRequest): Promise<VerifyApiKeyResponse> => {
      const key = request?.key;
      if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) return { verified: null };
      const verified = await verifier.verify(key);
      return { verified: verified ? { id: verified.id, scopes: [...verified.scopes] } : null };
    }) as handleUnaryCall<VerifyApiKeyRequest, VerifyApiKeyResponse>,
  }),
});
