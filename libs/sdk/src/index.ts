// @m2m-trust/sdk: the public entry. Runs on global fetch and WebCrypto
// (Node 20.19+, browsers, edge runtimes); nothing here may import a `node:` module.

export { ApiKeysApi } from './lib/api-keys.api';
export {
  API_KEY_SCOPES,
  type ApiKey,
  type ApiKeyScope,
  type ApiKeyStatus,
  type CreateApiKeyInput,
  type CreatedApiKey,
  type RevokeApiKeyInput,
} from './lib/api-keys.types';
export { AuditApi, type EpcisEventPage, type ExportOptions } from './lib/audit.api';
export { type ChallengeExpectation, checkChallenge, DEFAULT_CLOCK_TOLERANCE_MS, signChallenge } from './lib/challenge.signer';
export { CHALLENGE_PROTOCOL_LABEL, type ChallengeNonceFields, parseChallengeNonce } from './lib/challenge-nonce';
export { type ClientAssertionInput, JWT_BEARER_ASSERTION, signClientAssertion } from './lib/client-assertion';
export {
  decodePrivateKey,
  derivePublicKeyHex,
  type DeviceKeyPair,
  encodePrivateKeyPem,
  generateKeyPair,
  type PrivateKeyInput,
} from './lib/device-keys';
export { deviceEpc, type EpcisEventFilters, epcisQueryParams,type Instant, type OneOrMany } from './lib/epcis-query';
export { type CallOptions } from './lib/http.transport';
export { type AuthenticateInput,M2MApi } from './lib/m2m.api';
export { DEFAULT_TIMEOUT_MS,M2MClient, type M2MClientOptions } from './lib/m2m.client';
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
  type AccessToken,
  type ApiErrorCode,
  type AuditCheckpoint,
  type AuditExport,
  type Challenge,
  type Device,
  type DeviceLockout,
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
  type LockDeviceInput,
  type PublicJwk,
  type RegisterDeviceInput,
  type RequestTokenInput,
  type RevokeDeviceInput,
  type UnlockDeviceInput,
  VERIFY_FAILURE_REASONS,
  type VerifyFailureReason,
  type VerifyInput,
  type VerifyResult,
} from './lib/m2m.types';
export {
  contentDigest,
  DEFAULT_SIGNED_COMPONENTS,
  type DigestAlgorithm,
  requestSignatureBase,
  type RequestSignatureHeaders,
  type RequestSigningOptions,
  type RequestToSign,
  signRequest,
} from './lib/request.signer';
export { DEFAULT_RETRY_POLICY,type RetryOptions } from './lib/retry.policy';
