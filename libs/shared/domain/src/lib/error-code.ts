/**
 * The closed set of machine-readable error codes the service answers with.
 * Every transport maps each of them in one exhaustive switch, so adding a code
 * here fails the build until every transport knows what to do with it.
 */
export const ErrorCode = {
  ValidationFailed: 'VALIDATION_FAILED',
  InvalidPublicKey: 'INVALID_PUBLIC_KEY',
  Unauthorized: 'UNAUTHORIZED',
  InsufficientScope: 'INSUFFICIENT_SCOPE',
  RateLimited: 'RATE_LIMITED',
  DeviceLocked: 'DEVICE_LOCKED',
  ApiKeyNotFound: 'API_KEY_NOT_FOUND',
  DeviceNotFound: 'DEVICE_NOT_FOUND',
  DeviceExists: 'DEVICE_EXISTS',
  DuplicatePublicKey: 'DUPLICATE_PUBLIC_KEY',
  DeviceRevoked: 'DEVICE_REVOKED',
  ConcurrencyConflict: 'CONCURRENCY_CONFLICT',
  QueryParameterInvalid: 'QUERY_PARAMETER_INVALID',
  QueryTooLarge: 'QUERY_TOO_LARGE',
  QueryInvalid: 'QUERY_INVALID',
  QueryExists: 'QUERY_EXISTS',
  QueryNotFound: 'QUERY_NOT_FOUND',
  EventNotFound: 'EVENT_NOT_FOUND',
  SubscriptionControlsInvalid: 'SUBSCRIPTION_CONTROLS_INVALID',
  SubscriptionLimitReached: 'SUBSCRIPTION_LIMIT_REACHED',
  NotAcceptable: 'NOT_ACCEPTABLE',
  RouteNotFound: 'ROUTE_NOT_FOUND',
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  UnsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  ServiceUnavailable: 'SERVICE_UNAVAILABLE',
  Internal: 'INTERNAL',
  SubscriptionNotFound: 'SUBSCRIPTION_NOT_FOUND',
  NotImplemented: 'NOT_IMPLEMENTED',
  ItemNotFound: 'ITEM_NOT_FOUND',
  // Refused before any route runs (README, "Every error is application/problem+json"; the OpenAPI document).
  MalformedUrl: 'MALFORMED_URL',
  UriTooLong: 'URI_TOO_LONG',
  HeaderFieldsTooLarge: 'HEADER_FIELDS_TOO_LARGE',
  MalformedRequest: 'MALFORMED_REQUEST',
  MethodNotImplemented: 'METHOD_NOT_IMPLEMENTED',
  MethodNotAllowed: 'METHOD_NOT_ALLOWED',
  // A signed request (RFC 9421) reached a server that was not told its public URL (M2M_PUBLIC_URL, docs/http-signatures.md).
  PublicUrlNotConfigured: 'PUBLIC_URL_NOT_CONFIGURED',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export function assertUnreachable(value: never): never {
  throw new Error(`Unhandled case: ${JSON.stringify(value)}`);
}
