import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { scaled } from '../../tools/jest/scale.cjs';
import { GENEROUS_RATE_LIMITS, startApp } from '../../tools/scripts/cluster.cjs';
import { Api, type Device, newDevice, register } from './client';

export interface RunningServer {
  readonly url: string;
  readonly dataDir: string;
  readonly adminKey: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code, or the signal's name when the process ended by one. */
  stop(signal?: NodeJS.Signals): Promise<number | string | null>;
}

/** Rate limits off: for suites that authenticate one device from one address many times on purpose. */
export const WITHOUT_ABUSE_LIMITS: Readonly<Record<string, string>> = {
  M2M_RATE_LIMIT_DEVICE_PER_MINUTE: '0',
  M2M_RATE_LIMIT_ADDRESS_PER_MINUTE: '0',
};

export const newDataDir = (): string => mkdtempSync(join(tmpdir(), 'm2m-e2e-'));

/**
 * Starts the built gateway (the embedded default) as a real process on a free
 * loopback port and waits until it listens: the launcher the distributed suites
 * and `npm run start:distributed` use, so the process is tracked from its spawn
 * and stopped after the suite whatever happens (tools/jest/tier.setup.cjs).
 */
export async function startServer(options: { dataDir?: string; env?: Record<string, string>; adminKey?: string | null } = {}): Promise<RunningServer> {
  const dataDir = options.dataDir ?? newDataDir();
  const adminKey = options.adminKey === undefined ? `test-admin-key-${Math.random().toString(36).slice(2)}-0123456789` : options.adminKey;
  const app = await startApp('gateway', {
    // Unset, as a user's first start has it: with PORT=0 the gRPC port is then any free one too.
    GRPC_PORT: null,
    M2M_DATA_DIR: dataDir,
    M2M_LOG_LEVEL: 'info',
    // Devices sign for the URL the server listens on, as after `npm start` (docs/http-signatures.md).
    M2M_PUBLIC_URL: 'listening',
    // Suites authenticate thousands of times from one address; a suite about the limits sets its own.
    ...GENEROUS_RATE_LIMITS,
    ...(adminKey ? { M2M_ADMIN_API_KEY: adminKey } : {}),
    ...options.env,
  }, { timeoutMs: scaled(180_000) });
  return { url: app.url, dataDir, adminKey: adminKey ?? '', output: app.output, stop: app.stop };
}

/** A started server, a client holding its admin key, and one device registered on it: where the flow suites begin. */
export async function startServerWithDevice(prefix: string, env: Record<string, string> = {}): Promise<{ server: RunningServer; api: Api; device: Device }> {
  const server = await startServer({ env });
  const api = new Api(server.url, server.adminKey);
  const device = newDevice(prefix);
  const registered = await register(api, device);
  if (registered.status !== 201) throw new Error(`registering ${device.deviceId}: ${registered.status} ${JSON.stringify(registered.body)}`);
  return { server, api, device };
}
