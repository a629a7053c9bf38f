/** Request metadata a caller may send: its own request id, to correlate (as HTTP's X-Request-Id). */
export const REQUEST_ID_METADATA = 'x-request-id';

/** Trailing metadata of every answer: the request id the audit log records as m2m:requestId. */
export const REQUEST_ID_TRAILER = 'm2m-request-id';

/** Trailing metadata of a refused call: the stable error code (DEVICE_NOT_FOUND, ...), as HTTP's problem `code`. */
export const ERROR_CODE_TRAILER = 'm2m-error-code';
