/**
 * The closed set of reasons the messaging layer refuses something. Decode
 * refusals stop a consumer on purpose: skipping the event would lose it for good.
 */
export const MessagingErrorCode = {
  /** The event type is not in this build's EventCatalog. */
  UnknownEventType: 'UNKNOWN_EVENT_TYPE',
  /** The event was written with a schema version newer than this build knows. */
  UnsupportedSchemaVersion: 'UNSUPPORTED_SCHEMA_VERSION',
  /** The message is not an event envelope this lib wrote (shape, headers or key disagree). */
  MalformedEvent: 'MALFORMED_EVENT',
  /** The broker did not acknowledge a publish; the caller retries the same batch. */
  PublishFailed: 'PUBLISH_FAILED',
  /** A call the bus cannot serve in its current lifecycle state. */
  InvalidState: 'INVALID_STATE',
} as const;
export type MessagingErrorCode = (typeof MessagingErrorCode)[keyof typeof MessagingErrorCode];

/** Where and what a refused message was; never its payload. */
export interface MessagingErrorDetails {
  readonly eventId?: string | null;
  readonly eventType?: string | null;
  readonly schemaVersion?: number | null;
  readonly knownSchemaVersion?: number | null;
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: string;
}

export class MessagingError extends Error {
  constructor(
    readonly code: MessagingErrorCode,
    message: string,
    readonly details: MessagingErrorDetails = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'MessagingError';
  }
}

export function isMessagingError(error: unknown): error is MessagingError {
  return error instanceof MessagingError;
}
