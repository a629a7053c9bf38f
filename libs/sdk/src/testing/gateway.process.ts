import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The launcher every test suite uses: the built gateway as a real process on a free loopback port, tracked from
// its spawn so that it is stopped whatever happens to the suite. A test-only entry (never in the published
// package), hence the one exception to the rule that keeps the SDK free of workspace code.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startApp } from '../../../../tools/scripts/cluster.cjs';

export interface StartGatewayOptions {
  /** M2M_AUDIENCE, bound into every challenge (default `https://m2m.sdk.test`); null leaves it unset, so the service names itself by its listening URL. */
  readonly audience?: string | null;
  readonly env?: Readonly<Record<string, string>>;
}

export interface RunningGateway {
  readonly url: string;
  readonly audience: string;
  readonly adminKey: string;
  /** Its M2M_DATA_DIR (removed by stop). */
  readonly dataDir: string;
  /** Everything the process wrote so far, for failure messages. */
  output(): string;
  /** Stops the process and removes its data directory. */
  stop(): Promise<void>;
}

export async function startGateway(options: StartGatewayOptions = {}): Promise<RunningGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'm2m-sdk-'));
  const adminKey = `sdk-test-admin-key-${Math.random().toString(36).slice(2)}-0123456789`;
  const audience = options.audience === undefined ? 'https://m2m.sdk.test' : options.audience;
  const app = await startApp('gateway', {
    M2M_DATA_DIR: dataDir,
    M2M_LOG_LEVEL: 'info',
    M2M_ADMIN_API_KEY: adminKey,
    // Test suites authenticate many times from one loopback address; the limits have suites of their own.
    M2M_RATE_LIMIT_ADDRESS_PER_MINUTE: '0',
    M2M_RATE_LIMIT_DEVICE_PER_MINUTE: '0',
    M2M_RATE_LIMIT_API_KEY_PER_MINUTE: '0',
    ...(audience === null ? {} : { M2M_AUDIENCE: audience }),
    ...options.env,
  }).catch((error: Error) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`${error.message}\n(run npm run build first)`);
  });
  return {
    url: app.url,
    dataDir,
    audience: audience ?? app.url,
    adminKey,
    output: app.output,
    stop: async () => {
      await app.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
