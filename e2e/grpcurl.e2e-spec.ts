import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';

import { scaled } from '../tools/jest/scale.cjs';
import { findGo, GRPCURL, GRPCURL_VERSION, installGrpcurl } from '../tools/scripts/grpcurl.cjs';
import { grpcTargetOf } from './grpc-client';
import { Api } from './support/client';
import { type RunningServer, startServer } from './support/server';

/**
 * grpcurl, a client that knows nothing of this repository, against the real
 * server: everything it learns comes from server reflection. Built from source
 * with Go (tools/scripts/grpcurl.cjs; `npm test` builds it at its start). Without
 * Go this suite cannot run: it says so and checks that this is the reason,
 * rather than passing as if it had run.
 */
interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const run = (file: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> =>
  new Promise((done) => {
    execFile(file, args, { ...options, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });

/** The ```sh blocks of one section of docs/grpc.md, as written. */
function shellBlocksOf(section: string): string[] {
  const doc = readFileSync(resolve(__dirname, '..', 'docs', 'grpc.md'), 'utf8');
  const start = doc.indexOf(`## ${section}\n`);
  if (start < 0) throw new Error(`docs/grpc.md has no section "${section}"`);
  const end = doc.indexOf('\n## ', start + 1);
  const text = doc.slice(start, end < 0 ? undefined : end);
  return [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

const go = findGo();

if (go === null) {
  describe('grpcurl against the running server', () => {
    it('cannot run because Go is not installed (needed to build grpcurl)', () => {
      console.warn(
        `grpcurl suite NOT RUN: no go binary at /usr/local/go/bin/go or on PATH, so grpcurl ${GRPCURL_VERSION} cannot be built. ` +
          'Install Go (https://go.dev/dl/) to run it; every other suite covers the gRPC API with grpc-js.',
      );
      expect(findGo()).toBeNull();
    });
  });
} else {
  describe('grpcurl against the running server (reflection only, no .proto files)', () => {
    let server: RunningServer;
    let target: string;

    beforeAll(async () => {
      installGrpcurl(go);
      server = await startServer();
      target = grpcTargetOf(server.output());
    }, scaled(600_000));
    afterAll(() => server?.stop());

    const grpcurl = (...args: string[]) => run(GRPCURL, ['-plaintext', ...args]);

    it('lists every service by reflection, health included', async () => {
      const listed = await grpcurl(target, 'list');
      expect(listed).toMatchObject({ code: 0, stderr: '' });
      expect(listed.stdout.trim().split('\n').sort()).toEqual(
        expect.arrayContaining(['grpc.health.v1.Health', 'm2m.v1.Audit', 'm2m.v1.Authentication', 'm2m.v1.DeviceRegistry']),
      );
      const methods = await grpcurl(target, 'list', 'm2m.v1.DeviceRegistry');
      expect(methods.stdout.trim().split('\n').sort()).toEqual([
        'm2m.v1.DeviceRegistry.GetDevice',
        'm2m.v1.DeviceRegistry.ListDevices',
        'm2m.v1.DeviceRegistry.RegisterDevice',
        'm2m.v1.DeviceRegistry.RevokeDevice',
      ]);
    });

    it('describes messages as the .proto files write them, comments, maps and optional fields included', async () => {
      const device = await grpcurl(target, 'describe', 'm2m.v1.Device');
      expect(device.code).toBe(0);
      expect(device.stdout).toContain('.google.protobuf.Struct metadata = 5;');
      expect(device.stdout).toContain('optional string revoked_at = 8;');
      expect(device.stdout).toContain('// The raw 32-byte Ed25519 public key as 64 lowercase hex characters,');
      const health = await grpcurl(target, 'describe', 'grpc.health.v1.HealthListResponse');
      expect(health.stdout).toContain('map<string, .grpc.health.v1.HealthCheckResponse> statuses = 1;');
    });

    it('answers InitiateChallenge for an unknown device like any other (a decoy), and a malformed id with InvalidArgument', async () => {
      const answer = await grpcurl('-d', '{"deviceId":"never-registered"}', target, 'm2m.v1.Authentication/InitiateChallenge');
      expect(answer.code).toBe(0);
      expect(JSON.parse(answer.stdout)).toMatchObject({ deviceId: 'never-registered', algorithm: 'Ed25519' });
      const malformed = await grpcurl('-v', '-d', '{"deviceId":"not a device id"}', target, 'm2m.v1.Authentication/InitiateChallenge');
      expect(malformed.stderr).toContain('Code: InvalidArgument');
      expect(malformed.stdout).toMatch(/m2m-error-code: VALIDATION_FAILED/);
    });

    it('answers the health check SERVING', async () => {
      const answer = await grpcurl(target, 'grpc.health.v1.Health/Check');
      expect(answer.code).toBe(0);
      expect(JSON.parse(answer.stdout)).toEqual({ status: 'SERVING' });
    });

    it('runs the flow of docs/grpc.md as written: register, get, list, challenge, sign, verify, replay, revoke, query events', async () => {
      const blocks = shellBlocksOf('The flow with grpcurl');
      expect(blocks[0]).toContain('export GRPC=127.0.0.1:50051 KEY=$(cat data/admin-api-key)');
      expect(blocks).toHaveLength(4);
      const [, flow, refusals, health] = blocks as [string, string, string, string];
      const cwd = mkdtempSync(join(tmpdir(), 'm2m-grpcurl-doc-'));
      // What the setup block would export, for this server.
      const env: NodeJS.ProcessEnv = { ...process.env, GRPC: target, KEY: server.adminKey, PATH: `${dirname(GRPCURL)}${delimiter}${process.env['PATH'] ?? ''}` };
      // A reader's shell runs the blocks; a start-up file the environment points bash at is not part of them,
      // nor the system bashrc, which bash reads when its stdin is a socket (node's pipes are) at shell level 1.
      delete env['BASH_ENV'];

      const done = await run('bash', ['--norc', '-euo', 'pipefail', '-c', flow], { cwd, env });
      expect(done).toMatchObject({ code: 0, stderr: '' });
      expect(done.stdout).toContain('m2m.v1.DeviceRegistry is a service:');
      expect(done.stdout).toMatch(/"verified": true,\s+"deviceId": "scanner-floor-3"/);
      expect(done.stdout).toContain('"reason": "VERIFY_FAILURE_REASON_CHALLENGE_ALREADY_USED"');
      expect(done.stdout).toContain('"status": "DEVICE_STATUS_REVOKED"');

      // The same device, seen over HTTP: what the flow did is there, audited.
      const http = new Api(server.url, server.adminKey);
      const device = await http.get('/v1/devices/scanner-floor-3');
      expect(device.body).toMatchObject({ status: 'revoked', revocationReason: 'lost', label: 'Factory Floor Scanner #3', metadata: { floor: 3 } });
      expect(device.body['publicKey']).toBe(readFileSync(join(cwd, 'device.pub'), 'utf8').trim());
      const events = await http.get<{ epcisBody: { queryResults: { resultsBody: { eventList: Record<string, unknown>[] } } } }>(
        `/epcis/events?MATCH_epc=${encodeURIComponent('urn:m2m-trust:device:scanner-floor-3')}`,
      );
      const eventList = events.body.epcisBody.queryResults.resultsBody.eventList;
      expect(eventList.map((e) => e['disposition'])).toEqual(['active', 'conformant', 'non_conformant', 'inactive']);
      // grpcurl printed each streamed event: the first query all four, the second the replay's refusal, the third the latest five with a reason.
      const withReason = await http.get<{ epcisBody: { queryResults: { resultsBody: { eventList: Record<string, unknown>[] } } } }>('/epcis/events?EXISTS_m2m%3Areason=');
      const reasons = withReason.body.epcisBody.queryResults.resultsBody.eventList.length;
      expect(reasons).toBeGreaterThanOrEqual(2);
      expect(done.stdout.match(/"eventJson":/g)).toHaveLength(5 + Math.min(5, reasons));

      const refused = await run('bash', ['--norc', '-c', refusals], { cwd, env });
      expect(refused.stderr).toContain('Code: NotFound');
      expect(refused.stdout).toContain('m2m-error-code: DEVICE_NOT_FOUND');
      expect(refused.stderr).toContain('Code: Unauthenticated');

      const healthy = await run('bash', ['--norc', '-euo', 'pipefail', '-c', health], { cwd, env });
      expect(healthy.code).toBe(0);
      expect(healthy.stdout.match(/"status": "SERVING"/g)).toHaveLength(2);
      rmSync(cwd, { recursive: true, force: true });
    });
  });
}
