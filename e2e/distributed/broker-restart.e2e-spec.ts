import type { M2MClient } from '@m2m-trust/sdk';
import { eventually } from '@m2m-trust/shared-domain/testing';

import { scaled } from '../../tools/jest/scale.cjs';
import { duplicates, queryEvents, settle, tally, tallyDiff, verifyChain } from './support/audit';
import { type Cluster, sleep, startCluster } from './support/cluster';
import { newDevice, type TestDevice } from './support/devices';
import { type KafkaBroker, startKafkaBroker } from './support/kafka-broker';
import { expectedTally, type LoadReport, startLoad } from './support/load';

/**
 * For the hook and the test that start a broker: a JVM start takes about 30 s on a busy two-core machine,
 * so twice the e2e tier's default (tools/jest/tier.setup.cjs) leaves room for one several times slower.
 */
const BROKER_START_TIMEOUT_MS = scaled(360_000);

/**
 * Kafka goes away for a few seconds (a controlled shutdown, then a start on
 * the same ports and log directory) while devices authenticate. Answers need
 * only PostgreSQL, so authentication goes on; the outboxes hold the events
 * meanwhile, and afterwards the audit log has each answered outcome exactly
 * once. Runs on a broker of its own: the shared one serves other suites.
 */
describe('distributed mode: the Kafka broker restarted mid-stream', () => {
  let broker: KafkaBroker;
  let cluster: Cluster;
  let client: M2MClient;
  let devices: TestDevice[];
  let report: LoadReport;
  const outage = { stoppedAt: 0, restartingAt: 0, restartedAt: 0, exit: null as number | string | null };
  /** Registered while Kafka was down: recorded at once, usable (and audited) once Kafka is back. */
  let lateDevice: TestDevice;
  let lateRegistration: { status: number; code?: string } | null = null;
  const lateVerifies: boolean[] = [];

  beforeAll(async () => {
    broker = await startKafkaBroker();
    cluster = await startCluster({ name: 'broker', kafkaBrokers: broker.brokers });
    client = cluster.client();
    devices = await Promise.all(Array.from({ length: 8 }, () => newDevice('broker')));
    lateDevice = await newDevice('broker-late');
    for (const device of devices) await client.m2m.registerDevice({ deviceId: device.deviceId, publicKey: device.publicKeyHex });
  }, BROKER_START_TIMEOUT_MS);

  afterAll(async () => {
    await cluster?.stop();
    await broker?.destroy();
  });

  it('keeps authenticating while the broker is down, and after it is back', async () => {
    const load = startLoad(client, devices, cluster.audience);
    let registering: Promise<void> = Promise.resolve();
    const verifiedSince = (at: number): boolean => load.outcomes.some((outcome) => outcome.verified && outcome.at > at);
    try {
      await eventually('the load under way', () => load.outcomes.length >= devices.length);
      outage.exit = await broker.stop();
      outage.stoppedAt = Date.now();
      // The registry commits it; the answer waits for the challenge service to hear of it through Kafka, which may not come in time.
      registering = client.m2m.registerDevice({ deviceId: lateDevice.deviceId, publicKey: lateDevice.publicKeyHex }).then(
        () => void (lateRegistration = { status: 201 }),
        (error: { status?: number; code?: string }) => void (lateRegistration = { status: error.status ?? 0, code: error.code ?? String(error) }),
      );
      // A few seconds down at least, however soon the load shows it goes on.
      await sleep(4_000);
      await eventually('an authentication answered while Kafka is down', () => verifiedSince(outage.stoppedAt));
      outage.restartingAt = Date.now();
      await broker.start();
      outage.restartedAt = Date.now();
      await eventually('an authentication answered after Kafka is back', () => verifiedSince(outage.restartedAt));
    } finally {
      report = await load.stop();
      await registering;
    }
    const during = report.outcomes.filter((outcome) => outcome.at > outage.stoppedAt && outcome.at < outage.restartingAt);
    const after = report.outcomes.filter((outcome) => outcome.at > outage.restartingAt);
    process.stdout.write(
      `broker: ${report.outcomes.length} verifies, ${during.length} while Kafka was down (${outage.restartingAt - outage.stoppedAt} ms, then ${outage.restartedAt - outage.restartingAt} ms to start it), ${after.length} after; late registration ${JSON.stringify(lateRegistration)}\n`,
    );
    expect(outage.exit).not.toBeNull();
    expect(report.errors).toEqual([]);
    expect(during.filter((outcome) => outcome.verified).length).toBeGreaterThan(0);
    expect(after.filter((outcome) => outcome.verified).length).toBeGreaterThan(0);
    // Either answer is right: 201 if the event made it through in time, else 503 saying the change is recorded.
    expect([{ status: 201 }, { status: 503, code: 'SERVICE_UNAVAILABLE' }]).toContainEqual(lateRegistration);
  }, BROKER_START_TIMEOUT_MS);

  it('makes the device registered during the outage usable once Kafka is back', async () => {
    // The consumers rejoin their groups only once the members from before the restart have timed out (30 s sessions).
    const deadline = Date.now() + 150_000;
    let result: unknown;
    do {
      if (result !== undefined) await sleep(500);
      result = await client.m2m.authenticate({ deviceId: lateDevice.deviceId, privateKey: lateDevice.privateKey }).catch((error: unknown) => error);
      // Until the challenge service knows the device, its challenge is a decoy (audited as a failure) and the verify of
      // it fails too (audited): two failure events a refused attempt; the verify that succeeds records one event.
      if (typeof result === 'object' && result !== null && 'verified' in result) lateVerifies.push(result.verified === true);
    } while (!(result as { verified?: boolean }).verified && Date.now() < deadline);
    process.stdout.write(`broker: the device registered during the outage authenticated ${Date.now() - outage.restartingAt} ms after the broker's restart began\n`);
    expect(result).toMatchObject({ verified: true, deviceId: lateDevice.deviceId });
  });

  it('then holds exactly one audit event per answered authentication and registration, with a verifiable chain', async () => {
    expect(report).toBeDefined();
    const expected = expectedTally(devices, report.outcomes);
    const lateOutcomes = lateVerifies.flatMap((verified) => (verified ? [true] : [false, false])).map((verified) => ({ deviceId: lateDevice.deviceId, at: 0, verified }));
    expected[lateDevice.deviceId] = expectedTally([lateDevice], lateOutcomes)[lateDevice.deviceId]!;
    const wanted = Object.values(expected).reduce((sum, kinds) => sum + Object.values(kinds).reduce((s, n) => s + n, 0), 0);
    const events = await settle(
      () => queryEvents(cluster.gateways[0]!.url, cluster.adminKey),
      (found) => found.length >= wanted,
      { quietMs: 3_000, size: (found) => found.length },
    );
    expect({ total: events.length, diff: tallyDiff(tally(events), expected) }).toEqual({ total: wanted, diff: {} });
    expect(duplicates(events)).toEqual({ eventIds: [], sourceEventIds: [] });
    const chain = await verifyChain(cluster.gateways[0]!.url, cluster.adminKey);
    expect(chain.body).toMatchObject({ ok: true, verifiedRecords: wanted });
  });

  it('kept every service process running through the outage', async () => {
    const states = await Promise.all(
      [cluster.registry, ...cluster.challenges, cluster.audit, ...cluster.gateways].map(async (app) => ({
        app: app.name,
        state: await Promise.race([app.exited.then((code) => `exited (${code})`), sleep(10).then(() => 'running')]),
      })),
    );
    expect(states.filter(({ state }) => state !== 'running')).toEqual([]);
  });
});
