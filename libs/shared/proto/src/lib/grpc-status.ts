import { assertUnreachable, ErrorCode } from '@m2m-trust/shared-domain';

import { status } from '@grpc/grpc-js';

/**
 * The gRPC face of every error code: one exhaustive switch, as problem.ts is
 * the HTTP face. A new ErrorCode fails the build here until it is mapped.
 */
export function grpcStatusOf(code: ErrorCode): status {
  switch (code) {
    // NotAcceptable (content negotiation) and UnsupportedMediaType (bodies) are HTTP's own;
    // mapped so the answer stays meaningful should a gRPC path ever raise them.
    case ErrorCode.ValidationFailed:
    case ErrorCode.InvalidPublicKey:
    case ErrorCode.QueryParameterInvalid:
    case ErrorCode.QueryInvalid:
    case ErrorCode.SubscriptionControlsInvalid:
    case ErrorCode.NotAcceptable:
    case ErrorCode.UnsupportedMediaType:
    case ErrorCode.MalformedUrl:
    case ErrorCode.MalformedRequest:
      return status.INVALID_ARGUMENT;
    case ErrorCode.Unauthorized:
      return status.UNAUTHENTICATED;
    case ErrorCode.InsufficientScope:
      return status.PERMISSION_DENIED;
    case ErrorCode.ApiKeyNotFound:
    case ErrorCode.DeviceNotFound:
    case ErrorCode.RouteNotFound:
    case ErrorCode.QueryNotFound:
    case ErrorCode.EventNotFound:
    case ErrorCode.SubscriptionNotFound:
    case ErrorCode.ItemNotFound:
      return status.NOT_FOUND;
    case ErrorCode.DeviceExists:
    case ErrorCode.DuplicatePublicKey:
    case ErrorCode.QueryExists:
      return status.ALREADY_EXISTS;
    // The request is fine; the device's state refuses it, and retrying will not help.
    case ErrorCode.DeviceRevoked:
    case ErrorCode.DeviceLocked:
      return status.FAILED_PRECONDITION;
    // Someone else decided in between: the caller may retry the whole operation.
    case ErrorCode.ConcurrencyConflict:
      return status.ABORTED;
    case ErrorCode.RateLimited:
    case ErrorCode.QueryTooLarge:
    case ErrorCode.PayloadTooLarge:
    case ErrorCode.SubscriptionLimitReached:
    case ErrorCode.UriTooLong:
    case ErrorCode.HeaderFieldsTooLarge:
      return status.RESOURCE_EXHAUSTED;
    case ErrorCode.ServiceUnavailable:
    case ErrorCode.PublicUrlNotConfigured:
      return status.UNAVAILABLE;
    case ErrorCode.Internal:
      return status.INTERNAL;
    case ErrorCode.NotImplemented:
    case ErrorCode.MethodNotImplemented:
    case ErrorCode.MethodNotAllowed:
      return status.UNIMPLEMENTED;
    default:
      return assertUnreachable(code);
  }
}
