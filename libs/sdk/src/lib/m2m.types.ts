import type { PrivateKeyInput } from './device-keys';
// The wire shapes of the m2m-trust HTTP API (README "API"), written out here
// rather than imported: the SDK depends on nothing inside the workspace.
import { type EpcisEventFilters } from './epcis-query';

export type DeviceStatus = 'active' | 'revoked';

export interface Device {
  readonly deviceId: string;
  /** Raw 32-byte Ed25519 public key, lowercase hex. */
  readonly publicKey: string;
  /** RFC 7638 JWK thumbprint of the key (base64url SHA-256). */
  readonly keyThumbprint: string;
  readonly label: string;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly status: DeviceStatus;
  readonly createdAt: string;
  readonly revokedAt?: string;
  readonly revocationReason?: string;
}

export interface RegisterDeviceInput {
  /** `^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$` */
  readonly deviceId: string;
  /** 32 bytes as 64 hex or 43 unpadded base64url characters. */
  readonly publicKey: string;
  readonly label?: string;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

export interface ListDevicesQuery {
  readonly status?: DeviceStatus;
  /** Page size, 1 to 1000; the service defaults to 50. */
  readonly limit?: number;
  /** `nextCursor` of the previous page. */
  readonly cursor?: string;
}

export interface IterateDevicesQuery {
  readonly status?: DeviceStatus;
  /** Devices fetched per request, 1 to 1000 (default 100). */
  readonly pageSize?: number;
}

export interface DevicePage {
  readonly items: readonly Device[];
  /** Pass as `cursor` for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

export interface RevokeDeviceInput {
  /** Recorded in the audit log. */
  readonly reason?: string;
}

/** A device's failed-authentication record and any operator lock (docs/abuse-limits.md). Failures lock nothing. */
export interface DeviceLockout {
  readonly deviceId: string;
  /** Whether authentications are refused now (an operator lock is in force). */
  readonly locked: boolean;
  /** End of the lock in force; null when not locked or locked until an operator unlocks the device. */
  readonly lockedUntil: string | null;
  /** The operator's reason for the lock in force; null when not locked. */
  readonly lockReason: string | null;
  /** Failed authentications since the last success or unlock. */
  readonly consecutiveFailures: number;
  readonly lastFailureAt: string | null;
  /** The latest failure's reason, as the audit log records it (`DEVICE_NOT_FOUND` never: unknown devices have no record). */
  readonly lastFailureReason: string | null;
  /** Locks since the last success or unlock. */
  readonly lockNumber: number;
}

export interface LockDeviceInput {
  /** Why; recorded in the audit log. */
  readonly reason: string;
  /** When the lock ends by itself (ISO 8601, in the future); without it the lock holds until an unlock. */
  readonly until?: string;
}

export interface UnlockDeviceInput {
  /** Recorded in the audit log. */
  readonly reason?: string;
}

export interface Challenge {
  /** A UUID; the `cid` field of the nonce. */
  readonly id: string;
  readonly deviceId: string;
  /** Exactly the characters the device signs (docs/protocol.md). */
  readonly nonce: string;
  readonly algorithm: 'Ed25519';
  /** RFC 3339 UTC with milliseconds; the `exp` field of the nonce. */
  readonly expiresAt: string;
}

export interface InitiateChallengeInput {
  readonly deviceId: string;
}

export interface VerifyInput {
  readonly challengeId: string;
  /** 64 bytes as 128 hex or 86 unpadded base64url characters. */
  readonly signature: string;
}

export const VERIFY_FAILURE_REASONS = [
  'SIGNATURE_INVALID',
  'SIGNATURE_NON_CANONICAL',
  'CHALLENGE_EXPIRED',
  'CHALLENGE_ALREADY_USED',
  'CHALLENGE_NOT_FOUND',
  'DEVICE_REVOKED',
  'DEVICE_LOCKED',
] as const;
export type VerifyFailureReason = (typeof VERIFY_FAILURE_REASONS)[number];

export type VerifyResult =
  | {
      readonly verified: true;
      readonly deviceId: string;
      readonly verifiedAt: string;
      /** A short-lived JWT (EdDSA) to show the services the device calls: `Authorization: Bearer <accessToken>`. */
      readonly accessToken: string;
      readonly tokenType: 'Bearer';
      /** Seconds until accessToken expires. */
      readonly expiresIn: number;
    }
  | { readonly verified: false; readonly reason: VerifyFailureReason };

/** Error codes the service answers with today; others may be added, so `code` stays a string. */
export type ApiErrorCode =
  | 'VALIDATION_FAILED'
  | 'INVALID_PUBLIC_KEY'
  | 'UNAUTHORIZED'
  | 'INSUFFICIENT_SCOPE'
  | 'RATE_LIMITED'
  | 'DEVICE_LOCKED'
  | 'API_KEY_NOT_FOUND'
  | 'DEVICE_NOT_FOUND'
  | 'DEVICE_EXISTS'
  | 'DUPLICATE_PUBLIC_KEY'
  | 'DEVICE_REVOKED'
  | 'CONCURRENCY_CONFLICT'
  | 'QUERY_PARAMETER_INVALID'
  | 'QUERY_TOO_LARGE'
  | 'ROUTE_NOT_FOUND'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL'
  | 'MALFORMED_URL'
  | 'URI_TOO_LONG'
  | 'HEADER_FIELDS_TOO_LARGE'
  | 'MALFORMED_REQUEST'
  | 'METHOD_NOT_IMPLEMENTED'
  | 'METHOD_NOT_ALLOWED'
  | 'PUBLIC_URL_NOT_CONFIGURED';

/** One EPCIS 2.0 ObjectEvent of the audit log (docs/epcis.md), with the `m2m:` extension fields. */
export interface EpcisEvent {
  readonly type: string;
  readonly eventID?: string;
  readonly eventTime: string;
  readonly eventTimeZoneOffset?: string;
  readonly recordTime?: string;
  readonly epcList?: readonly string[];
  readonly action?: 'ADD' | 'OBSERVE' | 'DELETE';
  readonly bizStep?: string;
  readonly disposition?: string;
  readonly 'm2m:reason'?: string;
  readonly 'm2m:challengeId'?: string;
  readonly 'm2m:keyThumbprint'?: string;
  readonly 'm2m:method'?: string;
  readonly 'm2m:actor'?: string;
  readonly 'm2m:requestId'?: string;
  readonly 'm2m:sourceEventId'?: string;
  readonly [field: string]: unknown;
}

export interface EpcisQueryDocument {
  readonly '@context': unknown;
  readonly type: 'EPCISQueryDocument';
  readonly schemaVersion: string;
  readonly creationDate: string;
  readonly epcisBody: {
    readonly queryResults: {
      readonly queryName: string;
      readonly resultsBody: { readonly eventList: readonly EpcisEvent[] };
    };
  };
}

export const EXPORT_FORMATS = ['jsonld', 'xml', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The filters of `queryEvents` but paging: an export holds every match. */
export type ExportFilters = Omit<EpcisEventFilters, 'perPage'>;

/** A compliance export as it arrives (docs/epcis.md, "Append-only and tamper-evident"). */
export interface AuditExport {
  readonly format: ExportFormat;
  /** As the service sent it, e.g. `application/ld+json; charset=utf-8`. */
  readonly contentType: string;
  /** The service's suggested name (`epcis-export-1042.jsonld`), reduced to a safe base name. */
  readonly filename: string;
  /** The file, as it streams in: the body, then (JSON-LD, XML) the signed manifest. */
  readonly body: ReadableStream<Uint8Array>;
  /**
   * The chain head the export covers, from the CSV's `Link: <…>; rel="describedby"`
   * to its manifest: pass it to `exportManifest` to have exactly this file signed.
   * Null for JSON-LD and XML, whose manifest ends the file.
   */
  readonly snapshotSeq: number | null;
}

/** One public key of a JWKS (RFC 7517); the service's are Ed25519 (`kty: OKP`, `crv: Ed25519`). */
export interface PublicJwk {
  readonly kty: string;
  readonly kid?: string;
  readonly crv?: string;
  readonly x?: string;
  readonly alg?: string;
  readonly use?: string;
  readonly [member: string]: unknown;
}

export interface JsonWebKeySet {
  readonly keys: readonly PublicJwk[];
}

/** A signed statement of the audit chain's head at a sequence number. */
export interface AuditCheckpoint {
  readonly seq: number;
  /** The record hash at `seq`, 64 hex characters. */
  readonly head: string;
  readonly signedAt: string;
  /** The signing key's id (its RFC 7638 thumbprint). */
  readonly kid: string;
  /** Compact JWS (EdDSA, `typ: m2m-audit-checkpoint+jws`) over `{iss, seq, head, iat}`. */
  readonly jws: string;
  readonly keys: JsonWebKeySet;
}

export interface RequestTokenInput {
  readonly deviceId: string;
  readonly privateKey: PrivateKeyInput;
  /** The assertion's `aud`: the service's token endpoint URL by default (`<baseUrl origin>/oauth2/token`). */
  readonly audience?: string;
  /** How long the one-time assertion is valid, in seconds (default 60; the service accepts at most M2M_CLIENT_ASSERTION_MAX_SECONDS, 300). */
  readonly lifetimeSeconds?: number;
}

/** An access token from POST /oauth2/token, in the SDK's camelCase (docs/tokens.md). */
export interface AccessToken {
  readonly accessToken: string;
  readonly tokenType: 'Bearer';
  readonly expiresIn: number;
}
