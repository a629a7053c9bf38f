import type { M2MClient } from '@m2m-trust/sdk';
import { eventually } from '@m2m-trust/shared-domain/testing';

import { duplicates, queryEvents, settle, tally, tallyDiff, verifyChain } from './support/audit';
import { type Cluster, sleep, startCluster } from './support/cluster';
import { newDevice, type TestDevice } from './support/devices';
import { expectedTally, type LoadReport, startLoad } from './support/load';

/**
 * The audit service is killed (SIGKILL: no shutdown, no offset commit, a batch
 * possibly half written) while devices authenticate, and started again on the
 * same ports. Authentication does not depend on it; afterwards its log holds
 * every domain event exactly once: none lost in the crash, none written twice
 * on redelivery.
 */
describe('distributed mode: the audit service killed mid-stream', () => {
  let cluster: Cluster;
  let client: M2MClient;
  let devices: TestDevice[];
  let report: LoadReport;
  let killedWith: number | string | null;
  let auditUrlBefore: string;
  let recordedBeforeKill = 0;
  let restartMs = 0;
  let duringOutage: { epcisStatus: number; outcomes: number };

  beforeAll(async () => {
    cluster = await startCluster({ name: 'crash' });
    client = cluster.client();
    devices = await Promise.all(Array.from({ length: 8 }, () => newDevice('crash')));
    for (const device of devices) await client.m2m.registerDevice({ deviceId: device.deviceId, publicKey: device.publicKeyHex });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('keeps authenticating while the audit service is killed (SIGKILL) and restarted', async () => {
    const load = startLoad(client, devices, cluster.audience);
    try {
      // It is writing the stream when it dies, not idle: it has recorded some of the load's outcomes,
      // and the load has had the answers the totals below count on.
      recordedBeforeKill = await eventually('the load under way and partly recorded', async () => {
        const recorded = (await queryEvents(cluster.audit.url, cluster.adminKey)).length;
        const verified = load.outcomes.filter((outcome) => outcome.verified).length;
        return recorded > devices.length && verified > 20 && load.outcomes.length - verified > 5 && recorded;
      }, { intervalMs: 250 });
      auditUrlBefore = cluster.audit.url;
      killedWith = await cluster.killAudit('SIGKILL');
      const atKill = load.outcomes.length;
      // The public audit API answers an error while its service is gone, rather than hanging (a bound far
      // beyond a refused connection's answer, even on a slow machine).
      const epcis = await fetch(new URL('/epcis/events', cluster.gateways[0]!.url), {
        headers: { 'x-api-key': cluster.adminKey },
        signal: AbortSignal.timeout(30_000),
      });
      await eventually('an authentication answered while the audit service is down', () => load.outcomes.length > atKill);
      duringOutage = { epcisStatus: epcis.status, outcomes: load.outcomes.length - atKill };
      // The restarted service listens only once its consumer joined the group, which may wait for the
      // killed member's session to expire: the load goes on for a while meanwhile, then stops.
      const restarting = Date.now();
      const restarted = cluster.startAudit().then((app) => ((restartMs = Date.now() - restarting), app));
      await Promise.race([restarted, sleep(5_000)]);
      report = await load.stop();
      await restarted;
    } finally {
      report ??= await load.stop();
    }
    process.stdout.write(
      `crash: ${report.outcomes.length} verifies (${report.outcomes.filter((o) => !o.verified).length} refused), ${duringOutage.outcomes} while the audit service was down; ${recordedBeforeKill} recorded before the kill; the restarted service listened after ${restartMs} ms\n`,
    );
    expect(recordedBeforeKill).toBeGreaterThan(devices.length);
    expect(killedWith).toBe('SIGKILL');
    expect(cluster.audit.url).toBe(auditUrlBefore);
    expect(duringOutage.epcisStatus).toBeGreaterThanOrEqual(500);
    expect(duringOutage.outcomes).toBeGreaterThan(0);
    expect(report.errors).toEqual([]);
    expect(report.outcomes.filter((outcome) => outcome.verified).length).toBeGreaterThan(20);
    expect(report.outcomes.filter((outcome) => !outcome.verified).length).toBeGreaterThan(5);
  });

  it('then holds exactly one EPCIS event per domain event, with no duplicate and a verifiable chain', async () => {
    expect(report).toBeDefined();
    const expected = expectedTally(devices, report.outcomes);
    const wanted = devices.length + report.outcomes.length;
    // The restarted consumer may wait for the killed member's session (30 s) to expire before it gets its partitions.
    const events = await settle(
      () => queryEvents(cluster.gateways[0]!.url, cluster.adminKey),
      (found) => found.length >= wanted,
      { quietMs: 3_000, size: (found) => found.length },
    );
    expect({ total: events.length, diff: tallyDiff(tally(events), expected) }).toEqual({ total: wanted, diff: {} });
    expect(tally(events)).toEqual(expected);
    expect(duplicates(events)).toEqual({ eventIds: [], sourceEventIds: [] });
    // Straight from the audit service too, with the admin key.
    expect(await queryEvents(cluster.audit.url, cluster.adminKey)).toHaveLength(wanted);
    const chain = await verifyChain(cluster.audit.url, cluster.adminKey);
    expect(chain.body).toMatchObject({ ok: true, verifiedRecords: wanted });
  });
});
