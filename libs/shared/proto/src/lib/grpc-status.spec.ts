import { ErrorCode } from '@m2m-trust/shared-domain';

import { status } from '@grpc/grpc-js';

import { grpcStatusOf } from './grpc-status';

describe('grpcStatusOf', () => {
  const expected: Record<ErrorCode, status> = {
    VALIDATION_FAILED: status.INVALID_ARGUMENT,
    INVALID_PUBLIC_KEY: status.INVALID_ARGUMENT,
    QUERY_PARAMETER_INVALID: status.INVALID_ARGUMENT,
    QUERY_INVALID: status.INVALID_ARGUMENT,
    SUBSCRIPTION_CONTROLS_INVALID: status.INVALID_ARGUMENT,
    NOT_ACCEPTABLE: status.INVALID_ARGUMENT,
    UNSUPPORTED_MEDIA_TYPE: status.INVALID_ARGUMENT,
    UNAUTHORIZED: status.UNAUTHENTICATED,
    INSUFFICIENT_SCOPE: status.PERMISSION_DENIED,
    API_KEY_NOT_FOUND: status.NOT_FOUND,
    DEVICE_LOCKED: status.FAILED_PRECONDITION,
    RATE_LIMITED: status.RESOURCE_EXHAUSTED,
    DEVICE_NOT_FOUND: status.NOT_FOUND,
    ROUTE_NOT_FOUND: status.NOT_FOUND,
    QUERY_NOT_FOUND: status.NOT_FOUND,
    EVENT_NOT_FOUND: status.NOT_FOUND,
    SUBSCRIPTION_NOT_FOUND: status.NOT_FOUND,
    DEVICE_EXISTS: status.ALREADY_EXISTS,
    DUPLICATE_PUBLIC_KEY: status.ALREADY_EXISTS,
    QUERY_EXISTS: status.ALREADY_EXISTS,
    DEVICE_REVOKED: status.FAILED_PRECONDITION,
    CONCURRENCY_CONFLICT: status.ABORTED,
    QUERY_TOO_LARGE: status.RESOURCE_EXHAUSTED,
    PAYLOAD_TOO_LARGE: status.RESOURCE_EXHAUSTED,
    SUBSCRIPTION_LIMIT_REACHED: status.RESOURCE_EXHAUSTED,
    SERVICE_UNAVAILABLE: status.UNAVAILABLE,
    INTERNAL: status.INTERNAL,
    NOT_IMPLEMENTED: status.UNIMPLEMENTED,
    ITEM_NOT_FOUND: status.NOT_FOUND,
    MALFORMED_URL: status.INVALID_ARGUMENT,
    URI_TOO_LONG: status.RESOURCE_EXHAUSTED,
    HEADER_FIELDS_TOO_LARGE: status.RESOURCE_EXHAUSTED,
    MALFORMED_REQUEST: status.INVALID_ARGUMENT,
    METHOD_NOT_IMPLEMENTED: status.UNIMPLEMENTED,
    METHOD_NOT_ALLOWED: status.UNIMPLEMENTED,
    PUBLIC_URL_NOT_CONFIGURED: status.UNAVAILABLE,
  };

  // The Record type above already fails to compile when a code is missing; this checks the values.
  it.each(Object.values(ErrorCode))('maps %s', (code) => {
    expect(status[grpcStatusOf(code)]).toBe(status[expected[code]]);
  });

  it('never answers OK or UNKNOWN for an error', () => {
    for (const code of Object.values(ErrorCode)) expect([status.OK, status.UNKNOWN]).not.toContain(grpcStatusOf(code));
  });
});
