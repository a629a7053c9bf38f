import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { credentials, status } from '@grpc/grpc-js';

import { track } from '../tools/scripts/child-registry.cjs';
import { mainOf } from '../tools/scripts/cluster.cjs';
import { asHttpDevice, type GrpcAnswer, GrpcApi, grpcTargetOf, trailer } from './grpc-client';
import { Api, authenticate, type Device, newDevice, register } from './support/client';
import { MIXED_ORDER_KEY_VECTORS } from './support/key-vectors';
import { outputThrough } from './support/logs';
import { newDataDir, type RunningServer, startServer } from './support/server';

const L = (1n << 252n) + 27742317777372353535851937790883648493n;

/** The same signature with S replaced by S + L: valid under a lax verifier, refused here. */
function malleate(signatureHex: string): string {
  const sig = Buffer.from(signatureHex, 'hex');
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i]!);
  s += L;
  for (let i = 32; i < 64; i++, s >>= 8n) sig[i] = Number(s & 0xffn);
  return sig.toString('hex');
}

interface EpcisEvent {
  [field: string]: unknown;
}
interface QueryDocument {
  epcisBody: { queryResults: { resultsBody: { eventList: EpcisEvent[] } } };
}

/** Asserts a refusal: the status, the stable error code trailer and the request id trailer. */
function expectRefused(answer: GrpcAnswer<unknown>, code: status, errorCode: string): void {
  expect(answer.ok ? 'answered OK' : { code: answer.code, errorCode: trailer(answer, 'm2m-error-code') }).toEqual({ code, errorCode });
  expect(trailer(answer, 'm2m-request-id')).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
}

function ok<T>(answer: GrpcAnswer<T>): T {
  if (!answer.ok) throw new Error(`gRPC call failed: ${status[answer.code]} ${answer.details} (${trailer(answer, 'm2m-error-code')})`);
  return answer.value;
}

describe('gRPC API', () => {
  let server: RunningServer;
  let http: Api;
  let grpc: GrpcApi;
  let device: Device;

  const events = async (query: string): Promise<EpcisEvent[]> => {
    const answer = await http.get<QueryDocument>(`/epcis/events?${query}`);
    expect(answer.status).toBe(200);
    return answer.body.epcisBody.queryResults.resultsBody.eventList;
  };
  const challengeFor = async (deviceId: string) => ok(await grpc.initiateChallenge(deviceId));

  beforeAll(async () => {
    server = await startServer({ env: { M2M_AUDIENCE: 'https://grpc.test.example' } });
    http = new Api(server.url, server.adminKey);
    grpc = new GrpcApi(grpcTargetOf(server.output()), server.adminKey);
    device = newDevice('grpc');
    ok(await grpc.registerDevice({ deviceId: device.deviceId, publicKey: device.publicKeyHex, label: 'Scanner over gRPC' }));
  });
  afterAll(async () => {
    grpc.close();
    await server.stop();
  });

  it('listens on its own free port (PORT=0 and GRPC_PORT unset) and names it in the listening line beside the HTTP url', () => {
    const line = server.output().split('\n').find((l) => l.includes('"msg":"listening"'))!;
    const parsed = JSON.parse(line) as { url: string; grpcUrl: string; grpcTls: boolean };
    expect(parsed.url).toBe(server.url);
    expect(parsed.grpcUrl).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(parsed.grpcUrl).not.toMatch(/:0$/);
    expect(parsed.grpcUrl.split(':')[1]).not.toBe(new URL(server.url).port);
    expect(parsed.grpcTls).toBe(false);
  });

  describe('health checking (grpc.health.v1)', () => {
    it.each(['', 'm2m.v1.DeviceRegistry', 'm2m.v1.Authentication', 'm2m.v1.Audit'])('answers SERVING for "%s"', async (service) => {
      expect(await grpc.checkHealth(service)).toEqual({ code: status.OK, status: 'SERVING' });
    });

    it('answers NOT_FOUND for a service it does not have', async () => {
      expect((await grpc.checkHealth('m2m.v1.Nothing')).code).toBe(status.NOT_FOUND);
    });
  });

  describe('the device registry gives the same answers as HTTP', () => {
    it('registers over gRPC what HTTP then answers field for field, metadata included', async () => {
      const d = newDevice('grpc-reg');
      const registered = ok(
        await grpc.registerDevice({
          deviceId: d.deviceId,
          publicKey: d.publicKeyHex.toUpperCase(),
          label: 'Factory Floor Scanner #3',
          metadata: {
            fields: {
              floor: { numberValue: 3 },
              tags: { listValue: { values: [{ stringValue: 'a' }, { boolValue: true }, { nullValue: 'NULL_VALUE' }] } },
              site: { structValue: { fields: { city: { stringValue: 'Köln' } } } },
            },
          },
        }),
      );
      expect(registered.status).toBe('DEVICE_STATUS_ACTIVE');
      expect(registered.publicKey).toBe(d.publicKeyHex);
      const overHttp = await http.get(`/v1/devices/${d.deviceId}`);
      expect(overHttp.status).toBe(200);
      expect(asHttpDevice(registered)).toEqual(overHttp.body);
      expect(overHttp.body['metadata']).toEqual({ floor: 3, tags: ['a', true, null], site: { city: 'Köln' } });
    });

    it('answers GetDevice with what HTTP registered, and key given as base64url comes back as hex', async () => {
      const d = newDevice('http-reg');
      const created = await http.post('/v1/devices', {
        deviceId: d.deviceId,
        publicKey: Buffer.from(d.publicKeyHex, 'hex').toString('base64url'),
        metadata: { line: 'B' },
      });
      expect(created.status).toBe(201);
      const got = ok(await grpc.getDevice(d.deviceId));
      expect(asHttpDevice(got)).toEqual(created.body);
      expect(got.label).toBe('');
    });

    it('lists the same devices in the same order as GET /v1/devices, and pages with the same cursors', async () => {
      const overHttp = await http.get<{ items: Record<string, unknown>[]; nextCursor: string | null }>('/v1/devices?limit=1000');
      const overGrpc = ok(await grpc.listDevices({ limit: 1000 }));
      expect(overGrpc.items.map(asHttpDevice)).toEqual(overHttp.body.items);
      expect(overGrpc.nextCursor).toBe('');

      const firstHttp = await http.get<{ items: Record<string, unknown>[]; nextCursor: string }>('/v1/devices?limit=1');
      const first = ok(await grpc.listDevices({ limit: 1 }));
      expect(first.nextCursor).toBe(firstHttp.body.nextCursor);
      const secondHttp = await http.get<{ items: Record<string, unknown>[] }>(`/v1/devices?limit=1&cursor=${first.nextCursor}`);
      const second = ok(await grpc.listDevices({ limit: 1, cursor: first.nextCursor }));
      expect(second.items.map(asHttpDevice)).toEqual(secondHttp.body.items);
      expect(second.items[0]!.deviceId).not.toBe(first.items[0]!.deviceId);
    });

    it('filters the list by status as HTTP does', async () => {
      const revoked = newDevice('listed-revoked');
      ok(await grpc.registerDevice({ deviceId: revoked.deviceId, publicKey: revoked.publicKeyHex }));
      ok(await grpc.revokeDevice({ deviceId: revoked.deviceId }));
      const overHttp = await http.get<{ items: Record<string, unknown>[] }>('/v1/devices?status=revoked&limit=1000');
      const overGrpc = ok(await grpc.listDevices({ status: 'DEVICE_STATUS_REVOKED', limit: 1000 }));
      expect(overGrpc.items.map(asHttpDevice)).toEqual(overHttp.body.items);
      expect(overGrpc.items.map((i) => i.deviceId)).toContain(revoked.deviceId);
      expect(overGrpc.items.every((i) => i.status === 'DEVICE_STATUS_REVOKED')).toBe(true);
    });

    it('revokes as HTTP does: the same device answered, idempotently, with the reason', async () => {
      const d = newDevice('grpc-revoke');
      await register(http, d);
      const revoked = ok(await grpc.revokeDevice({ deviceId: d.deviceId, reason: 'lost' }));
      expect(revoked).toMatchObject({ status: 'DEVICE_STATUS_REVOKED', revocationReason: 'lost', revokedAt: expect.any(String) });
      expect(asHttpDevice(revoked)).toEqual((await http.get(`/v1/devices/${d.deviceId}`)).body);
      const again = await http.post(`/v1/devices/${d.deviceId}/revoke`, { reason: 'again' });
      expect(asHttpDevice(ok(await grpc.revokeDevice({ deviceId: d.deviceId })))).toEqual(again.body);
      expect(await events(`MATCH_epc=urn:m2m-trust:device:${d.deviceId}&EQ_action=DELETE`)).toHaveLength(1);
    });

    it('leaves revocation_reason absent when no reason is given, as HTTP leaves it out', async () => {
      const d = newDevice('grpc-revoke-no-reason');
      await register(http, d);
      const revoked = ok(await grpc.revokeDevice({ deviceId: d.deviceId }));
      expect(revoked.revocationReason).toBeUndefined();
      expect((await http.get(`/v1/devices/${d.deviceId}`)).body).not.toHaveProperty('revocationReason');
    });

    it('records a gRPC registration in the audit log like an HTTP one, with the gRPC request id', async () => {
      const d = newDevice('grpc-audited');
      const requestId = `grpc-e2e-${Date.now()}`;
      const answer = await grpc.registerDevice({ deviceId: d.deviceId, publicKey: d.publicKeyHex }, { 'x-request-id': requestId });
      expect(trailer(answer, 'm2m-request-id')).toBe(requestId);
      const [event] = await events(`EQ_m2m:requestId=${requestId}`);
      expect(event).toMatchObject({
        action: 'ADD',
        bizStep: 'commissioning',
        disposition: 'active',
        epcList: [`urn:m2m-trust:device:${d.deviceId}`],
        'm2m:actor': 'api-key:admin',
        'm2m:keyThumbprint': ok(answer).keyThumbprint,
      });
    });
  });

  describe('authentication gives the same answers as HTTP', () => {
    it('authenticates a device that signs the nonce, with no API key', async () => {
      const deviceGrpc = new GrpcApi(grpc.target, null);
      try {
        const challenge = ok(await deviceGrpc.initiateChallenge(device.deviceId));
        expect(challenge).toMatchObject({ deviceId: device.deviceId, algorithm: 'Ed25519' });
        expect(challenge.nonce).toBe(
          `m2m-trust-challenge/v1;aud=https://grpc.test.example;cid=${challenge.id};did=${device.deviceId};rnd=${/;rnd=([A-Za-z0-9_-]{43});/.exec(challenge.nonce)![1]};exp=${challenge.expiresAt}`,
        );
        const answer = ok(await deviceGrpc.verify(challenge.id, device.signHex(challenge.nonce)));
        expect(answer).toEqual({
          verified: true,
          deviceId: device.deviceId,
          verifiedAt: expect.any(String),
          reason: 'VERIFY_FAILURE_REASON_UNSPECIFIED',
          accessToken: expect.stringMatching(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/),
          tokenType: 'Bearer',
          expiresIn: 300,
        });
      } finally {
        deviceGrpc.close();
      }
    });

    it('issues a challenge HTTP can verify, and verifies one HTTP issued', async () => {
      const overGrpc = await challengeFor(device.deviceId);
      const verified = await http.post('/v1/challenges/verify', { challengeId: overGrpc.id, signature: device.signHex(overGrpc.nonce) });
      expect(verified.body).toMatchObject({ verified: true, deviceId: device.deviceId });
      const overHttp = await http.post<{ id: string; nonce: string }>('/v1/challenges', { deviceId: device.deviceId });
      const signature = Buffer.from(device.signHex(overHttp.body.nonce), 'hex').toString('base64url');
      expect(ok(await grpc.verify(overHttp.body.id, signature))).toMatchObject({ verified: true, deviceId: device.deviceId });
    });

    it('records a gRPC authentication in GET /epcis/events with the same mapping as an HTTP one', async () => {
      const viaHttp = newDevice('auth-http');
      const viaGrpc = newDevice('auth-grpc');
      await register(http, viaHttp);
      await register(http, viaGrpc);
      expect((await authenticate(http, viaHttp)).body).toMatchObject({ verified: true });
      const requestId = `grpc-auth-${Date.now()}`;
      const challenge = ok(await grpc.initiateChallenge(viaGrpc.deviceId));
      const verified = await grpc.verify(challenge.id, viaGrpc.signHex(challenge.nonce), { 'x-request-id': requestId });
      expect(ok(verified).verified).toBe(true);

      const [grpcEvent] = await events(`EQ_m2m:requestId=${requestId}`);
      const [httpEvent] = await events(`MATCH_epc=urn:m2m-trust:device:${viaHttp.deviceId}&EQ_action=OBSERVE`);
      // Everything but what identifies the device, the challenge, the request and the moment is the same.
      const varying = ['eventID', 'eventTime', 'recordTime', 'm2m:requestId', 'm2m:challengeId', 'm2m:keyThumbprint', 'm2m:sourceEventId', 'm2m:tokenId'];
      const shape = (event: EpcisEvent, d: Device) => {
        for (const field of varying) expect(event[field]).toEqual(expect.any(String));
        const rest = Object.fromEntries(Object.entries(event).filter(([field]) => !varying.includes(field)));
        return JSON.parse(JSON.stringify(rest).split(d.deviceId).join('<device>')) as unknown;
      };
      expect(grpcEvent).toMatchObject({
        action: 'OBSERVE',
        bizStep: 'inspecting',
        disposition: 'conformant',
        'm2m:actor': `device:${viaGrpc.deviceId}`,
        'm2m:challengeId': challenge.id,
        'm2m:method': 'challenge-response',
      });
      expect(shape(grpcEvent!, viaGrpc)).toEqual(shape(httpEvent!, viaHttp));
    });
  });

  describe('QueryEvents', () => {
    let audited: Device;
    const epc = () => `urn:m2m-trust:device:${audited.deviceId}`;

    beforeAll(async () => {
      audited = newDevice('grpc-stream');
      ok(await grpc.registerDevice({ deviceId: audited.deviceId, publicKey: audited.publicKeyHex }));
      const good = ok(await grpc.initiateChallenge(audited.deviceId));
      ok(await grpc.verify(good.id, audited.signHex(good.nonce)));
      const bad = ok(await grpc.initiateChallenge(audited.deviceId));
      ok(await grpc.verify(bad.id, newDevice().signHex(bad.nonce)));
      ok(await grpc.revokeDevice({ deviceId: audited.deviceId, reason: 'decommissioned' }));
    });

    it("streams the device's events, exactly the eventList GET /epcis/events answers", async () => {
      const streamed = ok(await grpc.queryEvents({ matchEpc: [epc()] }));
      expect(streamed.map((e) => [e['action'], e['bizStep'], e['disposition']])).toEqual([
        ['ADD', 'commissioning', 'active'],
        ['OBSERVE', 'inspecting', 'conformant'],
        ['OBSERVE', 'inspecting', 'non_conformant'],
        ['DELETE', 'decommissioning', 'inactive'],
      ]);
      expect(streamed).toEqual(await events(`MATCH_epc=${encodeURIComponent(epc())}`));
    });

    it.each([
      ['EQ_action alternatives', { eqAction: ['ADD', 'DELETE'] }, 'EQ_action=ADD|DELETE'],
      ['EQ_bizStep as a CBV URI', { eqBizStep: ['https://ref.gs1.org/cbv/BizStep-inspecting'] }, 'EQ_bizStep=https://ref.gs1.org/cbv/BizStep-inspecting'],
      ['EQ_disposition', { eqDisposition: ['non_conformant'] }, 'EQ_disposition=non_conformant'],
      ['an extension field', { eqExtension: [{ field: 'm2m:reason', values: ['SIGNATURE_INVALID'] }] }, 'EQ_m2m:reason=SIGNATURE_INVALID'],
      ['the namespace spelled out', { eqExtension: [{ field: '{https://ns.m2m-trust.org/epcis/}reason', values: ['decommissioned'] }] }, 'EQ_{https://ns.m2m-trust.org/epcis/}reason=decommissioned'],
      ['eventType', { eventType: ['ObjectEvent'] }, 'eventType=ObjectEvent'],
      ['EXISTS_ on an extension field', { parameter: [{ name: 'EXISTS_m2m:reason', values: [] }] }, 'EXISTS_m2m:reason='],
      [
        'orderBy and eventCountLimit',
        { parameter: [{ name: 'orderBy', values: ['eventTime'] }, { name: 'eventCountLimit', values: ['2'] }] },
        'orderBy=eventTime&eventCountLimit=2',
      ],
    ])('filters by %s as GET /epcis/events does', async (_, filter, query) => {
      const streamed = ok(await grpc.queryEvents({ matchAnyEpc: [epc()], ...filter }));
      const overHttp = await events(`MATCH_anyEPC=${encodeURIComponent(epc())}&${query.replace(/[{}/:|]/g, (c) => encodeURIComponent(c))}`);
      expect(streamed).toEqual(overHttp);
      expect(streamed.length).toBeGreaterThan(0);
    });

    it('selects nothing, as over HTTP, for a condition on a field no audit event carries', async () => {
      expect(ok(await grpc.queryEvents({ matchAnyEpc: [epc()], parameter: [{ name: 'EQ_readPoint', values: ['urn:epc:id:sgln:0614141.07346.1234'] }] }))).toEqual([]);
      expect(await events(`MATCH_anyEPC=${encodeURIComponent(epc())}&EQ_readPoint=${encodeURIComponent('urn:epc:id:sgln:0614141.07346.1234')}`)).toEqual([]);
    });

    it('filters by event time and record time', async () => {
      const all = ok(await grpc.queryEvents({ matchEpc: [epc()] }));
      const second = all[1]!;
      const from = ok(await grpc.queryEvents({ matchEpc: [epc()], geEventTime: second['eventTime'] as string }));
      expect(from).toEqual(all.filter((e) => (e['eventTime'] as string) >= (second['eventTime'] as string)));
      const before = ok(await grpc.queryEvents({ matchEpc: [epc()], ltRecordTime: second['recordTime'] as string }));
      expect(before).toEqual(all.filter((e) => (e['recordTime'] as string) < (second['recordTime'] as string)));
    });

    it('streams every match whatever perPage, and continues after an HTTP page token', async () => {
      const all = ok(await grpc.queryEvents({ matchEpc: [epc()] }));
      expect(ok(await grpc.queryEvents({ matchEpc: [epc()], perPage: 1 }))).toEqual(all);
      const page = await http.get<QueryDocument>(`/epcis/events?MATCH_epc=${encodeURIComponent(epc())}&perPage=1`);
      const token = new URLSearchParams(/\?([^>]+)>/.exec(page.headers.get('link')!)![1]!).get('nextPageToken')!;
      expect(ok(await grpc.queryEvents({ matchEpc: [epc()], nextPageToken: token }))).toEqual(all.slice(1));
    });

    it.each([
      ['an unknown action', { eqAction: ['DESTROY'] }],
      ['a time without a zone', { geEventTime: '2026-01-01T00:00:00' }],
      ['perPage above 1000', { perPage: 1001 }],
      ['a forged page token', { nextPageToken: 'abc' }],
      ['a name that is no extension field', { eqExtension: [{ field: 'colour', values: ['red'] }] }],
      ['a parameter the standard does not define', { parameter: [{ name: 'EQ_colour', values: ['red'] }] }],
      ['a malformed quantity', { parameter: [{ name: 'GE_quantity', values: ['many'] }] }],
      ['a standard parameter given as an extension', { eqExtension: [{ field: 'action', values: ['ADD'] }] }],
      ['an extension field given twice', { eqExtension: [{ field: 'm2m:reason', values: ['a'] }, { field: 'm2m:reason', values: ['b'] }] }],
      ['an extension filter with no value', { eqExtension: [{ field: 'm2m:reason', values: [] }] }],
      ['an empty alternative', { eqAction: ['ADD', ''] }],
    ])('refuses %s with INVALID_ARGUMENT and QUERY_PARAMETER_INVALID', async (_, request) => {
      expectRefused(await grpc.queryEvents(request), status.INVALID_ARGUMENT, 'QUERY_PARAMETER_INVALID');
    });
  });

  describe('refusals', () => {
    it.each([
      ['a small-order public key', `01${'00'.repeat(31)}`, 'INVALID_PUBLIC_KEY'],
      ...MIXED_ORDER_KEY_VECTORS.map((vector) => [`a key with a small-order component (${vector.name})`, vector.publicKey, 'INVALID_PUBLIC_KEY']),
      ['a non-canonical point encoding', `ed${'ff'.repeat(30)}7f`, 'INVALID_PUBLIC_KEY'],
      ['a key of the wrong length', 'abcd', 'VALIDATION_FAILED'],
    ])('refuses %s with INVALID_ARGUMENT, and registers nothing', async (_, publicKey, errorCode) => {
      const d = newDevice('bad-key');
      expectRefused(await grpc.registerDevice({ deviceId: d.deviceId, publicKey }), status.INVALID_ARGUMENT, errorCode);
      expect((await http.get(`/v1/devices/${d.deviceId}`)).status).toBe(404);
    });

    it.each([
      ['a device id that breaks the pattern', { deviceId: '-leading-dash' }],
      ['a device id of 129 characters', { deviceId: 'x'.repeat(129) }],
      ['a missing device id', { deviceId: '' }],
      ['a label over 200 characters', { label: 'l'.repeat(201) }],
      ['metadata with more than 32 keys', { metadata: { fields: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, { numberValue: i }])) } }],
    ])('refuses %s with INVALID_ARGUMENT VALIDATION_FAILED', async (_, fields) => {
      const d = newDevice('invalid');
      expectRefused(await grpc.registerDevice({ deviceId: d.deviceId, publicKey: d.publicKeyHex, ...fields }), status.INVALID_ARGUMENT, 'VALIDATION_FAILED');
    });

    it('refuses a second registration of the id with ALREADY_EXISTS DEVICE_EXISTS, and keeps the first', async () => {
      const before = ok(await grpc.getDevice(device.deviceId));
      expectRefused(await grpc.registerDevice({ deviceId: device.deviceId, publicKey: newDevice().publicKeyHex }), status.ALREADY_EXISTS, 'DEVICE_EXISTS');
      expect(ok(await grpc.getDevice(device.deviceId))).toEqual(before);
    });

    it("refuses another device's key with ALREADY_EXISTS DUPLICATE_PUBLIC_KEY", async () => {
      expectRefused(await grpc.registerDevice({ deviceId: newDevice().deviceId, publicKey: device.publicKeyHex }), status.ALREADY_EXISTS, 'DUPLICATE_PUBLIC_KEY');
    });

    it('answers NOT_FOUND DEVICE_NOT_FOUND for an unknown device to operators; a device asking gets a decoy challenge', async () => {
      expectRefused(await grpc.getDevice('never-registered'), status.NOT_FOUND, 'DEVICE_NOT_FOUND');
      expectRefused(await grpc.revokeDevice({ deviceId: 'never-registered' }), status.NOT_FOUND, 'DEVICE_NOT_FOUND');
      const decoy = ok(await grpc.initiateChallenge('never-registered'));
      expect(ok(await grpc.verify(decoy.id, '00'.repeat(64)))).toMatchObject({ verified: false, reason: 'VERIFY_FAILURE_REASON_SIGNATURE_INVALID' });
    });

    it('refuses every challenge of a revoked device, including ones issued before the revocation', async () => {
      const doomed = newDevice('grpc-doomed');
      ok(await grpc.registerDevice({ deviceId: doomed.deviceId, publicKey: doomed.publicKeyHex }));
      const before = ok(await grpc.initiateChallenge(doomed.deviceId));
      ok(await grpc.revokeDevice({ deviceId: doomed.deviceId, reason: 'compromised' }));
      expect(ok(await grpc.verify(before.id, doomed.signHex(before.nonce)))).toMatchObject({ verified: false, reason: 'VERIFY_FAILURE_REASON_DEVICE_REVOKED' });
      const after = ok(await grpc.initiateChallenge(doomed.deviceId));
      expect(ok(await grpc.verify(after.id, doomed.signHex(after.nonce)))).toMatchObject({ verified: false, reason: 'VERIFY_FAILURE_REASON_DEVICE_REVOKED' });
    });

    it('refuses a replay: the first attempt consumed the challenge', async () => {
      const c = await challengeFor(device.deviceId);
      const signature = device.signHex(c.nonce);
      expect(ok(await grpc.verify(c.id, signature)).verified).toBe(true);
      expect(ok(await grpc.verify(c.id, signature))).toEqual({
        verified: false,
        deviceId: '',
        verifiedAt: '',
        reason: 'VERIFY_FAILURE_REASON_CHALLENGE_ALREADY_USED',
        accessToken: '',
        tokenType: '',
        expiresIn: 0,
      });
    });

    it('refuses a signature by another key, and one made for another challenge', async () => {
      const c = await challengeFor(device.deviceId);
      expect(ok(await grpc.verify(c.id, newDevice().signHex(c.nonce))).reason).toBe('VERIFY_FAILURE_REASON_SIGNATURE_INVALID');
      const first = await challengeFor(device.deviceId);
      const second = await challengeFor(device.deviceId);
      expect(ok(await grpc.verify(second.id, device.signHex(first.nonce))).reason).toBe('VERIFY_FAILURE_REASON_SIGNATURE_INVALID');
    });

    it('refuses a non-canonical signature (S >= L)', async () => {
      const c = await challengeFor(device.deviceId);
      expect(ok(await grpc.verify(c.id, malleate(device.signHex(c.nonce)))).reason).toBe('VERIFY_FAILURE_REASON_SIGNATURE_NON_CANONICAL');
    });

    it('answers CHALLENGE_NOT_FOUND for an unknown challenge', async () => {
      expect(ok(await grpc.verify('00000000-0000-4000-8000-000000000000', 'ab'.repeat(64))).reason).toBe('VERIFY_FAILURE_REASON_CHALLENGE_NOT_FOUND');
    });

    it.each([
      ['a signature of the wrong length', '00000000-0000-4000-8000-000000000000', 'abcd'],
      ['a signature that is not hex or base64url', '00000000-0000-4000-8000-000000000000', 'z'.repeat(128)],
      ['a challenge id that is not a UUID', 'nope', 'ab'.repeat(64)],
      ['a missing signature', '00000000-0000-4000-8000-000000000000', ''],
    ])('refuses %s with INVALID_ARGUMENT VALIDATION_FAILED', async (_, challengeId, signature) => {
      expectRefused(await grpc.verify(challengeId, signature), status.INVALID_ARGUMENT, 'VALIDATION_FAILED');
    });

    it('refuses a status this version does not know instead of listing everything', async () => {
      expectRefused(await grpc.listDevices({ status: 7 as unknown as 'DEVICE_STATUS_ACTIVE' }), status.INVALID_ARGUMENT, 'VALIDATION_FAILED');
      expectRefused(await grpc.listDevices({ limit: 1001 }), status.INVALID_ARGUMENT, 'VALIDATION_FAILED');
      expectRefused(await grpc.listDevices({ cursor: 'not a cursor' }), status.INVALID_ARGUMENT, 'VALIDATION_FAILED');
    });

    it('refuses a message larger than M2M_BODY_LIMIT_BYTES with RESOURCE_EXHAUSTED', async () => {
      const answer = await grpc.registerDevice({ deviceId: newDevice().deviceId, publicKey: device.publicKeyHex, label: 'x'.repeat(70_000) });
      expect(answer.ok ? 'answered OK' : answer.code).toBe(status.RESOURCE_EXHAUSTED);
    });
  });

  describe('the API key', () => {
    let anonymous: GrpcApi;
    let wrong: GrpcApi;
    beforeAll(() => {
      anonymous = new GrpcApi(grpc.target, null);
      wrong = new GrpcApi(grpc.target, `${server.adminKey}x`);
    });
    afterAll(() => {
      anonymous.close();
      wrong.close();
    });

    it.each([
      ['RegisterDevice', (api: GrpcApi) => api.registerDevice({ deviceId: newDevice().deviceId, publicKey: newDevice().publicKeyHex })],
      ['GetDevice', (api: GrpcApi) => api.getDevice(device.deviceId)],
      ['ListDevices', (api: GrpcApi) => api.listDevices({})],
      ['RevokeDevice', (api: GrpcApi) => api.revokeDevice({ deviceId: device.deviceId })],
      ['QueryEvents', (api: GrpcApi) => api.queryEvents({})],
    ])('is required by %s: UNAUTHENTICATED without it or with a wrong one', async (_, call) => {
      expectRefused(await call(anonymous), status.UNAUTHENTICATED, 'UNAUTHORIZED');
      expectRefused(await call(wrong), status.UNAUTHENTICATED, 'UNAUTHORIZED');
      expect(ok(await grpc.getDevice(device.deviceId)).status).toBe('DEVICE_STATUS_ACTIVE');
    });

    it('is accepted as x-api-key metadata too', async () => {
      expect(ok(await anonymous.getDevice(device.deviceId, { 'x-api-key': server.adminKey })).deviceId).toBe(device.deviceId);
    });

    it('is refused as a malformed authorization value', async () => {
      expectRefused(await anonymous.getDevice(device.deviceId, { authorization: server.adminKey }), status.UNAUTHENTICATED, 'UNAUTHORIZED');
    });

    it('never reaches the log, and each call leaves one access line with its request id', async () => {
      const requestId = `grpc-log-${Date.now()}`;
      await grpc.getDevice(device.deviceId, { 'x-request-id': requestId });
      const line = (await outputThrough(server, requestId)).split('\n').find((l) => l.includes(requestId));
      expect(JSON.parse(line!)).toMatchObject({ msg: 'rpc', rpc: '/m2m.v1.DeviceRegistry/GetDevice', status: 'OK', requestId });
      expect(server.output()).not.toContain(server.adminKey);
    });
  });

  describe('the bench harness (tools/bench/grpc-bench.mjs)', () => {
    it('drives full authentications at each concurrency and reports throughput and latency', async () => {
      const script = `import { benchGrpcAuthentications } from ${JSON.stringify(resolve(__dirname, '../tools/bench/grpc-bench.mjs'))};
        const rows = await benchGrpcAuthentications({ grpcUrl: process.argv[1], adminKey: process.argv[2], concurrencyLevels: [1, 4], seconds: 0.5 });
        process.stdout.write(JSON.stringify(rows));`;
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, grpc.target, server.adminKey], { encoding: 'utf8', timeout: 120_000 });
      const rows = JSON.parse(out) as { concurrency: number; perSecond: number; p50: number; p99: number; errors: number }[];
      expect(rows.map((r) => r.concurrency)).toEqual([1, 4]);
      for (const row of rows) {
        expect(row.errors).toBe(0);
        expect(row.perSecond).toBeGreaterThan(0);
        expect(row.p50).toBeGreaterThan(0);
        expect(row.p99).toBeGreaterThanOrEqual(row.p50);
      }
      const successes = await events('EQ_disposition=conformant&perPage=1000');
      expect(successes.some((e) => String(e['m2m:actor']).startsWith('device:bench-'))).toBe(true);
    });
  });
});

describe('gRPC configuration', () => {
  /** Starts the built server and waits for it to exit, for starts that must fail. */
  const failedStart = (env: Record<string, string>): Promise<{ code: number | null; output: string }> =>
    new Promise((done) => {
      const child = track(
        spawn(process.execPath, [mainOf('gateway')], {
          env: { PATH: process.env['PATH'] ?? '', PORT: '0', HOST: '127.0.0.1', M2M_DATA_DIR: newDataDir(), M2M_ADMIN_API_KEY: 'config-test-admin-key-0123456789', ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      // Only against a start that hangs instead of failing: generous, so a slow start is not taken for one.
      const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        done({ code, output });
      });
    });

  it.each([
    ['a GRPC_PORT out of range', { GRPC_PORT: '70000' }, /GRPC_PORT/],
    ['a GRPC_PORT that is not a number', { GRPC_PORT: 'fifty' }, /GRPC_PORT/],
    ['a TLS certificate without its key', { M2M_GRPC_TLS_CERT_FILE: '/nonexistent/cert.pem' }, /M2M_GRPC_TLS_CERT_FILE and M2M_GRPC_TLS_KEY_FILE/],
    ['a TLS certificate that cannot be read', { M2M_GRPC_TLS_CERT_FILE: '/nonexistent/cert.pem', M2M_GRPC_TLS_KEY_FILE: '/nonexistent/key.pem' }, /M2M_GRPC_TLS_CERT_FILE: cannot read/],
  ])('refuses to start with %s, naming it (exit 2)', async (_, env, message) => {
    const { code, output } = await failedStart(env);
    expect(code).toBe(2);
    expect(output).toMatch(message);
  });

  it('refuses to start when GRPC_PORT is taken, naming it (exit 1)', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    try {
      const port = (taken.address() as { port: number }).port;
      const { code, output } = await failedStart({ GRPC_PORT: String(port) });
      expect(code).toBe(1);
      expect(output).toContain(`gRPC port ${port} on 127.0.0.1 is already in use by another process: stop it, or set GRPC_PORT to a free port`);
    } finally {
      taken.close();
    }
  });

  it('listens on the GRPC_PORT given', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const server = await startServer({ env: { GRPC_PORT: String(port) } });
    const client = new GrpcApi(grpcTargetOf(server.output()), server.adminKey);
    try {
      expect(client.target).toBe(`127.0.0.1:${port}`);
      expect((await client.checkHealth()).status).toBe('SERVING');
    } finally {
      client.close();
      await server.stop();
    }
  });

  it('serves TLS with M2M_GRPC_TLS_CERT_FILE and M2M_GRPC_TLS_KEY_FILE, and refuses plaintext then', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'm2m-grpc-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    // A throwaway self-signed certificate for the loopback address.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    const server = await startServer({ env: { M2M_GRPC_TLS_CERT_FILE: cert, M2M_GRPC_TLS_KEY_FILE: key } });
    const secure = new GrpcApi(grpcTargetOf(server.output()), server.adminKey, credentials.createSsl(readFileSync(cert)));
    const plaintext = new GrpcApi(grpcTargetOf(server.output()), server.adminKey);
    try {
      expect(server.output()).toMatch(/"grpcTls":true[^\n]*"msg":"listening"/);
      expect(await secure.checkHealth()).toEqual({ code: status.OK, status: 'SERVING' });
      const d = newDevice('tls');
      expect(ok(await secure.registerDevice({ deviceId: d.deviceId, publicKey: d.publicKeyHex })).deviceId).toBe(d.deviceId);
      expect((await plaintext.checkHealth()).code).toBe(status.UNAVAILABLE);
    } finally {
      secure.close();
      plaintext.close();
      await server.stop();
    }
  });
});
