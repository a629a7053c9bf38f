import { type TransportResponse } from './http.transport';
import { M2MInvalidResponseError } from './m2m.error';
import {
  type AccessToken,
  type AuditCheckpoint,
  type Challenge,
  type Device,
  type DeviceLockout,
  type DevicePage,
  type EpcisEvent,
  type EpcisQueryDocument,
  type JsonWebKeySet,
  VERIFY_FAILURE_REASONS,
  type VerifyFailureReason,
  type VerifyResult,
} from './m2m.types';

// Light shape checks on what the service answers. Not a schema validator:
// enough that a proxy's error page or a field the caller branches on being
// the wrong type (`verified: "false"` is truthy) fails loudly, here.

type Json = Record<string, unknown>;

function invalid(response: TransportResponse, what: string): M2MInvalidResponseError {
  return new M2MInvalidResponseError(`Unexpected answer from ${response.url.pathname} (${response.status}): ${what}`, {
    status: response.status,
    requestId: response.headers.get('x-request-id') ?? undefined,
  });
}

function object(response: TransportResponse, value: unknown, what: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(response, `${what} is not an object`);
  return value as Json;
}

function strings(response: TransportResponse, record: Json, keys: readonly string[], what: string): void {
  for (const key of keys) {
    if (typeof record[key] !== 'string') throw invalid(response, `${what}.${key} is not a string`);
  }
}

function device(response: TransportResponse, value: unknown, what = 'device'): Device {
  const record = object(response, value, what);
  strings(response, record, ['deviceId', 'publicKey', 'keyThumbprint', 'status', 'createdAt'], what);
  if (record['status'] !== 'active' && record['status'] !== 'revoked') throw invalid(response, `${what}.status is ${String(record['status'])}`);
  return record as unknown as Device;
}

export function asAccessToken(response: TransportResponse): AccessToken {
  const record = object(response, response.body, 'token');
  strings(response, record, ['access_token', 'token_type'], 'token');
  if (record['token_type'] !== 'Bearer' || typeof record['expires_in'] !== 'number') throw invalid(response, 'not a bearer token response');
  return { accessToken: record['access_token'] as string, tokenType: 'Bearer', expiresIn: record['expires_in'] };
}

export function asDeviceLockout(response: TransportResponse): DeviceLockout {
  const record = object(response, response.body, 'lockout');
  strings(response, record, ['deviceId'], 'lockout');
  if (typeof record['locked'] !== 'boolean' || typeof record['consecutiveFailures'] !== 'number' || typeof record['lockNumber'] !== 'number') {
    throw invalid(response, 'not a device lockout');
  }
  if (record['lockedUntil'] !== null && typeof record['lockedUntil'] !== 'string') throw invalid(response, 'lockout.lockedUntil is not a string or null');
  return record as unknown as DeviceLockout;
}

export function asDevice(response: TransportResponse): Device {
  return device(response, response.body);
}

export function asDevicePage(response: TransportResponse): DevicePage {
  const record = object(response, response.body, 'page');
  if (!Array.isArray(record['items'])) throw invalid(response, 'page.items is not an array');
  if (record['nextCursor'] !== null && typeof record['nextCursor'] !== 'string') throw invalid(response, 'page.nextCursor is not a string or null');
  return { items: record['items'].map((item, i) => device(response, item, `items[${i}]`)), nextCursor: record['nextCursor'] };
}

export function asChallenge(response: TransportResponse): Challenge {
  const record = object(response, response.body, 'challenge');
  strings(response, record, ['id', 'deviceId', 'nonce', 'algorithm', 'expiresAt'], 'challenge');
  return record as unknown as Challenge;
}

export function asVerifyResult(response: TransportResponse): VerifyResult {
  const record = object(response, response.body, 'result');
  if (record['verified'] === true) {
    strings(response, record, ['deviceId', 'verifiedAt', 'accessToken'], 'result');
    if (record['tokenType'] !== 'Bearer' || typeof record['expiresIn'] !== 'number') throw invalid(response, 'a verified result without a bearer token');
    return {
      verified: true,
      deviceId: record['deviceId'] as string,
      verifiedAt: record['verifiedAt'] as string,
      accessToken: record['accessToken'] as string,
      tokenType: 'Bearer',
      expiresIn: record['expiresIn'],
    };
  }
  if (record['verified'] === false && VERIFY_FAILURE_REASONS.includes(record['reason'] as VerifyFailureReason)) {
    return { verified: false, reason: record['reason'] as VerifyFailureReason };
  }
  throw invalid(response, 'not a verify result');
}

export function asEpcisDocument(response: TransportResponse): { document: EpcisQueryDocument; events: readonly EpcisEvent[] } {
  const record = object(response, response.body, 'document');
  if (record['type'] !== 'EPCISQueryDocument') throw invalid(response, 'not an EPCISQueryDocument');
  const body = record['epcisBody'] as { queryResults?: { resultsBody?: { eventList?: unknown } } } | undefined;
  const events = body?.queryResults?.resultsBody?.eventList;
  if (!Array.isArray(events)) throw invalid(response, 'epcisBody.queryResults.resultsBody.eventList is not an array');
  return { document: record as unknown as EpcisQueryDocument, events: events.map((event, i) => object(response, event, `eventList[${i}]`) as EpcisEvent) };
}

function keySet(response: TransportResponse, value: unknown, what: string): JsonWebKeySet {
  const record = object(response, value, what);
  if (!Array.isArray(record['keys'])) throw invalid(response, `${what}.keys is not an array`);
  record['keys'].forEach((key, i) => strings(response, object(response, key, `${what}.keys[${i}]`), ['kty'], `${what}.keys[${i}]`));
  return record as unknown as JsonWebKeySet;
}

export function asJsonWebKeySet(response: TransportResponse): JsonWebKeySet {
  return keySet(response, response.body, 'key set');
}

export function asCheckpoint(response: TransportResponse): AuditCheckpoint {
  const record = object(response, response.body, 'checkpoint');
  strings(response, record, ['head', 'signedAt', 'kid', 'jws'], 'checkpoint');
  if (!Number.isSafeInteger(record['seq']) || (record['seq'] as number) < 0) throw invalid(response, 'checkpoint.seq is not a sequence number');
  keySet(response, record['keys'], 'checkpoint.keys');
  return record as unknown as AuditCheckpoint;
}
