// What a caller without a device's key can do to that device (docs/abuse-limits.md), as one set of cases run
// against the embedded server (e2e/lockout.e2e-spec.ts) and the distributed mode (e2e/distributed/lockout.e2e-spec.ts).
import { eventually } from '@m2m-trust/shared-domain/testing';

import { generateKeyPairSync } from 'node:crypto';

import { type Answer, Api, type Challenge, clientAssertion, type Device, newDevice, register } from './client';

export interface DenialTarget {
  /** The public URL: gateway of the mode under test. */
  readonly url: string;
  readonly adminKey: string;
  /** What challenges and client assertions name as the audience (the token issuer). */
  readonly audience: string;
}

/** The per-device budget the suites start the server with (M2M_RATE_LIMIT_DEVICE_PER_MINUTE). */
export const DEVICE_BUDGET = 4;

interface Lockout {
  deviceId: string;
  locked: boolean;
  lockedUntil: string | null;
  lockReason: string | null;
  consecutiveFailures: number;
  lastFailureAt: string | null;
  lastFailureReason: string | null;
  lockNumber: number;
}
type EpcisEvent = Record<string, unknown>;

const strangersKey = generateKeyPairSync('ed25519').privateKey;
const BAD_SIGNATURE = '00'.repeat(64);

/** Every case below, against one running server or cluster. */
export function deviceDenialCases(target: () => DenialTarget): void {
  strangersNeverStopTheDevice(target);
  operatorAndDecoyCases(target);
}

/**
 * The lockout weakness on its own: suites run it with the device budget off too, so that on a server that still
 * locks, the lock (423) is what stops the device, not the budget the strangers spent.
 */
export function strangersNeverStopTheDevice(target: () => DenialTarget): void {
  const { registered, authenticates, lockout, audited, strangerFails, token, ownAssertion } = helpers(target);

  it("strangers' failed verifies and forged assertions never stop the device, and operators see every one of them", async () => {
    const device = await registered('stranger');
    await strangerFails(device);
    expect(await authenticates(device)).toMatchObject({ verified: true });
    // The success clears the record; the audit log keeps every failure.
    expect(await lockout(device)).toMatchObject({ locked: false, consecutiveFailures: 0 });
    const failures = await audited(device.deviceId, '&EQ_disposition=non_conformant', 20);
    expect(failures.filter((event) => event['m2m:reason'] === 'SIGNATURE_INVALID')).toHaveLength(20);
    expect((await token(await ownAssertion(device))).status).toBe(200);
  });
}

function helpers(target: () => DenialTarget) {
  // Every stranger has an address of its own only where a proxy is trusted; the address limit is off in these suites,
  // so what is proven is that the device's standing and budget do not depend on strangers at all.
  const anonymous = () => new Api(target().url, null);
  const admin = () => new Api(target().url, target().adminKey);

  const registered = async (prefix: string): Promise<Device> => {
    const device = newDevice(prefix);
    expect((await register(admin(), device)).status).toBe(201);
    return device;
  };
  const challenge = (deviceId: string) => anonymous().post<Challenge>('/v1/challenges', { deviceId });
  const verify = (challengeId: string, signature: string) => anonymous().post('/v1/challenges/verify', { challengeId, signature });
  const token = async (assertion: string): Promise<Answer> =>
    anonymous().call('POST', '/oauth2/token', new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    }).toString(), { 'content-type': 'application/x-www-form-urlencoded' });
  const ownAssertion = (device: Device) => clientAssertion(device, target().audience);
  const strangersAssertion = (device: Device) => clientAssertion(device, target().audience, { signer: strangersKey });
  const authenticates = async (device: Device) => {
    const issued = await challenge(device.deviceId);
    expect(issued.status).toBe(201);
    return (await verify(issued.body.id, device.signHex(issued.body.nonce))).body;
  };
  const lockout = async (device: Device) => (await admin().get<Lockout>(`/v1/devices/${device.deviceId}/lockout`)).body;
  /** The device's audit records matching `query`, once there are at least `count` (the distributed log follows Kafka). */
  const audited = (deviceId: string, query: string, count: number) =>
    eventually(`${count} audit records ${query} for ${deviceId}`, async () => {
      const answer = await admin().get<{ epcisBody: { queryResults: { resultsBody: { eventList: EpcisEvent[] } } } }>(
        `/epcis/events?MATCH_epc=urn:m2m-trust:device:${deviceId}&perPage=100${query}`,
      );
      const events = answer.body.epcisBody.queryResults.resultsBody.eventList;
      return events.length >= count ? events : null;
    });
  /** Ten failures of each kind a stranger can cause: wrong signatures on challenges, forged client assertions. */
  const strangerFails = async (device: Device) => {
    for (let i = 0; i < 10; i++) {
      const issued = await challenge(device.deviceId);
      expect(issued.status).toBe(201);
      expect((await verify(issued.body.id, BAD_SIGNATURE)).body).toEqual({ verified: false, reason: 'SIGNATURE_INVALID' });
      const forged = await token(await strangersAssertion(device));
      expect([forged.status, forged.body['error']]).toEqual([401, 'invalid_client']);
    }
  };

  return { anonymous, admin, registered, challenge, verify, token, ownAssertion, strangersAssertion, authenticates, lockout, audited, strangerFails };
}

function operatorAndDecoyCases(target: () => DenialTarget): void {
  const { admin, anonymous, registered, challenge, verify, token, ownAssertion, strangersAssertion, authenticates, lockout, audited, strangerFails } = helpers(target);

  it('shows operators the failures on record: how many, the last one and its reason', async () => {
    const device = await registered('record');
    const before = Date.now();
    await strangerFails(device);
    const state = await lockout(device);
    expect(state).toMatchObject({ deviceId: device.deviceId, locked: false, lockedUntil: null, lockReason: null, consecutiveFailures: 20, lastFailureReason: 'SIGNATURE_INVALID' });
    expect(Date.parse(state.lastFailureAt ?? '')).toBeGreaterThanOrEqual(before - 1000);
  });

  it("does not let strangers spend the device's own rate-limit budget: only requests signed with its key count", async () => {
    const device = await registered('budget');
    await strangerFails(device);
    // The whole budget is still the device's: DEVICE_BUDGET proven requests pass, the next one is refused.
    for (let i = 0; i < DEVICE_BUDGET - 1; i++) expect(await authenticates(device)).toMatchObject({ verified: true });
    expect((await token(await ownAssertion(device))).status).toBe(200);
    const issued = await challenge(device.deviceId);
    expect(issued.status).toBe(201);
    const refused = await verify(issued.body.id, device.signHex(issued.body.nonce));
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('an operator lock stops the device, audited with reason and actor; the key holder is told, a stranger is not; unlock restores it', async () => {
    const device = await registered('oplock');
    const path = `/v1/devices/${device.deviceId}/lock`;
    expect((await anonymous().post(path, { reason: 'stolen' })).status).toBe(401);
    expect((await admin().post(path, {})).body).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((await admin().post(path, { reason: 'stolen', until: '2020-01-01T00:00:00Z' })).body).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((await admin().post('/v1/devices/no-such-device/lock', { reason: 'stolen' })).body).toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    expect((await lockout(device)).locked).toBe(false);

    const locked = await admin().post<Lockout>(path, { reason: 'reported stolen' });
    expect(locked.status).toBe(200);
    expect(locked.body).toMatchObject({ deviceId: device.deviceId, locked: true, lockedUntil: null, lockReason: 'reported stolen' });

    // The challenge is answered as any other; the device (its key) is told it is locked, a stranger only that its signature is wrong.
    const issued = await challenge(device.deviceId);
    expect(issued.status).toBe(201);
    expect((await verify(issued.body.id, device.signHex(issued.body.nonce))).body).toEqual({ verified: false, reason: 'DEVICE_LOCKED' });
    const forStranger = await challenge(device.deviceId);
    expect((await verify(forStranger.body.id, BAD_SIGNATURE)).body).toEqual({ verified: false, reason: 'SIGNATURE_INVALID' });
    const refusedToken = await token(await ownAssertion(device));
    expect([refusedToken.status, refusedToken.body['error'], refusedToken.body['error_description']]).toEqual([401, 'invalid_client', 'The device is locked by an operator']);

    const [lock] = await audited(device.deviceId, '&EQ_bizStep=holding&EQ_disposition=unavailable', 1);
    expect(lock).toMatchObject({ action: 'OBSERVE', 'm2m:reason': 'reported stolen', 'm2m:actor': 'api-key:admin' });
    expect(lock).not.toHaveProperty('m2m:lockedUntil');

    const lifted = await admin().post<Lockout>(`/v1/devices/${device.deviceId}/unlock`, { reason: 'found' });
    expect(lifted.body).toMatchObject({ locked: false, lockedUntil: null, lockReason: null, consecutiveFailures: 0 });
    expect(await authenticates(device)).toMatchObject({ verified: true });
    expect((await token(await ownAssertion(device))).status).toBe(200);
  });

  it('an operator lock until a time says so, and ends by itself', async () => {
    const device = await registered('timedlock');
    const until = new Date(Date.now() + 4_000).toISOString();
    const locked = await admin().post<Lockout>(`/v1/devices/${device.deviceId}/lock`, { reason: 'maintenance', until });
    expect(locked.body).toMatchObject({ locked: true, lockedUntil: until, lockReason: 'maintenance' });
    expect((await authenticates(device))).toEqual({ verified: false, reason: 'DEVICE_LOCKED' });
    const [lock] = await audited(device.deviceId, '&EQ_bizStep=holding', 1);
    expect(lock).toMatchObject({ 'm2m:lockedUntil': until, 'm2m:reason': 'maintenance' });
    await eventually('the lock to end', async () => !(await lockout(device)).locked, { timeoutMs: 30_000, intervalMs: 250 });
    expect(await authenticates(device)).toMatchObject({ verified: true });
  });

  it('answers a challenge for an unknown, revoked or locked device exactly like a real one, and audits it as a failure', async () => {
    const real = await registered('shape-real');
    const revoked = await registered('shape-revoked');
    expect((await admin().post(`/v1/devices/${revoked.deviceId}/revoke`, { reason: 'retired' })).status).toBe(200);
    const locked = await registered('shape-locked');
    expect((await admin().post(`/v1/devices/${locked.deviceId}/lock`, { reason: 'stolen' })).status).toBe(200);
    const unknownId = newDevice('shape-unknown').deviceId;

    const answers = await Promise.all([real.deviceId, unknownId, revoked.deviceId, locked.deviceId].map((id) => challenge(id)));
    const shapeOf = (answer: Answer<Challenge>, deviceId: string) => ({
      status: answer.status,
      headers: [...answer.headers.keys()].filter((name) => !['date', 'x-request-id'].includes(name)).sort(),
      keys: Object.keys(answer.body).sort(),
      deviceId: answer.body.deviceId === deviceId,
      algorithm: answer.body.algorithm,
      nonce: answer.body.nonce.replace(deviceId, '<device>').replace(answer.body.id, '<id>').replace(/rnd=[A-Za-z0-9_-]{43}/, 'rnd=<random>').replace(answer.body.expiresAt, '<exp>'),
    });
    const ids = [real.deviceId, unknownId, revoked.deviceId, locked.deviceId];
    const shapes = answers.map((answer, i) => shapeOf(answer, ids[i]!));
    expect(shapes[0]).toMatchObject({ status: 201, deviceId: true });
    for (const shape of shapes.slice(1)) expect(shape).toEqual(shapes[0]);

    // A wrong signature is answered alike for all four.
    const verdicts = await Promise.all(answers.map((answer) => verify(answer.body.id, BAD_SIGNATURE)));
    for (const verdict of verdicts) expect([verdict.status, verdict.body]).toEqual([200, { verified: false, reason: 'SIGNATURE_INVALID' }]);

    // Audited like any failed authentication: the request itself (phase challenge, with its reason), then the verify.
    for (const [deviceId, reason] of [
      [unknownId, 'DEVICE_NOT_FOUND'],
      [revoked.deviceId, 'DEVICE_REVOKED'],
      [locked.deviceId, 'DEVICE_LOCKED'],
    ] as const) {
      const failures = await audited(deviceId, '&EQ_disposition=non_conformant', 2);
      const requested = failures.find((event) => event['m2m:phase'] === 'challenge');
      expect(requested).toMatchObject({ action: 'OBSERVE', bizStep: 'inspecting', 'm2m:reason': reason, 'm2m:method': 'challenge-response' });
      expect(requested?.['m2m:challengeId']).toBe(answers[ids.indexOf(deviceId)]!.body.id);
    }
    // A non-canonical signature is told as such for all four alike.
    const again = await Promise.all(ids.map((id) => challenge(id)));
    const nonCanonical = await Promise.all(again.map((answer) => verify(answer.body.id, 'ab'.repeat(64))));
    for (const verdict of nonCanonical) expect(verdict.body).toEqual({ verified: false, reason: 'SIGNATURE_NON_CANONICAL' });
    // A decoy tells the revoked device's key holder that it is revoked, and no one else.
    const decoy = await challenge(revoked.deviceId);
    expect((await verify(decoy.body.id, revoked.signHex(decoy.body.nonce))).body).toEqual({ verified: false, reason: 'DEVICE_REVOKED' });
    // An unknown device's assertion is refused as a forged one is.
    const nobody = newDevice('shape-nobody');
    const [unknownToken, forgedToken] = await Promise.all([token(await ownAssertion(nobody)), token(await strangersAssertion(real))]);
    const withoutRequestId = ({ status, body }: Answer) => ({ status, body: { ...body, request_id: undefined } });
    expect(withoutRequestId(unknownToken)).toEqual(withoutRequestId(forgedToken));
  });
}
