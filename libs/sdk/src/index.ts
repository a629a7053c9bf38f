// @m2m-trust/sdk: the public entry. Runs on global fetch and WebCrypto
// (Node 20.19+, browsers, edge runtimes); nothing here may import a `node:` module.

export { M2MClient, type M2MClientOptions, DEFAULT_TIMEOUT_MS } from './lib/m2m.client';
export { M2MApi, type AuthenticateInput } from './lib/m2m.api';
export { AuditApi, type EpcisEventPage, type ExportOptions } from './lib/audit.api';
export { ApiKeysApi } from './lib/api-keys.api';
export {
  type ApiKey,
  API_KEY_SCOPES,
  type ApiKeyScope,
  type ApiKeyStatus,
  type CreateApiKeyInput,
  type CreatedApiKey,
  type RevokeApiKeyInput,
} from './lib/api-keys.types';
export { type CallOptions } from './lib/http.transport';
export { type RetryOptions, DEFAULT_RETRY_POLICY } from './lib/retry.policy';
export { type EpcisEventFilters, type Instant, type OneOrMany, deviceEpc, epcisQueryParams } from './lib/epcis-query';

export {
  type DeviceKeyPair,
  type PrivateKeyInput,
  decodePrivateKey,
  derivePublicKeyHex,
  encodePrivateKeyPem,
  generateKeyPair,
} from './lib/device-keys';
export { CHALLENGE_PROTOCOL_LABEL, type ChallengeNonceFields, parseChallengeNonce } from './lib/challenge-nonce';
export { type ChallengeExpectation, checkChallenge, DEFAULT_CLOCK_TOLERANCE_MS, signChallenge } from './lib/challenge.signer';
export {
  contentDigest,
  DEFAULT_SIGNED_COMPONENTS,
  type DigestAlgorithm,
  type RequestSignatureHeaders,
  type RequestSigningOptions,
  type RequestToSign,
  requestSignatureBase,
  signRequest,
} from './lib/request.signer';

export {
  type ApiErrorInit,
  type ChallengeRefusal,
  ChallengeRefusedError,
  type ClientErrorCode,
  isM2MError,
  M2MAbortError,
  M2MApiError,
  M2MConflictError,
  M2MError,
  type M2MErrorCode,
  M2MInvalidResponseError,
  M2MNetworkError,
  M2MNotFoundError,
  M2MRateLimitError,
  M2MServiceUnavailableError,
  M2MTimeoutError,
  M2MUnauthorizedError,
  M2MValidationError,
  type ProblemDetails,
  type ProblemFieldError,
} from './lib/m2m.error';

export {
  type ApiErrorCode,
  type AuditCheckpoint,
  type AuditExport,
  type Challenge,
  type Device,
  type DevicePage,
  type DeviceStatus,
  type EpcisEvent,
  type EpcisQueryDocument,
  EXPORT_FORMATS,
  type ExportFilters,
  type ExportFormat,
  type InitiateChallengeInput,
  type IterateDevicesQuery,
  type JsonWebKeySet,
  type ListDevicesQuery,
  type PublicJwk,
  type RegisterDeviceInput,
  type RevokeDeviceInput,
  type AccessToken,
  type RequestTokenInput,
  type DeviceLockout,
  type UnlockDeviceInput,
  VERIFY_FAILURE_REASONS,
  type VerifyFailureReason,
  type VerifyInput,
  type VerifyResult,
} from './lib/m2m.types';
export { type ClientAssertionInput, JWT_BEARER_ASSERTION, signClientAssertion } from './lib/client-assertion';
