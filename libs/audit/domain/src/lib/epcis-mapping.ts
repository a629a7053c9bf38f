import { computeEventHashId } from '@m2m-trust/audit-event-hash';
import { assertUnreachable, isPlainText } from '@m2m-trust/shared-domain';
import type { DomainEvent, DomainEventType, RecordedEvent } from '@m2m-trust/shared-events';

import { createHash } from 'node:crypto';

import { apiKeyEpc, deviceEpc, EPCIS_PREFIXES, type EpcisAction } from './epcis-vocabulary';

/** One EPCIS 2.0 ObjectEvent as this service records it (no @context: documents carry it). */
export interface EpcisObjectEvent {
  readonly type: 'ObjectEvent';
  readonly eventID: string;
  readonly eventTime: string;
  readonly eventTimeZoneOffset: string;
  readonly recordTime: string;
  readonly epcList: readonly string[];
  readonly action: EpcisAction;
  readonly bizStep: string;
  readonly disposition: string;
  readonly [extension: `m2m:${string}`]: string | undefined;
}

interface Classification {
  readonly action: EpcisAction;
  readonly bizStep: string;
  readonly disposition: string;
  readonly eventTime: string;
  /** The one EPC the event is about: a device's or an API key's URN. */
  readonly epc: string;
  readonly extensions: Readonly<Record<string, string | CallerText | null | undefined>>;
}

/** Text a caller chose (a name, a reason, an assertion's jti): recorded by {@link callerTextFields}. */
interface CallerText {
  readonly callerText: string;
}
const callerText = (value: string | null | undefined): CallerText | null => (value === null || value === undefined ? null : { callerText: value });

/** The longest caller text recorded as it is (UTF-16 code units: a reason is at most 500, a jti 256). */
export const CALLER_TEXT_MAX_LENGTH = 512;

/**
 * How a string a caller chose is recorded (docs/epcis.md, "Strings from
 * callers"): as it is under `m2m:<field>` when it is plain text (no control
 * character, lone surrogate or noncharacter) of at most
 * {@link CALLER_TEXT_MAX_LENGTH} code units; otherwise only its digest, under
 * `m2m:<field>Sha256`: the SHA-256 of its UTF-8 encoding (a lone surrogate
 * encoded as U+FFFD), lowercase hex. The API refuses such text where it is the
 * caller's own data; what still arrives is a stranger's (the `jti` of a
 * refused client assertion) or from before the rule, and must be audited
 * without letting it into exports as it is.
 */
export function callerTextFields(field: string, value: string): Record<string, string> {
  if (value.length <= CALLER_TEXT_MAX_LENGTH && isPlainText(value)) return { [`m2m:${field}`]: value };
  return { [`m2m:${field}Sha256`]: createHash('sha256').update(value, 'utf8').digest('hex') };
}

/** Which domain events the audit log records, and as what (docs/epcis.md). */
function classify(event: DomainEvent): Classification | null {
  switch (event.type) {
    case 'DeviceRegistered':
      return {
        action: 'ADD',
        bizStep: 'commissioning',
        disposition: 'active',
        eventTime: event.data.registeredAt,
        epc: deviceEpc(event.data.deviceId),
        extensions: { keyThumbprint: event.data.keyThumbprint },
      };
    case 'DeviceRevoked':
      return {
        action: 'DELETE',
        bizStep: 'decommissioning',
        disposition: 'inactive',
        eventTime: event.data.revokedAt,
        epc: deviceEpc(event.data.deviceId),
        extensions: { reason: callerText(event.data.reason) },
      };
    case 'DeviceAuthenticated':
      return {
        action: 'OBSERVE',
        bizStep: 'inspecting',
        disposition: 'conformant',
        eventTime: event.data.verifiedAt,
        epc: deviceEpc(event.data.deviceId),
        extensions: {
          method: event.data.method,
          challengeId: event.data.challengeId,
          keyThumbprint: event.data.keyThumbprint,
          tokenId: event.data.tokenId,
          assertionId: callerText(event.data.assertionId),
        },
      };
    case 'DeviceAuthenticationFailed':
      return {
        action: 'OBSERVE',
        bizStep: 'inspecting',
        disposition: 'non_conformant',
        eventTime: event.data.failedAt,
        epc: deviceEpc(event.data.deviceId),
        extensions: {
          method: event.data.method,
          reason: event.data.reason,
          challengeId: event.data.challengeId,
          keyThumbprint: event.data.keyThumbprint,
          assertionId: callerText(event.data.assertionId),
          // `challenge`: refused when the challenge was requested (the caller got a decoy); absent: at verify.
          phase: event.data.phase,
        },
      };
    case 'DeviceLocked':
      return {
        action: 'OBSERVE',
        bizStep: 'holding',
        disposition: 'unavailable',
        eventTime: event.data.lockedAt,
        epc: deviceEpc(event.data.deviceId),
        // An operator's lock has a reason and may have no end; the automatic locks recorded before issue 17 have an end and no reason.
        extensions: {
          failures: String(event.data.failures),
          lockNumber: String(event.data.lockNumber),
          lockedUntil: event.data.lockedUntil,
          reason: callerText(event.data.reason),
        },
      };
    case 'DeviceUnlocked':
      return {
        action: 'OBSERVE',
        bizStep: 'holding',
        disposition: 'active',
        eventTime: event.data.unlockedAt,
        epc: deviceEpc(event.data.deviceId),
        extensions: { reason: callerText(event.data.reason) },
      };
    case 'ApiKeyCreated':
      return {
        action: 'ADD',
        bizStep: 'commissioning',
        disposition: 'active',
        eventTime: event.data.createdAt,
        epc: apiKeyEpc(event.data.apiKeyId),
        // Never the secret's hash: the log is for auditors, the hash only for checking keys.
        extensions: { name: callerText(event.data.name), scopes: event.data.scopes.join(' '), expiresAt: event.data.expiresAt },
      };
    case 'ApiKeyRevoked':
      return {
        action: 'DELETE',
        bizStep: 'decommissioning',
        disposition: 'inactive',
        eventTime: event.data.revokedAt,
        epc: apiKeyEpc(event.data.apiKeyId),
        extensions: { reason: callerText(event.data.reason) },
      };
    case 'ChallengeIssued':
      // Issuing a challenge proves nothing about a device; its outcome is what is audited.
      return null;
    default:
      return assertUnreachable(event);
  }
}

/** The domain events that become audit records; every other type maps to nothing. */
export const AUDITED_EVENT_TYPES: readonly DomainEventType[] = [
  'DeviceRegistered',
  'DeviceRevoked',
  'DeviceAuthenticated',
  'DeviceAuthenticationFailed',
  'DeviceLocked',
  'DeviceUnlocked',
  'ApiKeyCreated',
  'ApiKeyRevoked',
];

/**
 * Maps a recorded domain event to its EPCIS ObjectEvent, or null when the
 * event is not audited. Deterministic: the same recorded event always gives
 * the same document and so the same event hash ID.
 */
export function toEpcisEvent(event: RecordedEvent): EpcisObjectEvent | null {
  const c = classify(event);
  if (!c) return null;
  const body: Record<string, unknown> = {
    type: 'ObjectEvent',
    eventTime: c.eventTime,
    eventTimeZoneOffset: '+00:00',
    recordTime: event.recordedAt,
    epcList: [c.epc],
    action: c.action,
    bizStep: c.bizStep,
    disposition: c.disposition,
  };
  for (const [name, value] of Object.entries(c.extensions)) {
    if (typeof value === 'string') body[`m2m:${name}`] = value;
    else if (value !== null && value !== undefined) Object.assign(body, callerTextFields(name, value.callerText));
  }
  if (event.metadata.actor) body['m2m:actor'] = event.metadata.actor;
  if (event.metadata.requestId) body['m2m:requestId'] = event.metadata.requestId;
  body['m2m:sourceEventId'] = event.eventId;
  // The hash excludes recordTime by definition, so the ID names the event, not its storage.
  const eventID = computeEventHashId(body, EPCIS_PREFIXES);
  return { eventID, ...body } as unknown as EpcisObjectEvent;
}
