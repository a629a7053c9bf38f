import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';

import { scaled } from '../../tools/jest/scale.cjs';
import { track } from '../../tools/scripts/child-registry.cjs';

export const TEST_DATABASE_URL = process.env['M2M_TEST_DATABASE_URL'] ?? 'postgres://m2m:m2m@127.0.0.1:55432/m2m';
export const TEST_KAFKA_BROKERS = process.env['M2M_TEST_KAFKA_BROKERS'] ?? '127.0.0.1:19092';

const LAUNCHER = resolve(__dirname, '../../tools/scripts/start-distributed.mjs');

export interface RunningLauncher {
  /** The gateway, as the launcher announces it. */
  readonly url: string;
  readonly schemaPrefix: string;
  readonly topicPrefix: string;
  /** Everything the launcher and its four processes wrote so far. */
  output(): string;
  /** The JSON log lines of one process (app: gateway, registry-service, …). */
  logs(app: string): Record<string, unknown>[];
  /** SIGTERM (or `signal`) to the launcher; resolves with its exit code once it and its processes are gone. */
  stop(signal?: NodeJS.Signals): Promise<number | string | null>;
}

/** JSON log lines of `output` written by `app`. */
export function logsOf(output: string, app: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        return {};
      }
    })
    .filter((line) => line['app'] === app);
}

/**
 * Runs tools/scripts/start-distributed.mjs, as `npm run start:distributed`
 * runs it after the build, with `env` as the operator's whole environment
 * (plus PATH and HOME), on the test infrastructure, under a fresh schema
 * prefix and topic prefix. Resolves once the launcher says the gateway listens.
 */
export async function startLauncher(env: Record<string, string>, { timeoutMs = scaled(180_000) } = {}): Promise<RunningLauncher> {
  const id = randomBytes(4).toString('hex');
  const schemaPrefix = `t_${id}_`;
  const topicPrefix = `t${id}.`;
  const child: ChildProcess = track(
    spawn(process.execPath, [LAUNCHER, '--schema-prefix', schemaPrefix], {
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: process.env['HOME'] ?? '',
        // Where the launcher records its four processes too, so the run's teardown finds them if it dies.
        ...(process.env['M2M_TEST_PID_DIR'] ? { M2M_TEST_PID_DIR: process.env['M2M_TEST_PID_DIR'] } : {}),
      M2M_DATABASE_URL: TEST_DATABASE_URL,
      M2M_KAFKA_BROKERS: TEST_KAFKA_BROKERS,
        M2M_KAFKA_TOPIC_PREFIX: topicPrefix,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string | null>((done) => child.once('close', (code, signal) => done(code ?? signal)));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<number | string | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const code = await exited;
    await dropState(schemaPrefix, topicPrefix);
    return code;
  };
  try {
    const url = await new Promise<string>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`start:distributed did not start within ${timeoutMs} ms:\n${output.slice(-6000)}`)), timeoutMs);
      const poll = setInterval(() => {
        const match = /\[start:distributed\] gateway listening on (http:\/\/\S+)/.exec(output);
        if (match) {
          clearInterval(poll);
          clearTimeout(timer);
          done(match[1] as string);
        }
      }, 50);
      void exited.then((code) => {
        clearInterval(poll);
        clearTimeout(timer);
        fail(new Error(`start:distributed exited with ${code} before the gateway listened:\n${output.slice(-6000)}`));
      });
    });
    return { url, schemaPrefix, topicPrefix, output: () => output, logs: (app) => logsOf(output, app), stop };
  } catch (error) {
    // SIGKILL would leave the four processes behind: the launcher stops them on SIGTERM.
    await stop();
    throw error;
  }
}

/** Drops the run's schemas and topics, so the shared infrastructure does not fill up. */
async function dropState(schemaPrefix: string, topicPrefix: string): Promise<void> {
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    const schemas = await client.query<{ name: string }>('SELECT nspname AS name FROM pg_namespace WHERE starts_with(nspname, $1)', [schemaPrefix]);
    for (const { name } of schemas.rows) await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  } finally {
    await client.end();
  }
  const admin = new Kafka({ clientId: 'm2m-e2e-cleanup', brokers: TEST_KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING, retry: { retries: 2 } }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(topicPrefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 });
  } finally {
    await admin.disconnect();
  }
}
