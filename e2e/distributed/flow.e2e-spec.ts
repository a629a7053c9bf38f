import { type M2MClient, signChallenge } from '@m2m-trust/sdk';

import { status } from '@grpc/grpc-js';

import { GrpcApi, trailer } from '../grpc-client';
import { Api } from '../support/client';
import { MIXED_ORDER_KEY_VECTORS } from '../support/key-vectors';
import { AUTHENTICATED, deviceEpc, FAILED, kindOf, queryEvents, REGISTERED, REVOKED, settle, verifyChain } from './support/audit';
import { type Cluster, startCluster } from './support/cluster';
import { authenticateWith, newDevice, type TestDevice } from './support/devices';

/**
 * One device's whole life through the four processes of the distributed mode:
 * the gateway answers the public API, the registry and challenge services
 * decide, and the audit service records what Kafka brought it.
 */
/** A device id no one registers: challenged all the same. */
const UNKNOWN = 'never-registered-here';

describe('distributed mode: a device through gateway, registry, challenge and audit services', () => {
  let cluster: Cluster;
  let api: Api;
  let client: M2MClient;
  let device: TestDevice;
  /** Ids that bad requests named: none of them may exist anywhere afterwards. */
  const refusedIds: string[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ name: 'flow' });
    api = new Api(cluster.gateways[0]!.url, cluster.adminKey);
    client = cluster.client();
    device = await newDevice('flow');
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  describe('bad input answers problem+json with its code and changes nothing', () => {
    it.each([
      ['a small-order public key', { publicKey: `01${'00'.repeat(31)}` }, 400, 'INVALID_PUBLIC_KEY'],
      ...MIXED_ORDER_KEY_VECTORS.map((vector): [string, { publicKey: string }, number, string] => [`a key with a small-order component (${vector.name})`, { publicKey: vector.publicKey }, 400, 'INVALID_PUBLIC_KEY']),
      ['a non-canonical point encoding', { publicKey: `ed${'ff'.repeat(30)}7f` }, 400, 'INVALID_PUBLIC_KEY'],
      ['a key of the wrong length', { publicKey: 'abcd' }, 400, 'VALIDATION_FAILED'],
      ['an unknown field', { colour: 'red' }, 400, 'VALIDATION_FAILED'],
    ])('refuses %s', async (_, override, status, code) => {
      const other = await newDevice('refused');
      refusedIds.push(other.deviceId);
      const answer = await api.post('/v1/devices', { deviceId: other.deviceId, publicKey: other.publicKeyHex, ...override });
      expect(answer.status).toBe(status);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.body).toMatchObject({ status, code, requestId: expect.any(String), title: expect.any(String) });
      expect((await api.get(`/v1/devices/${other.deviceId}`)).status).toBe(404);
    });

    it.each(MIXED_ORDER_KEY_VECTORS.map((vector) => [vector.name, vector.publicKey]))('refuses over gRPC a key with a small-order component (%s)', async (_, publicKey) => {
      const other = await newDevice('refused-grpc');
      refusedIds.push(other.deviceId);
      const answer = await new GrpcApi(cluster.gateways[0]!.grpcUrl, cluster.adminKey).registerDevice({ deviceId: other.deviceId, publicKey });
      expect(answer.ok ? 'answered OK' : { code: answer.code, errorCode: trailer(answer, 'm2m-error-code') }).toEqual({ code: status.INVALID_ARGUMENT, errorCode: 'INVALID_PUBLIC_KEY' });
      expect((await api.get(`/v1/devices/${other.deviceId}`)).status).toBe(404);
    });

    it('refuses registration without the API key (401)', async () => {
      const other = await newDevice('anonymous');
      refusedIds.push(other.deviceId);
      const answer = await new Api(cluster.gateways[0]!.url, null).post('/v1/devices', { deviceId: other.deviceId, publicKey: other.publicKeyHex });
      expect(answer.status).toBe(401);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.body).toMatchObject({ code: 'UNAUTHORIZED' });
      expect((await api.get(`/v1/devices/${other.deviceId}`)).status).toBe(404);
    });

    it('answers a challenge for an unknown device like any other (a decoy, audited as a failure), and refuses a malformed id', async () => {
      const anonymous = new Api(cluster.gateways[0]!.url, null);
      const answer = await anonymous.post('/v1/challenges', { deviceId: UNKNOWN });
      expect(answer.status).toBe(201);
      expect(answer.body).toMatchObject({ deviceId: UNKNOWN, algorithm: 'Ed25519' });
      const malformed = await anonymous.post('/v1/challenges', { deviceId: 'not a device id' });
      expect(malformed.status).toBe(400);
      expect(malformed.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(malformed.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    });

    it('answers CHALLENGE_NOT_FOUND for an unknown challenge, and VALIDATION_FAILED for a malformed one', async () => {
      const anonymous = new Api(cluster.gateways[0]!.url, null);
      const unknown = await anonymous.post('/v1/challenges/verify', { challengeId: '00000000-0000-4000-8000-000000000000', signature: 'ab'.repeat(64) });
      expect(unknown).toMatchObject({ status: 200, body: { verified: false, reason: 'CHALLENGE_NOT_FOUND' } });
      const malformed = await anonymous.post('/v1/challenges/verify', { challengeId: 'nope', signature: 'ab'.repeat(64) });
      expect(malformed.status).toBe(400);
      expect(malformed.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(malformed.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    });
  });

  describe('the device flow', () => {
    it('registers the device (201)', async () => {
      const answer = await api.post('/v1/devices', { deviceId: device.deviceId, publicKey: device.publicKeyHex, label: 'flow device' });
      expect(answer.status).toBe(201);
      expect(answer.body).toMatchObject({ deviceId: device.deviceId, publicKey: device.publicKeyHex, status: 'active', label: 'flow device' });
      expect((await client.m2m.getDevice(device.deviceId)).status).toBe('active');
    });

    it('answers 409 DEVICE_EXISTS for a second registration, keeping the first key', async () => {
      const other = await newDevice('dup');
      const answer = await api.post('/v1/devices', { deviceId: device.deviceId, publicKey: other.publicKeyHex });
      expect(answer.status).toBe(409);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.body).toMatchObject({ code: 'DEVICE_EXISTS' });
      expect((await client.m2m.getDevice(device.deviceId)).publicKey).toBe(device.publicKeyHex);
    });

    it('authenticates the device (verified)', async () => {
      const result = await client.m2m.authenticate({ deviceId: device.deviceId, privateKey: device.privateKey });
      expect(result).toEqual({ verified: true, deviceId: device.deviceId, verifiedAt: expect.any(String), accessToken: expect.stringMatching(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/), tokenType: 'Bearer', expiresIn: 300 });
    });

    it('refuses a signature by another key (verified: false, SIGNATURE_INVALID)', async () => {
      const impostor = await newDevice('impostor');
      expect(await authenticateWith(client, device, cluster.audience, { signer: impostor })).toEqual({ verified: false, reason: 'SIGNATURE_INVALID' });
    });

    it('revokes the device; its earlier challenge and any new one (a decoy) are refused, told to its key as DEVICE_REVOKED', async () => {
      const earlier = await client.m2m.initiateChallenge({ deviceId: device.deviceId });
      const revoked = await client.m2m.revokeDevice(device.deviceId, { reason: 'flow test over' });
      expect(revoked).toMatchObject({ deviceId: device.deviceId, status: 'revoked', revocationReason: 'flow test over' });
      const signature = await signChallenge(earlier, device.privateKey, { deviceId: device.deviceId, audience: cluster.audience });
      expect(await client.m2m.verify({ challengeId: earlier.id, signature })).toEqual({ verified: false, reason: 'DEVICE_REVOKED' });

      expect(await client.m2m.authenticate({ deviceId: device.deviceId, privateKey: device.privateKey })).toEqual({ verified: false, reason: 'DEVICE_REVOKED' });
      // Revoking again is idempotent and records nothing new.
      expect((await api.post(`/v1/devices/${device.deviceId}/revoke`, { reason: 'again' })).status).toBe(200);
    });

    it('records exactly the expected EPCIS events for the device, in order, readable through the gateway', async () => {
      const gateway = cluster.gateways[0]!.url;
      // In the order they happened: after the revocation, the earlier challenge's verify, then the new challenge (a
      // decoy, recorded when requested) and its verify.
      const expected = [REGISTERED, AUTHENTICATED, FAILED, REVOKED, FAILED, FAILED, FAILED];
      const recorded = await settle(
        () => queryEvents(gateway, cluster.adminKey, { MATCH_anyEPC: deviceEpc(device.deviceId) }),
        (found) => found.length >= expected.length,
        { quietMs: 2_000, size: (found) => found.length },
      );
      // The log is in the order the audit service consumed them, from several topics; by event time they are in the order they happened.
      expect(recorded.map(kindOf).sort()).toEqual([...expected].sort());
      const events = [...recorded].sort((a, b) => String(a['eventTime']).localeCompare(String(b['eventTime'])));
      expect(events.map(kindOf)).toEqual(expected);
      expect(events.map((event) => event.action)).toEqual(['ADD', 'OBSERVE', 'OBSERVE', 'DELETE', 'OBSERVE', 'OBSERVE', 'OBSERVE']);
      expect(events.map((event) => event['m2m:reason'] ?? null)).toEqual([null, null, 'SIGNATURE_INVALID', 'flow test over', 'DEVICE_REVOKED', 'DEVICE_REVOKED', 'DEVICE_REVOKED']);
      expect(events.map((event) => event['m2m:phase'] ?? null)).toEqual([null, null, null, null, null, 'challenge', null]);
      expect(new Set(events.map((event) => event.eventID)).size).toBe(events.length);
      for (const event of events) expect(event.epcList).toEqual([deviceEpc(device.deviceId)]);
      expect(events[0]!['m2m:actor']).toBe('api-key:admin');
      expect(events[1]!['m2m:actor']).toBe(`device:${device.deviceId}`);

      // Paging through the gateway with a small page gives the same events.
      const paged = await queryEvents(gateway, cluster.adminKey, { MATCH_anyEPC: deviceEpc(device.deviceId), perPage: '2' });
      expect(paged.map((event) => event.eventID)).toEqual(recorded.map((event) => event.eventID));
    });

    it('recorded nothing for the refused requests, and the whole log is exactly this device and the unknown one challenged', async () => {
      const all = await settle(() => queryEvents(cluster.gateways[0]!.url, cluster.adminKey), (found) => found.length >= 8, { quietMs: 1_000, size: (found) => found.length });
      expect(all.filter((event) => event.epcList[0] === deviceEpc(device.deviceId))).toHaveLength(7);
      const unknown = all.filter((event) => event.epcList[0] === deviceEpc(UNKNOWN));
      expect(unknown.map((event) => [event.disposition, event['m2m:reason'], event['m2m:phase']])).toEqual([['non_conformant', 'DEVICE_NOT_FOUND', 'challenge']]);
      expect(all).toHaveLength(8);
      for (const id of refusedIds) {
        expect(await queryEvents(cluster.gateways[0]!.url, cluster.adminKey, { MATCH_anyEPC: deviceEpc(id) })).toEqual([]);
      }
      const devices = await client.m2m.listDevices({ limit: 100 });
      expect(devices.items.map((item) => item.deviceId)).toEqual([device.deviceId]);
    });

    it('answers the standard query parameters through the gateway from PostgreSQL, as the embedded mode does', async () => {
      const gateway = cluster.gateways[0]!.url;
      const epc = deviceEpc(device.deviceId);
      const byReason = await queryEvents(gateway, cluster.adminKey, { MATCH_anyEPC: epc, 'EXISTS_m2m:reason': '', orderBy: 'm2m:reason', orderDirection: 'ASC' });
      // Code-point order, as the binding asks: capitals before lower case.
      expect(byReason.map((event) => event['m2m:reason'])).toEqual(['DEVICE_REVOKED', 'DEVICE_REVOKED', 'DEVICE_REVOKED', 'SIGNATURE_INVALID', 'flow test over']);
      expect(await queryEvents(gateway, cluster.adminKey, { MATCH_anyEPC: epc, EQ_readPoint: 'urn:epc:id:sgln:0614141.07346.1234' })).toEqual([]);
      const refused = await api.get(`/epcis/events?${new URLSearchParams({ EQ_colour: 'red' })}`);
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ type: 'epcisException:QueryParameterException', code: 'QUERY_PARAMETER_INVALID' });
    });

    it('verifies the audit chain through the gateway', async () => {
      const report = await verifyChain(cluster.gateways[0]!.url, cluster.adminKey);
      expect(report.status).toBe(200);
      expect(report.body).toMatchObject({ ok: true, verifiedRecords: 8 });
      expect((await new Api(cluster.gateways[0]!.url, null).get('/epcis/chain/verify')).status).toBe(401);
    });
  });
});
