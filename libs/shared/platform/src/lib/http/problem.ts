import { assertUnreachable, ErrorCode } from '@m2m-trust/shared-domain';

export interface ProblemType {
  readonly status: number;
  readonly title: string;
  /** RFC 9457 `type`: the EPCIS exception name where the EPCIS binding defines one. */
  readonly type: string;
}

const ours = (code: ErrorCode): string => `urn:m2m-trust:problem:${code.toLowerCase().replace(/_/g, '-')}`;

/** The HTTP face of every error code: one exhaustive switch. */
export function problemTypeOf(code: ErrorCode): ProblemType {
  switch (code) {
    case ErrorCode.ValidationFailed:
      return { status: 400, title: 'The request is not valid', type: ours(code) };
    case ErrorCode.InvalidPublicKey:
      return { status: 400, title: 'The public key cannot be registered', type: ours(code) };
    case ErrorCode.Unauthorized:
      return { status: 401, title: 'A valid API key is required', type: ours(code) };
    case ErrorCode.InsufficientScope:
      return { status: 403, title: 'The API key lacks the scope this route requires', type: ours(code) };
    case ErrorCode.RateLimited:
      return { status: 429, title: 'Too many requests; retry after the time given', type: ours(code) };
    // No route answers it since automatic lockouts went (issue 17: a locked device gets a decoy challenge, DEVICE_LOCKED on a verify signed with its key); kept, as the code set clients of earlier releases know is closed.
    case ErrorCode.DeviceLocked:
      return { status: 423, title: 'The device is locked by an operator', type: ours(code) };
    case ErrorCode.ApiKeyNotFound:
      return { status: 404, title: 'No such API key', type: ours(code) };
    case ErrorCode.DeviceNotFound:
      return { status: 404, title: 'No such device', type: ours(code) };
    case ErrorCode.RouteNotFound:
      return { status: 404, title: 'No such resource', type: ours(code) };
    case ErrorCode.DeviceExists:
      return { status: 409, title: 'The device is already registered', type: ours(code) };
    case ErrorCode.DuplicatePublicKey:
      return { status: 409, title: 'The public key belongs to another device', type: ours(code) };
    case ErrorCode.DeviceRevoked:
      return { status: 409, title: 'The device is revoked', type: ours(code) };
    case ErrorCode.ConcurrencyConflict:
      return { status: 409, title: 'The resource changed concurrently; retry', type: ours(code) };
    case ErrorCode.QueryParameterInvalid:
      return { status: 400, title: 'Invalid query parameter', type: 'epcisException:QueryParameterException' };
    case ErrorCode.QueryTooLarge:
      return { status: 413, title: 'The query would return too many events', type: 'epcisException:QueryTooLargeException' };
    case ErrorCode.QueryInvalid:
      return { status: 400, title: 'Invalid query', type: 'epcisException:QueryValidationException' };
    case ErrorCode.QueryExists:
      return { status: 409, title: 'A query with this name exists', type: 'epcisException:ResourceAlreadyExistsException' };
    case ErrorCode.QueryNotFound:
      return { status: 404, title: 'No such query', type: 'epcisException:NoSuchNameException' };
    case ErrorCode.EventNotFound:
      return { status: 404, title: 'No such event', type: 'epcisException:NoSuchNameException' };
    case ErrorCode.SubscriptionControlsInvalid:
      return { status: 400, title: 'Invalid subscription controls', type: 'epcisException:SubscriptionControlsException' };
    case ErrorCode.NotAcceptable:
      return { status: 406, title: 'The requested media type cannot be served', type: 'epcisException:NotAcceptableException' };
    // The binding names no exception for a full house; a retry later may succeed.
    case ErrorCode.SubscriptionLimitReached:
      return { status: 503, title: 'Too many open subscriptions', type: ours(code) };
    case ErrorCode.PayloadTooLarge:
      return { status: 413, title: 'The request body is too large', type: ours(code) };
    case ErrorCode.UnsupportedMediaType:
      return { status: 415, title: 'The request body must be application/json', type: ours(code) };
    case ErrorCode.ServiceUnavailable:
      return { status: 503, title: 'The service is not ready', type: ours(code) };
    case ErrorCode.Internal:
      return { status: 500, title: 'Internal error', type: ours(code) };
    // The binding's 404 names one exception for every missing resource.
    case ErrorCode.SubscriptionNotFound:
      return { status: 404, title: 'No such subscription', type: 'epcisException:NoSuchNameException' };
    // The binding's 501: a function it defines that this repository does not offer (capture, releasing page tokens).
    case ErrorCode.NotImplemented:
      return { status: 501, title: 'Functionality not supported by server', type: 'epcisException:ImplementationException' };
    // An EPC, business step, disposition, event type ... that no event of the log carries.
    case ErrorCode.ItemNotFound:
      return { status: 404, title: 'No such item in this repository', type: 'epcisException:NoSuchNameException' };
    case ErrorCode.MalformedUrl:
      return { status: 400, title: 'The URL cannot be decoded', type: ours(code) };
    case ErrorCode.UriTooLong:
      return { status: 414, title: 'A path segment is longer than any resource accepts', type: ours(code) };
    case ErrorCode.HeaderFieldsTooLarge:
      return { status: 431, title: 'The request header fields are too large', type: ours(code) };
    case ErrorCode.MalformedRequest:
      return { status: 400, title: 'The request is not well-formed HTTP', type: ours(code) };
    // RFC 9110 section 15.6.2: a method the server supports for no resource (TRACE, CONNECT, or one it does not know).
    case ErrorCode.MethodNotImplemented:
      return { status: 501, title: 'The server implements this method for no resource', type: ours(code) };
    // RFC 9110 section 15.5.6: the resource exists, other methods serve it (the Allow header lists them).
    case ErrorCode.MethodNotAllowed:
      return { status: 405, title: 'The resource does not answer this method', type: ours(code) };
    // The operator's to fix, not the caller's: signed requests stay refused until M2M_PUBLIC_URL is set; other routes work.
    case ErrorCode.PublicUrlNotConfigured:
      return { status: 503, title: 'The server is not configured to verify signed requests', type: ours(code) };
    default:
      return assertUnreachable(code);
  }
}
