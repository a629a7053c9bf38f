import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';

import { scaled } from '../../../tools/jest/scale.cjs';
import { track } from '../../../tools/scripts/child-registry.cjs';
import { freePort, sleep } from './cluster';

const ROOT = resolve(__dirname, '..', '..', '..');
// A JVM start: about 30 s on a busy two-core machine, so room for one several times slower.
const START_TIMEOUT_MS = scaled(240_000);
const STOP_TIMEOUT_MS = 60_000;

/**
 * A single-node KRaft broker of its own, for a suite that stops and starts
 * Kafka (the shared one on 19092 must stay up for the other suites). Built
 * like tools/infra/infra.mjs builds the shared one, from the jars it fetched
 * into <M2M_INFRA_DIR or tmp/infra>/kafka/lib and its server.properties, on
 * free ports and with a fresh log directory.
 */
export interface KafkaBroker {
  /** host:port, for M2M_KAFKA_BROKERS. */
  readonly brokers: string;
  readonly pid: number | undefined;
  /** SIGTERM (a controlled shutdown) and wait for the process to end. */
  stop(): Promise<number | string | null>;
  /** Start it again: same ports, same log directory, same cluster id. */
  start(): Promise<void>;
  /** The broker's console output, all starts together. */
  output(): string;
  /** Stops it if it runs, and deletes its directory. */
  destroy(): Promise<void>;
}

function libDirectory(): string {
  const infra = resolve(process.env['M2M_INFRA_DIR'] || join(ROOT, 'tmp', 'infra'));
  const lib = join(infra, 'kafka', 'lib');
  if (!existsSync(join(lib, '.pom-sha256'))) {
    throw new Error(`no Kafka jars in ${lib}: run \`node tools/infra/infra.mjs up\` once, which fetches them`);
  }
  return lib;
}

const java = (): string => (process.env['JAVA_HOME'] ? join(process.env['JAVA_HOME'], 'bin', 'java') : 'java');

async function answers(brokers: string): Promise<boolean> {
  const admin = new Kafka({ clientId: 'm2m-e2e-broker', brokers: [brokers], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 2_000 }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** The group coordinator and the producer-id block, created now rather than in the services' first retries (as infra.mjs does). */
async function warmUp(brokers: string): Promise<void> {
  const kafka = new Kafka({ clientId: 'm2m-e2e-broker', brokers: [brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  try {
    await admin.connect();
    await admin.describeGroups(['m2m-e2e-warm-up']);
    await producer.connect();
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

export async function startKafkaBroker(): Promise<KafkaBroker> {
  const lib = libDirectory();
  const dir = mkdtempSync(join(tmpdir(), 'm2m-e2e-kafka-'));
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  const [port, controllerPort] = [await freePort(), await freePort()];
  const brokers = `127.0.0.1:${port}`;
  const template = readFileSync(join(ROOT, 'tools', 'infra', 'kafka', 'server.properties'), 'utf8');
  const properties = join(dir, 'server.properties');
  writeFileSync(
    properties,
    template.replaceAll('127.0.0.1:19092', brokers).replaceAll('127.0.0.1:19093', `127.0.0.1:${controllerPort}`).replaceAll('__DATA_DIR__', dataDir),
  );
  const log4j = `-Dlog4j.configuration=file:${join(ROOT, 'tools', 'infra', 'kafka', 'log4j.properties')}`;
  const classPath = join(lib, '*');
  // A KRaft cluster id: 16 random bytes, URL-safe base64. One in 64 starts with "-", which the
  // tool's argument parser would read as an option after "-t": hence "--cluster-id=".
  const clusterId = randomBytes(16).toString('base64url');
  const format = spawnSync(java(), ['-Xmx256m', log4j, '-cp', classPath, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', properties], {
    cwd: dir,
    encoding: 'utf8',
  });
  if (format.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`kafka-storage format failed (${format.status ?? format.error?.message}):\n${format.stdout}${format.stderr}`);
  }

  let output = '';
  let child: ChildProcess | null = null;
  let exited: Promise<number | string | null> = Promise.resolve(null);

  const start = async (): Promise<void> => {
    if (child) throw new Error('the broker runs already');
    const since = output.length;
    const broker = track(spawn(
      java(),
      // The JVM flags of kafka-server-start.sh, with the heap of a test broker (as infra.mjs).
      ['-Xms256m', '-Xmx512m', '-server', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35',
        '-XX:+ExplicitGCInvokesConcurrent', '-XX:MaxInlineLevel=15', '-Djava.awt.headless=true',
        `-Dkafka.logs.dir=${join(dir, 'logs')}`, log4j, '-cp', classPath, 'kafka.Kafka', properties],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    ));
    child = broker;
    broker.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    broker.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    exited = new Promise((done) =>
      broker.once('exit', (code, signal) => {
        if (child === broker) child = null;
        done(code ?? signal);
      }),
    );
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!output.slice(since).includes('Kafka Server started')) {
      if (child !== broker) throw new Error(`the broker exited during start-up:\n${output.slice(-4000)}`);
      if (Date.now() > deadline) throw new Error(`no "Kafka Server started" within ${START_TIMEOUT_MS} ms:\n${output.slice(-4000)}`);
      await sleep(200);
    }
    while (!(await answers(brokers))) {
      if (Date.now() > deadline) throw new Error(`the broker does not answer a metadata request:\n${output.slice(-4000)}`);
      await sleep(300);
    }
    await warmUp(brokers);
  };

  const stop = async (): Promise<number | string | null> => {
    const running = child;
    if (!running) return exited;
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), STOP_TIMEOUT_MS);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  try {
    await start();
  } catch (error) {
    await stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    brokers,
    get pid() {
      return (child as ChildProcess | null)?.pid;
    },
    stop,
    start,
    output: () => output,
    destroy: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
