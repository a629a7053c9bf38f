import { type RunningGateway, startGateway } from '../testing/gateway.process';
import { signChallenge } from './challenge.signer';
import { encodePrivateKeyPem, generateKeyPair } from './device-keys';
import { M2MClient } from './m2m.client';
import {
  ChallengeRefusedError,
  M2MConflictError,
  M2MNotFoundError,
  M2MUnauthorizedError,
  M2MValidationError,
} from './m2m.error';
import { type EpcisEvent } from './m2m.types';

// The SDK against the real, built gateway (npm run build first), over HTTP.

let gateway: RunningGateway;
let counter = 0;
const newDeviceId = (): string => `sdk-${process.pid}-${Date.now().toString(36)}-${counter++}`;

beforeAll(async () => {
  gateway = await startGateway();
});
afterAll(() => gateway?.stop());

const operator = (): M2MClient => new M2MClient({ baseUrl: gateway.url, apiKey: gateway.adminKey, audience: gateway.audience });
/** A device needs no API key. */
const deviceClient = (): M2MClient => new M2MClient({ baseUrl: gateway.url, audience: gateway.audience });

async function registered(label = 'SDK test device') {
  const keys = await generateKeyPair();
  const deviceId = newDeviceId();
  const device = await operator().m2m.registerDevice({ deviceId, publicKey: keys.publicKeyHex, label });
  return { deviceId, keys, device };
}

async function auditOf(deviceId: string): Promise<EpcisEvent[]> {
  const events: EpcisEvent[] = [];
  // perPage 1: every event is its own page, so this follows the Link header each time.
  for await (const event of operator().audit.iterateEvents({ deviceId, perPage: 1 })) events.push(event);
  return events;
}

describe('M2MClient against the gateway', () => {
  it('runs the documented flow: register, challenge, checked sign, verify, list, get, revoke', async () => {
    const client = operator();
    const keys = await generateKeyPair();
    const deviceId = newDeviceId();

    const device = await client.m2m.registerDevice({ deviceId, publicKey: keys.publicKeyHex, label: 'Factory Floor Scanner #3' });
    expect(device).toMatchObject({ deviceId, publicKey: keys.publicKeyHex, label: 'Factory Floor Scanner #3', status: 'active' });

    const challenge = await client.m2m.initiateChallenge({ deviceId });
    expect(challenge).toMatchObject({ deviceId, algorithm: 'Ed25519' });
    const signature = await signChallenge(challenge, keys.privateKey, { deviceId, audience: gateway.audience });
    const result = await client.m2m.verify({ challengeId: challenge.id, signature });
    expect(result).toEqual({ verified: true, deviceId, verifiedAt: expect.any(String), accessToken: expect.stringMatching(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/), tokenType: 'Bearer', expiresIn: 300 });

    await expect(client.m2m.getDevice(deviceId)).resolves.toEqual(device);
    const listed = await client.m2m.listDevices({ status: 'active', limit: 1000 });
    expect(listed.items.map((d) => d.deviceId)).toContain(deviceId);

    const revoked = await client.m2m.revokeDevice(deviceId, { reason: 'lost' });
    expect(revoked).toMatchObject({ deviceId, status: 'revoked', revocationReason: 'lost' });
    await expect(client.m2m.revokeDevice(deviceId)).resolves.toMatchObject({ status: 'revoked' });
    // The challenge is a decoy; the verify signed with the device's key is told why.
    await expect(client.m2m.authenticate({ deviceId, privateKey: keys.privateKey })).resolves.toEqual({ verified: false, reason: 'DEVICE_REVOKED' });

    const actions = (await auditOf(deviceId)).map((e) => [e.action, e.bizStep, e.disposition]);
    expect(actions).toEqual([
      ['ADD', 'commissioning', 'active'],
      ['OBSERVE', 'inspecting', 'conformant'],
      ['DELETE', 'decommissioning', 'inactive'],
      ['OBSERVE', 'inspecting', 'non_conformant'],
      ['OBSERVE', 'inspecting', 'non_conformant'],
    ]);
  });

  it('authenticates in one call as the device, with the key as PEM, and the audit names the request', async () => {
    const { deviceId, keys } = await registered();
    const result = await deviceClient().m2m.authenticate({ deviceId, privateKey: encodePrivateKeyPem(keys.privateKey) }, { requestId: `trace-${deviceId}` });
    expect(result).toMatchObject({ verified: true, deviceId });
    const [, authenticated] = await auditOf(deviceId);
    expect(authenticated).toMatchObject({ action: 'OBSERVE', 'm2m:actor': `device:${deviceId}`, 'm2m:requestId': `trace-${deviceId}` });
  });

  it('answers a replayed or wrongly signed challenge with verified: false', async () => {
    const { deviceId, keys } = await registered();
    const client = deviceClient();
    const challenge = await client.m2m.initiateChallenge({ deviceId });
    const signature = await signChallenge(challenge, keys.privateKey, { deviceId, audience: gateway.audience });
    await expect(client.m2m.verify({ challengeId: challenge.id, signature })).resolves.toMatchObject({ verified: true });
    await expect(client.m2m.verify({ challengeId: challenge.id, signature })).resolves.toEqual({ verified: false, reason: 'CHALLENGE_ALREADY_USED' });

    const other = await generateKeyPair();
    const next = await client.m2m.initiateChallenge({ deviceId });
    const forged = await signChallenge(next, other.privateKey, { deviceId, audience: gateway.audience });
    await expect(client.m2m.verify({ challengeId: next.id, signature: forged })).resolves.toEqual({ verified: false, reason: 'SIGNATURE_INVALID' });
  });

  it('refuses, as the device, a challenge for another audience: nothing is signed or verified', async () => {
    const { deviceId, keys } = await registered();
    // The client's default audience is the origin it talks to; this gateway names itself https://m2m.sdk.test.
    const naive = new M2MClient({ baseUrl: gateway.url });
    const error = await naive.m2m.authenticate({ deviceId, privateKey: keys.privateKey }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChallengeRefusedError);
    expect((error as ChallengeRefusedError).reason).toBe('WRONG_AUDIENCE');
    expect((await auditOf(deviceId)).map((e) => e.action)).toEqual(['ADD']);
  });

  it('types every refusal: 401, 404, 409, 400', async () => {
    const { deviceId, keys } = await registered();
    const wrongKey = new M2MClient({ baseUrl: gateway.url, apiKey: 'not-the-admin-key-0123456789' });
    await expect(wrongKey.m2m.listDevices()).rejects.toMatchObject({ constructor: M2MUnauthorizedError, code: 'UNAUTHORIZED', status: 401 });
    await expect(new M2MClient({ baseUrl: gateway.url }).m2m.getDevice(deviceId)).rejects.toBeInstanceOf(M2MUnauthorizedError);

    const client = operator();
    await expect(client.m2m.getDevice('no-such-device')).rejects.toMatchObject({
      constructor: M2MNotFoundError,
      code: 'DEVICE_NOT_FOUND',
      status: 404,
      detail: expect.stringContaining('no-such-device'),
      requestId: expect.any(String),
    });
    // A device is never told whether an id exists: an unknown one gets a decoy challenge.
    await expect(client.m2m.initiateChallenge({ deviceId: 'no-such-device' })).resolves.toMatchObject({ deviceId: 'no-such-device', algorithm: 'Ed25519' });
    await expect(client.m2m.lockDevice('no-such-device', { reason: 'stolen' })).rejects.toMatchObject({ constructor: M2MNotFoundError, code: 'DEVICE_NOT_FOUND' });
    await expect(client.m2m.lockDevice(deviceId, { reason: '' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });

    // An operator lock stops the device until it is lifted; the record shows it.
    const until = new Date(Date.now() + 3_600_000).toISOString();
    await expect(client.m2m.lockDevice(deviceId, { reason: 'stolen', until })).resolves.toMatchObject({ deviceId, locked: true, lockedUntil: until, lockReason: 'stolen' });
    await expect(client.m2m.authenticate({ deviceId, privateKey: keys.privateKey })).resolves.toEqual({ verified: false, reason: 'DEVICE_LOCKED' });
    await expect(client.m2m.getDeviceLockout(deviceId)).resolves.toMatchObject({ locked: true, consecutiveFailures: 2, lastFailureReason: 'DEVICE_LOCKED' });
    await expect(client.m2m.unlockDevice(deviceId, { reason: 'found' })).resolves.toMatchObject({ locked: false, lockReason: null, consecutiveFailures: 0 });
    await expect(client.m2m.authenticate({ deviceId, privateKey: keys.privateKey })).resolves.toMatchObject({ verified: true });

    await expect(client.m2m.registerDevice({ deviceId, publicKey: (await generateKeyPair()).publicKeyHex })).rejects.toMatchObject({
      constructor: M2MConflictError,
      code: 'DEVICE_EXISTS',
    });
    await expect(client.m2m.registerDevice({ deviceId: newDeviceId(), publicKey: keys.publicKeyHex })).rejects.toMatchObject({
      constructor: M2MConflictError,
      code: 'DUPLICATE_PUBLIC_KEY',
    });

    const smallOrder = '0100000000000000000000000000000000000000000000000000000000000000';
    await expect(client.m2m.registerDevice({ deviceId: newDeviceId(), publicKey: smallOrder })).rejects.toMatchObject({
      constructor: M2MValidationError,
      code: 'INVALID_PUBLIC_KEY',
      status: 400,
    });
    await expect(client.audit.queryEvents({ params: { EQ_nonsense: 'x' } })).rejects.toMatchObject({
      constructor: M2MValidationError,
      code: 'QUERY_PARAMETER_INVALID',
    });
  });

  it('iterates all devices a page at a time', async () => {
    const mine = [await registered(), await registered(), await registered()].map((r) => r.deviceId);
    const seen: string[] = [];
    for await (const device of operator().m2m.iterateDevices({ status: 'active', pageSize: 1 })) seen.push(device.deviceId);
    expect(seen.filter((id) => mine.includes(id))).toEqual(mine);
    expect(new Set(seen).size).toBe(seen.length);
  });
});

describe('M2MClient against a gateway without M2M_AUDIENCE', () => {
  let unnamed: RunningGateway;
  beforeAll(async () => {
    unnamed = await startGateway({ audience: null });
  });
  afterAll(() => unnamed?.stop());

  it('expects, by default, the origin it talks to, which is how such a service names itself', async () => {
    const keys = await generateKeyPair();
    const deviceId = newDeviceId();
    await new M2MClient({ baseUrl: unnamed.url, apiKey: unnamed.adminKey }).m2m.registerDevice({ deviceId, publicKey: keys.publicKeyHex });
    const client = new M2MClient({ baseUrl: unnamed.url });
    await expect(client.m2m.authenticate({ deviceId, privateKey: keys.privateKey })).resolves.toMatchObject({ verified: true, deviceId });
  });
});

describe('M2MClient: access tokens by client credentials (private_key_jwt)', () => {
  it('gets a token signed by the service for the device, with the key as a PEM or raw seed', async () => {
    const { deviceId, keys } = await registered();
    const token = await deviceClient().m2m.requestToken({ deviceId, privateKey: encodePrivateKeyPem(keys.privateKey) });
    expect(token).toEqual({ accessToken: expect.stringMatching(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/), tokenType: 'Bearer', expiresIn: 300 });
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(token.accessToken.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))));
    expect(claims).toMatchObject({ sub: deviceId });
    expect((await deviceClient().m2m.requestToken({ deviceId, privateKey: keys.privateKey })).tokenType).toBe('Bearer');
  });

  it("answers a foreign key with M2MUnauthorizedError and the RFC 6749 code", async () => {
    const { deviceId } = await registered();
    const stranger = await generateKeyPair();
    const refused = await deviceClient().m2m.requestToken({ deviceId, privateKey: stranger.privateKey }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(M2MUnauthorizedError);
    expect(refused).toMatchObject({ status: 401, code: 'invalid_client' });
  });
});

