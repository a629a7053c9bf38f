import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { scaled } from '../tools/jest/scale.cjs';
import { installSchemathesis } from '../tools/scripts/schemathesis.cjs';
import { type Answer, authenticate, newDevice, register } from './support/client';
import { type RunningServer, startServerWithDevice, WITHOUT_ABUSE_LIMITS } from './support/server';
import { WebhookReceiver } from './support/webhook-receiver';

const ROOT = resolve(__dirname, '..');

interface Fuzzed {
  readonly code: number | null;
  readonly output: string;
}

/** Runs schemathesis to its end (bounded by --max-time) and keeps everything it printed. */
function schemathesis(st: string, args: readonly string[], cwd: string, env: Record<string, string>, timeoutMs: number): Promise<Fuzzed> {
  return new Promise((done) => {
    execFile(st, [...args], { cwd, env: { ...process.env, ...env, NO_COLOR: '1' }, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      done({ code, output: `${stdout}${stderr}` });
    });
  });
}

/**
 * Schemathesis (PyPI) reads the server's own OpenAPI document and fires
 * generated requests at every operation: examples, the schema's boundaries
 * (coverage), random valid and invalid input (fuzzing) and sequences that
 * follow the document's links (stateful). Every answer must be documented
 * (status, media type, headers) and match its response schema, and no answer
 * may be a 5xx. Seeded data makes the operations that read a device, an event,
 * a named query or a subscription reach their handlers instead of a 404.
 */
describe('fuzzing the HTTP API from its OpenAPI document (schemathesis)', () => {
  let server: RunningServer;
  let receiver: WebhookReceiver;
  let st: string;
  const seeded: Record<string, string> = {};

  beforeAll(async () => {
    st = installSchemathesis();
    receiver = await WebhookReceiver.start();
    let api;
    let device;
    ({ server, api, device } = await startServerWithDevice('fuzz', { ...WITHOUT_ABUSE_LIMITS, M2M_RATE_LIMIT_API_KEY_PER_MINUTE: '0', M2M_EPCIS_WEBHOOK_HOSTS: '127.0.0.1' }));
    const authenticated = (await authenticate(api, device)) as Answer<{ accessToken: string }>;
    expect(authenticated.status).toBe(200);
    const challenge = await api.post<{ id: string }>('/v1/challenges', { deviceId: device.deviceId });
    // A failed authentication, so the log holds one (its answer is the flow suites' business).
    expect((await api.post('/v1/challenges/verify', { challengeId: challenge.body.id, signature: '00'.repeat(64) })).status).toBeLessThan(500);
    const revoked = newDevice('fuzz-revoked');
    expect((await register(api, revoked)).status).toBe(201);
    expect((await api.post(`/v1/devices/${revoked.deviceId}/revoke`, { reason: 'fuzz seed' })).status).toBe(200);
    expect((await api.post('/epcis/queries', { name: 'fuzz-failures', query: { EQ_disposition: ['non_conformant'] } })).status).toBe(201);
    const subscription = await api.post<{ subscriptionID: string }>('/epcis/queries/fuzz-failures/subscriptions', { dest: `${receiver.url}/fuzz`, stream: true });
    expect(subscription.status).toBe(201);
    const events = (await api.get('/epcis/events?perPage=1')) as Answer<{ epcisBody: { queryResults: { resultsBody: { eventList: { eventID: string }[] } } } }>;
    Object.assign(seeded, {
      FUZZ_API_KEY: server.adminKey,
      FUZZ_DEVICE_ID: device.deviceId,
      FUZZ_DEVICE_TOKEN: authenticated.body.accessToken,
      FUZZ_QUERY_NAME: 'fuzz-failures',
      FUZZ_SUBSCRIPTION_ID: subscription.body.subscriptionID,
      // Percent-encoded as a path segment: an eventID (ni:///sha-256;…) holds slashes, which schemathesis sends as they are.
      FUZZ_EVENT_ID: encodeURIComponent(events.body.epcisBody.queryResults.resultsBody.eventList[0]?.eventID ?? ''),
    });
  }, scaled(900_000));

  afterAll(async () => {
    await server?.stop();
    await receiver?.stop();
  });

  // Kept after the run (tmp/ is ignored by git): the whole report, to read when the check fails.
  const report = join(ROOT, 'tmp', 'fuzz-report');

  it('finds no 5xx, no undocumented answer and no response outside its schema', async () => {
    mkdirSync(report, { recursive: true });
    const fuzzed = await schemathesis(
      st,
      [
        '--config-file', join(ROOT, 'tools', 'fuzz', 'schemathesis.toml'),
        'run', `${server.url}/openapi.json`,
        // One worker: CPython 3.11's parser is not safe for hypothesis's lambda descriptions from two threads
        // ("AST constructor recursion depth mismatch"), and the server under test has the machine's other core.
        '--workers', '1',
        '--report', 'junit', '--report-dir', report,
        ...(process.env['FUZZ_SEED'] ? ['--seed', process.env['FUZZ_SEED']] : []),
        ...(process.env['FUZZ_MAX_EXAMPLES'] ? ['--max-examples', process.env['FUZZ_MAX_EXAMPLES']] : []),
      ],
      // Its working directory holds its example database (.schemathesis/): the report folder, not the checkout.
      report,
      seeded,
      // A bound in examples (tools/fuzz/schemathesis.toml), not in time: --max-time would make it repeat until the time is spent.
      scaled(600_000),
    );
    writeFileSync(join(report, 'output.txt'), fuzzed.output);
    // On failure the report names each failing operation, the check, the answer and a curl line to reproduce it.
    if (fuzzed.code !== 0) throw new Error(`schemathesis exited ${fuzzed.code}:\n${fuzzed.output.slice(-20_000)}\n(the whole report: ${report})`);
    const summary = /(\d+) generated, (\d+) passed/.exec(fuzzed.output);
    expect(summary).not.toBeNull();
    // Generated and passed are the same number: every case ran and held.
    expect(Number(summary?.[1])).toBeGreaterThan(500);
    expect(summary?.[2]).toBe(summary?.[1]);
    expect(server.output()).not.toMatch(/"level":"error"/);
  }, scaled(900_000));
});
