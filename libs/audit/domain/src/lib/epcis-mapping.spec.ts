import { computeEventHashId } from '@m2m-trust/audit-event-hash';
import type { DomainEvent, RecordedEvent } from '@m2m-trust/shared-events';

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

import { AUDITED_EVENT_TYPES, CALLER_TEXT_MAX_LENGTH, toEpcisEvent } from './epcis-mapping';
import { EPCIS_CONTEXT, M2M_EXTENSION_FIELDS } from './epcis-vocabulary';

const schema = JSON.parse(readFileSync(resolve(__dirname, '../../../../../../shared/epcis/schema/EPCIS-JSON-Schema.json'), 'utf8'));
const validate = addFormats(new Ajv({ strict: false, allErrors: true })).compile(schema);

let position = 0;
const recorded = (event: DomainEvent, metadata = { requestId: 'req-1', actor: 'api-key:admin' }): RecordedEvent =>
  ({
    ...event,
    metadata,
    eventId: `00000000-0000-4000-8000-${String(++position).padStart(12, '0')}`,
    streamId: 's',
    streamVersion: 1,
    position,
    recordedAt: '2026-11-21T08:00:00.500Z',
    schemaVersion: 1,
  }) as RecordedEvent;

const events: [DomainEvent, string, string, string][] = [
  [
    {
      type: 'DeviceRegistered',
      data: { deviceId: 'meter-1', publicKey: 'ab'.repeat(32), keyThumbprint: 'thumb', label: 'M', metadata: {}, registeredAt: '2026-11-21T08:00:00.000Z' },
    },
    'ADD',
    'commissioning',
    'active',
  ],
  [
    {
      type: 'DeviceAuthenticated',
      data: { challengeId: 'c1', deviceId: 'meter-1', keyThumbprint: 'thumb', method: 'challenge-response', verifiedAt: '2026-11-21T08:00:01.000Z' },
    },
    'OBSERVE',
    'inspecting',
    'conformant',
  ],
  [
    {
      type: 'DeviceAuthenticationFailed',
      data: {
        challengeId: 'c2',
        deviceId: 'meter-1',
        keyThumbprint: 'thumb',
        method: 'challenge-response',
        reason: 'SIGNATURE_INVALID',
        failedAt: '2026-11-21T08:00:02.000Z',
      },
    },
    'OBSERVE',
    'inspecting',
    'non_conformant',
  ],
  [{ type: 'DeviceRevoked', data: { deviceId: 'meter-1', reason: 'lost', revokedAt: '2026-11-21T08:00:03.000Z' } }, 'DELETE', 'decommissioning', 'inactive'],
  [
    {
      type: 'DeviceLocked',
      data: { deviceId: 'meter-1', failures: 5, lockNumber: 1, lockedAt: '2026-11-21T08:00:04.000Z', lockedUntil: '2026-11-21T08:01:04.000Z' },
    },
    'OBSERVE',
    'holding',
    'unavailable',
  ],
  [{ type: 'DeviceUnlocked', data: { deviceId: 'meter-1', reason: 'checked on site', unlockedAt: '2026-11-21T08:00:05.000Z' } }, 'OBSERVE', 'holding', 'active'],
  [
    {
      type: 'ApiKeyCreated',
      data: {
        apiKeyId: 'k1',
        name: 'auditor',
        scopes: ['audit:read'],
        expiresAt: null,
        secretHash: 'cd'.repeat(32),
        createdAt: '2026-11-21T08:00:06.000Z',
      },
    },
    'ADD',
    'commissioning',
    'active',
  ],
  [{ type: 'ApiKeyRevoked', data: { apiKeyId: 'k1', reason: null, revokedAt: '2026-11-21T08:00:07.000Z' } }, 'DELETE', 'decommissioning', 'inactive'],
];

describe('EPCIS mapping', () => {
  it.each(events.map(([e, ...rest]) => [e.type, e, ...rest] as const))('maps %s to a valid ObjectEvent %s', (_, event, action, bizStep, disposition) => {
    const epcis = toEpcisEvent(recorded(event))!;
    const epc = 'apiKeyId' in event.data ? `urn:m2m-trust:api-key:${event.data.apiKeyId}` : 'urn:m2m-trust:device:meter-1';
    expect(epcis).toMatchObject({ type: 'ObjectEvent', action, bizStep, disposition, epcList: [epc] });
    expect(epcis.eventTimeZoneOffset).toBe('+00:00');
    expect(epcis.recordTime).toBe('2026-11-21T08:00:00.500Z');
    expect(epcis['m2m:requestId']).toBe('req-1');
    const standalone = { '@context': EPCIS_CONTEXT, ...epcis };
    expect(validate(standalone) ? null : validate.errors).toBeNull();
    const document = {
      '@context': EPCIS_CONTEXT,
      type: 'EPCISDocument',
      schemaVersion: '2.0',
      creationDate: '2026-11-21T08:00:00.000Z',
      epcisBody: { eventList: [epcis] },
    };
    expect(validate(document) ? null : validate.errors).toBeNull();
  });

  it('names each event by its CBV 2.0 hash, which does not depend on the record time', () => {
    const event = recorded(events[0]![0]);
    const epcis = toEpcisEvent(event)!;
    const { eventID, ...body } = epcis;
    expect(eventID).toBe(computeEventHashId(body, { m2m: 'https://ns.m2m-trust.org/epcis/' }));
    expect(toEpcisEvent({ ...event, recordedAt: '2030-01-01T00:00:00.000Z' })!.eventID).toBe(eventID);
  });

  it('gives two otherwise identical events different IDs (the source event id is part of the record)', () => {
    const a = toEpcisEvent(recorded(events[2]![0]))!;
    const b = toEpcisEvent(recorded(events[2]![0]))!;
    expect(a.eventID).not.toBe(b.eventID);
  });

  it('audits exactly the listed event types and nothing for an issued challenge', () => {
    const issued: DomainEvent = {
      type: 'ChallengeIssued',
      data: { challengeId: 'c', deviceId: 'd', nonce: 'n', issuedAt: '2026-11-21T08:00:00.000Z', expiresAt: '2026-11-21T08:01:00.000Z' },
    };
    expect(toEpcisEvent(recorded(issued))).toBeNull();
    expect([...AUDITED_EVENT_TYPES].sort()).toEqual(events.map(([e]) => e.type).sort());
  });

  it('writes only the extension fields the query parameters know (a condition on any other m2m field selects nothing)', () => {
    const withToken: DomainEvent = {
      type: 'DeviceAuthenticated',
      data: { challengeId: 'c3', deviceId: 'meter-1', keyThumbprint: 'thumb', method: 'private_key_jwt', tokenId: 't1', assertionId: 'a1', verifiedAt: '2026-11-21T08:00:01.000Z' },
    };
    const written = [...events.map(([e]) => e), withToken].flatMap((e) => Object.keys(toEpcisEvent(recorded(e))!).filter((key) => key.startsWith('m2m:')));
    expect(written).toContain('m2m:tokenId');
    for (const key of written) expect(M2M_EXTENSION_FIELDS).toContain(key.slice('m2m:'.length));
  });

  it("never copies an API key's secret hash into the audit log", () => {
    const created = events.find(([e]) => e.type === 'ApiKeyCreated')![0];
    const epcis = toEpcisEvent(recorded(created))!;
    expect(JSON.stringify(epcis)).not.toContain('cd'.repeat(32));
    expect(epcis).toMatchObject({ 'm2m:name': 'auditor', 'm2m:scopes': 'audit:read' });
  });

  it('keeps optional fields out when they are absent', () => {
    const epcis = toEpcisEvent(recorded({ type: 'DeviceRevoked', data: { deviceId: 'd', reason: null, revokedAt: '2026-11-21T08:00:03.000Z' } }, { requestId: 'r' } as never))!;
    expect(epcis).not.toHaveProperty('m2m:reason');
    expect(epcis).not.toHaveProperty('m2m:actor');
  });

  describe('strings from callers (docs/epcis.md)', () => {
    const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
    const refusedAssertion = (assertionId: string): DomainEvent => ({
      type: 'DeviceAuthenticationFailed',
      data: { challengeId: null, deviceId: 'meter-1', keyThumbprint: null, method: 'private_key_jwt', reason: 'SIGNATURE_INVALID', failedAt: '2026-11-21T08:00:02.000Z', assertionId },
    });

    it.each([
      ['NUL', 'jti\u0000x', Buffer.from('jti\u0000x')],
      ['an ANSI escape', '\u001b[2Jjti', Buffer.from('\u001b[2Jjti')],
      ['a C1 control', 'jti\u0085', Buffer.from('jti\u0085')],
      ['a noncharacter XML forbids', 'jti\uffff', Buffer.from('jti\uffff')],
      // WHATWG's UTF-8 encoder: a lone surrogate is written as U+FFFD (EF BF BD).
      ['a lone surrogate', 'jti\ud800', Buffer.from([0x6a, 0x74, 0x69, 0xef, 0xbf, 0xbd])],
      ['text past the length bound', 'j'.repeat(CALLER_TEXT_MAX_LENGTH + 1), Buffer.from('j'.repeat(CALLER_TEXT_MAX_LENGTH + 1))],
    ])('records a refused assertion whose jti holds %s as the SHA-256 of its UTF-8 bytes only', (_, jti, utf8) => {
      const epcis = toEpcisEvent(recorded(refusedAssertion(jti)))!;
      expect(epcis).not.toHaveProperty('m2m:assertionId');
      expect(epcis['m2m:assertionIdSha256']).toBe(sha256(utf8));
      expect(JSON.stringify(epcis)).toMatch(/^[\x20-\x7e]*$/);
      expect(validate({ '@context': EPCIS_CONTEXT, ...epcis }) ? null : validate.errors).toBeNull();
    });

    it('records plain text within the bound as it is', () => {
      const jti = `é🔐=${'j'.repeat(CALLER_TEXT_MAX_LENGTH - 4)}`;
      expect(jti.length).toBe(CALLER_TEXT_MAX_LENGTH);
      expect(toEpcisEvent(recorded(refusedAssertion(jti)))!['m2m:assertionId']).toBe(jti);
    });

    it('applies the same rule to names and reasons an older release let in (the deciders refuse them now)', () => {
      const revoked = toEpcisEvent(recorded({ type: 'DeviceRevoked', data: { deviceId: 'meter-1', reason: 'lost\u0000', revokedAt: '2026-11-21T08:00:03.000Z' } }))!;
      expect(revoked).toMatchObject({ 'm2m:reasonSha256': sha256(Buffer.from('lost\u0000')) });
      expect(revoked).not.toHaveProperty('m2m:reason');
      const created = events.find(([e]) => e.type === 'ApiKeyCreated')![0] as Extract<DomainEvent, { type: 'ApiKeyCreated' }>;
      const named = toEpcisEvent(recorded({ ...created, data: { ...created.data, name: 'ops\r\nbot' } }))!;
      expect(Object.keys(named).filter((key) => key.startsWith('m2m:name'))).toEqual(['m2m:nameSha256']);
    });
  });
});
