import { type M2MClient, signChallenge, type VerifyResult } from '@m2m-trust/sdk';

import { AUTHENTICATED, duplicates, FAILED, queryEvents, REGISTERED, REVOKED, settle, tally, verifyChain } from './support/audit';
import { type Cluster, startCluster } from './support/cluster';
import { authenticateWith, inBatches, newDevice, type TestDevice } from './support/devices';

/**
 * Two gateways, each wired to its own challenge-service instance (one shared
 * schema), one registry and one audit service. What a client sees must not
 * depend on which gateway or instance answers: a registration is usable
 * everywhere once answered, a challenge is single-use everywhere, and a
 * revocation holds everywhere once answered.
 */
describe('distributed mode: consistency across two gateways and two challenge-service instances', () => {
  let cluster: Cluster;
  /** Gateway A → challenge-service instance 1; gateway B → instance 2. */
  let a: M2MClient;
  let b: M2MClient;
  /** What the audit log must hold at the end: device → "bizStep/disposition" → count, from the answers the clients saw. */
  const expected: Record<string, Record<string, number>> = {};
  const saw = (device: TestDevice, kind: string): void => {
    const perDevice = (expected[device.deviceId] ??= {});
    perDevice[kind] = (perDevice[kind] ?? 0) + 1;
  };
  const sign = (challenge: Awaited<ReturnType<M2MClient['m2m']['initiateChallenge']>>, device: TestDevice): Promise<string> =>
    signChallenge(challenge, device.privateKey, { deviceId: device.deviceId, audience: cluster.audience });

  beforeAll(async () => {
    cluster = await startCluster({ name: 'consistency', gateways: 2, challengeInstances: 2 });
    a = cluster.client(0);
    b = cluster.client(1);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('is wired as intended: two gateways on two different challenge-service instances, one audience', () => {
    expect(cluster.gateways).toHaveLength(2);
    expect(cluster.challenges).toHaveLength(2);
    expect(cluster.challenges[0]!.pid).not.toBe(cluster.challenges[1]!.pid);
    expect(cluster.audience).toBe(cluster.gateways[0]!.url);
  });

  it('reads its own writes: registered through gateway A, at once challenged and verified through gateway B (20 devices)', async () => {
    const devices = await Promise.all(Array.from({ length: 20 }, () => newDevice('ryw')));
    const outcomes = await inBatches(devices, 4, async (device) => {
      // Instance 2 has been asked about the device before it existed (a decoy, audited as a failed authentication):
      // nothing of that answer may stick.
      const decoy = await b.m2m.initiateChallenge({ deviceId: device.deviceId });
      saw(device, FAILED);
      await a.m2m.registerDevice({ deviceId: device.deviceId, publicKey: device.publicKeyHex });
      saw(device, REGISTERED);
      // No sleep: the registration's answer promises it is usable everywhere.
      const result = await authenticateWith(b, device, cluster.audience).catch((error: unknown) => ({ error: String(error) }));
      if ('verified' in result && result.verified) saw(device, AUTHENTICATED);
      // The decoy never verifies, even signed by the device now registered.
      const late = await b.m2m.verify({ challengeId: decoy.id, signature: await sign(decoy, device) });
      saw(device, late.verified ? AUTHENTICATED : FAILED);
      return { deviceId: device.deviceId, late, result };
    });
    const wrong = outcomes.filter(({ late, result }) => late.verified || late.reason !== 'SIGNATURE_INVALID' || !('verified' in result) || result.verified !== true);
    expect(wrong).toEqual([]);
  });

  it('verifies a challenge issued by instance 1 on instance 2, and only once anywhere', async () => {
    const devices = await Promise.all(Array.from({ length: 5 }, () => newDevice('single-use')));
    for (const device of devices) {
      await a.m2m.registerDevice({ deviceId: device.deviceId, publicKey: device.publicKeyHex });
      saw(device, REGISTERED);
      const challenge = await a.m2m.initiateChallenge({ deviceId: device.deviceId });
      const signature = await sign(challenge, device);
      expect(await b.m2m.verify({ challengeId: challenge.id, signature })).toEqual({
        verified: true,
        deviceId: device.deviceId,
        verifiedAt: expect.any(String),
        accessToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: 300,
      });
      saw(device, AUTHENTICATED);
      // Instance 1 issued it and may still hold it as pending; instance 2 holds it as consumed.
      expect(await a.m2m.verify({ challengeId: challenge.id, signature })).toEqual({ verified: false, reason: 'CHALLENGE_ALREADY_USED' });
      saw(device, FAILED);
      expect(await b.m2m.verify({ challengeId: challenge.id, signature })).toEqual({ verified: false, reason: 'CHALLENGE_ALREADY_USED' });
      saw(device, FAILED);
    }
  });

  it('lets exactly one of many concurrent verifies through both instances succeed', async () => {
    for (let round = 0; round < 3; round++) {
      const device = await newDevice('race');
      await b.m2m.registerDevice({ deviceId: device.deviceId, publicKey: device.publicKeyHex });
      saw(device, REGISTERED);
      const challenge = await (round % 2 === 0 ? a : b).m2m.initiateChallenge({ deviceId: device.deviceId });
      const signature = await sign(challenge, device);
      const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? a : b).m2m.verify({ challengeId: challenge.id, signature })));
      expect(answers.filter((answer) => answer.verified)).toHaveLength(1);
      expect(answers.filter((answer) => !answer.verified && answer.reason === 'CHALLENGE_ALREADY_USED')).toHaveLength(11);
      saw(device, AUTHENTICATED);
      for (let i = 0; i < 11; i++) saw(device, FAILED);
    }
  });

  /** Registers the device through `via`, then authenticates it through both gateways, so both instances cache its key as active. */
  const registeredAndCached = async (device: TestDevice, via: M2MClient, problems: unknown[]): Promise<void> => {
    await via.m2m.registerDevice({ deviceId: device.deviceId, publicKey: device.publicKeyHex });
    saw(device, REGISTERED);
    for (const side of [a, b]) {
      const warm = await side.m2m.authenticate({ deviceId: device.deviceId, privateKey: device.privateKey });
      if (warm.verified) saw(device, AUTHENTICATED);
      else problems.push({ device: device.deviceId, warm });
    }
  };

  /**
   * Asks for a challenge through `side` after the revocation, and verifies it with the device's key. The challenge is a
   * decoy (docs/abuse-limits.md), audited as a failure when requested; the verify must be told DEVICE_REVOKED. An
   * instance answering from a stale cache would issue a real challenge instead: one audit event fewer, which the
   * tally below finds.
   */
  const challengeAfterRevocation = async (device: TestDevice, side: M2MClient): Promise<VerifyResult> => {
    const challenge = await side.m2m.initiateChallenge({ deviceId: device.deviceId });
    saw(device, FAILED);
    const result = await side.m2m.verify({ challengeId: challenge.id, signature: await sign(challenge, device) });
    saw(device, result.verified ? AUTHENTICATED : FAILED);
    return result;
  };

  it('refuses at once, on the other instance, challenges issued before a revocation through one gateway; none verifies afterwards', async () => {
    const devices = await Promise.all(Array.from({ length: 6 }, () => newDevice('revoked')));
    const problems: unknown[] = [];
    for (const [i, device] of devices.entries()) {
      // Alternate which side revokes and which side verifies.
      const [revoker, verifier] = i % 2 === 0 ? [a, b] : [b, a];
      await registeredAndCached(device, revoker, problems);
      // Challenges issued before the revocation, one by each instance, neither verified yet.
      const issued = [await a.m2m.initiateChallenge({ deviceId: device.deviceId }), await b.m2m.initiateChallenge({ deviceId: device.deviceId })];
      const signatures = await Promise.all(issued.map((challenge) => sign(challenge, device)));

      await revoker.m2m.revokeDevice(device.deviceId, { reason: 'consistency test' });
      saw(device, REVOKED);
      // No sleep: the revocation's answer promises it holds everywhere.
      for (const [j, challenge] of issued.entries()) {
        const result = await verifier.m2m.verify({ challengeId: challenge.id, signature: signatures[j]! });
        saw(device, result.verified ? AUTHENTICATED : FAILED);
        if (result.verified || result.reason !== 'DEVICE_REVOKED') problems.push({ device: device.deviceId, issuedBy: j === 0 ? 'A' : 'B', result });
      }
      for (const side of [verifier, revoker]) {
        const later = await challengeAfterRevocation(device, side);
        if (later.verified || later.reason !== 'DEVICE_REVOKED') problems.push({ device: device.deviceId, via: side === a ? 'A' : 'B', later });
      }
    }
    expect(problems).toEqual([]);
  });

  it('answers a new challenge with a decoy that tells the key holder DEVICE_REVOKED, through every gateway, once a revocation is answered', async () => {
    const devices = await Promise.all(Array.from({ length: 4 }, () => newDevice('revoked-new')));
    const problems: unknown[] = [];
    for (const [i, device] of devices.entries()) {
      const revoker = i % 2 === 0 ? a : b;
      await registeredAndCached(device, revoker, problems);
      await revoker.m2m.revokeDevice(device.deviceId, { reason: 'consistency test' });
      saw(device, REVOKED);
      // One of the two instances consumed the revocation; the other must not answer from what it cached before.
      for (const side of [a, b]) {
        const later = await challengeAfterRevocation(device, side);
        if (later.verified || later.reason !== 'DEVICE_REVOKED') problems.push({ device: device.deviceId, revokedVia: revoker === a ? 'A' : 'B', challengeVia: side === a ? 'A' : 'B', later });
      }
    }
    expect(problems).toEqual([]);
  });

  it('holds exactly one audit event per outcome the clients saw, with a verifiable chain', async () => {
    const wanted = Object.values(expected).reduce((sum, kinds) => sum + Object.values(kinds).reduce((s, n) => s + n, 0), 0);
    const events = await settle(
      () => queryEvents(cluster.gateways[1]!.url, cluster.adminKey),
      (found) => found.length >= wanted,
      { quietMs: 2_000, size: (found) => found.length },
    );
    expect(tally(events)).toEqual(expected);
    expect(events).toHaveLength(wanted);
    expect(duplicates(events)).toEqual({ eventIds: [], sourceEventIds: [] });
    const report = await verifyChain(cluster.gateways[0]!.url, cluster.adminKey);
    expect(report.body).toMatchObject({ ok: true, verifiedRecords: wanted });
  });
});
