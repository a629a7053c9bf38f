// npm run bench: a harness, not a test. Drives full authentications
// (challenge + sign + verify) against the real embedded server at 1, 16 and 64
// concurrent devices, beside a bare Node HTTP server and a raw verify loop
// measured in the same run, so the figures read as ratios on a noisy machine.
//
//   npm run bench                       # defaults
//   BENCH_SECONDS=10 npm run bench      # longer runs per level
//   BENCH_ONLY=auth|credentials|audit|webhooks|distributed npm run bench   # one part (or a list: auth,distributed)
//   BENCH_AUDIT_SIZES=10000,100000 BENCH_EXPORT_EVENTS=100000 BENCH_PROOF_RECORDS=100000 npm run bench
//   BENCH_WEBHOOK_EVENTS=100000 npm run bench   # see webhook-bench.mjs
//   BENCH_DIST_SECONDS=20 BENCH_REVOCATIONS=50 npm run bench   # see distributed-bench.mjs
//
// The distributed part brings up (or reuses) the local Kafka and PostgreSQL
// (tools/infra) and leaves them running: npm run infra:down stops them.
import { spawn } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { verifyAsync as nobleVerifyAsync } from '@noble/ed25519';
import { Pool } from 'undici';

import { GENEROUS_RATE_LIMITS } from '../scripts/cluster.cjs';
import { benchAuditAppendInChild } from './audit-append-bench.mjs';
import { benchExportAndVerify } from './audit-export-bench.mjs';
import { benchAuditProofs } from './audit-proof-bench.mjs';
import { benchAuditQueries } from './audit-query-bench.mjs';
import { benchCredentials, printCredentials } from './credentials-bench.mjs';
import { drive as driveFor } from './load.mjs';
import { benchDistributed, printDistributed } from './distributed-bench.mjs';
import { benchGrpcAuthentications } from './grpc-bench.mjs';
import { benchWebhookDelivery } from './webhook-bench.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const LEVELS = (process.env.BENCH_CONCURRENCY ?? '1,16,64').split(',').map(Number);
const ADMIN_KEY = 'bench-admin-key-0123456789abcdef';

const fmt = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

async function startGateway(extraEnv = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'm2m-bench-'));
  const child = spawn(process.execPath, [join(root, 'dist/apps/gateway/src/main.js')], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', M2M_DATA_DIR: dataDir, M2M_ADMIN_API_KEY: ADMIN_KEY, ...GENEROUS_RATE_LIMITS, ...extraEnv },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const { url, grpcUrl } = await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"listening"/.exec(out);
      if (match) resolve({ url: match[1], grpcUrl: /"grpcUrl":"([^"]+)"/.exec(match[0])?.[1] });
      if (out.length > 1e6) out = out.slice(-1e5);
    });
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
  });
  // Keep draining stdout (the access log) so the server never blocks on a full pipe.
  child.stdout.removeAllListeners('data');
  child.stdout.resume();
  return { url, grpcUrl, child, dataDir, stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); }) };
}

function newDevice(i) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { deviceId: `bench-${process.pid}-${i}`, publicKey: Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url').toString('hex'), privateKey };
}

async function json(pool, method, path, body, headers = {}) {
  const res = await pool.request({
    method,
    path,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
}

/** Runs `concurrency` loops of `once()` for SECONDS; returns ops/s and latency percentiles in ms. */
const drive = (concurrency, once) => driveFor(SECONDS, concurrency, once);

async function benchAuthentications(url, label) {
  const results = [];
  for (const concurrency of LEVELS) {
    const pool = new Pool(url, { connections: concurrency, pipelining: 1 });
    const devices = Array.from({ length: concurrency }, (_, i) => newDevice(`${label}-${concurrency}-${i}`));
    for (const d of devices) {
      const r = await json(pool, 'POST', '/v1/devices', { deviceId: d.deviceId, publicKey: d.publicKey }, { 'x-api-key': ADMIN_KEY });
      if (r.status !== 201) throw new Error(`registration failed: ${JSON.stringify(r)}`);
    }
    const once = async (worker) => {
      const d = devices[worker];
      const c = await json(pool, 'POST', '/v1/challenges', { deviceId: d.deviceId });
      if (c.status !== 201) return false;
      const signature = sign(null, Buffer.from(c.body.nonce, 'utf8'), d.privateKey).toString('hex');
      const v = await json(pool, 'POST', '/v1/challenges/verify', { challengeId: c.body.id, signature });
      return v.status === 200 && v.body.verified === true;
    };
    await drive(concurrency, once).catch(() => undefined); // warm-up is the first second of a short run
    results.push(await drive(concurrency, once));
    await pool.close();
  }
  return results;
}

async function benchBareHttp() {
  // The floor: the same two requests per "authentication" against a server that does nothing.
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}`;
  const concurrency = Math.max(...LEVELS);
  const pool = new Pool(url, { connections: concurrency, pipelining: 1 });
  const once = async () => {
    await json(pool, 'POST', '/a', { deviceId: 'x' });
    await json(pool, 'POST', '/b', { challengeId: 'y', signature: 'z' });
    return true;
  };
  const result = await drive(concurrency, once);
  await pool.close();
  server.close();
  return result;
}

async function benchRawVerify() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const message = Buffer.from('m2m-trust-challenge/v1;aud=http://127.0.0.1:8080;cid=0f8c1c5e-3f5a-4c1e-9a4e-6d2b8f7a1c01;did=bench;rnd=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8;exp=2026-11-21T08:01:00.000Z');
  const signature = sign(null, message, privateKey);
  const key = createPublicKey(publicKey.export({ format: 'jwk' }) && { key: publicKey.export({ format: 'jwk' }), format: 'jwk' });
  const rate = (fn, ms) => {
    let n = 0;
    const end = performance.now() + ms;
    while (performance.now() < end) for (let i = 0; i < 100; i++, n++) fn();
    return n / (ms / 1000);
  };
  const native = rate(() => verify(null, message, key, signature), 2000);
  const signRate = rate(() => sign(null, message, privateKey), 1000);
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url');
  let n = 0;
  const end = performance.now() + 2000;
  while (performance.now() < end) {
    await nobleVerifyAsync(signature, message, raw);
    n++;
  }
  return { nativeVerifyPerSecond: native, pureJsVerifyPerSecond: n / 2, nativeSignPerSecond: signRate };
}

const table = (title, rows, bare) => {
  console.log(`\n${title}`);
  console.log('concurrency | auth/s  | p50 ms | p99 ms | errors | vs bare http');
  for (const r of rows) {
    console.log(`${String(r.concurrency).padStart(11)} | ${fmt(r.perSecond, 0).padStart(7)} | ${fmt(r.p50, 2).padStart(6)} | ${fmt(r.p99, 2).padStart(6)} | ${String(r.errors).padStart(6)} | ${fmt((100 * r.perSecond) / bare.perSecond)}%`);
  }
};

async function main() {
  const parts = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',') : null;
  const part = (name) => !parts || parts.includes(name);
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  console.log(`m2m-trust bench: ${machine}; ${SECONDS}s per level\n`);
  const results = { machine, seconds: SECONDS };

  if (part('auth')) {
    const raw = await benchRawVerify();
    console.log(`raw Ed25519 verify, one core: node:crypto ${fmt(raw.nativeVerifyPerSecond, 0)}/s, @noble/ed25519 ${fmt(raw.pureJsVerifyPerSecond, 0)}/s (x${fmt(raw.nativeVerifyPerSecond / raw.pureJsVerifyPerSecond)}); sign ${fmt(raw.nativeSignPerSecond, 0)}/s`);
    const bare = await benchBareHttp();
    console.log(`bare node:http, ${bare.concurrency} concurrent, 2 requests per op: ${fmt(bare.perSecond, 0)} ops/s (${fmt(bare.perSecond * 2, 0)} req/s), p50 ${fmt(bare.p50, 2)} ms, p99 ${fmt(bare.p99, 2)} ms`);
    const gateway = await startGateway();
    let embedded;
    let grpc;
    try {
      embedded = await benchAuthentications(gateway.url, 'embedded');
      grpc = await benchGrpcAuthentications({ grpcUrl: gateway.grpcUrl, adminKey: ADMIN_KEY, concurrencyLevels: LEVELS, seconds: SECONDS });
    } finally {
      await gateway.stop();
    }
    table('embedded default over HTTP (SQLite, one process): full authentications = challenge + sign + verify, events committed before the answer', embedded, bare);
    table('embedded default over gRPC: the same flow', grpc, bare);
    Object.assign(results, { raw, bare, embedded, grpc });
  }

  if (part('credentials')) {
    const concurrency = Math.max(...LEVELS);
    const gateway = await startGateway();
    try {
      const pool = new Pool(gateway.url, { connections: 4 });
      const devices = Array.from({ length: concurrency }, (_, i) => newDevice(`credentials-${i}`));
      for (const d of devices) {
        const r = await json(pool, 'POST', '/v1/devices', { deviceId: d.deviceId, publicKey: d.publicKey }, { 'x-api-key': ADMIN_KEY });
        if (r.status !== 201) throw new Error(`registration failed: ${JSON.stringify(r)}`);
      }
      await pool.close();
      const credentials = await benchCredentials({ url: gateway.url, adminKey: ADMIN_KEY, devices, seconds: SECONDS, concurrency, json });
      printCredentials(credentials, concurrency);
      results.credentials = credentials;
    } finally {
      await gateway.stop();
    }
  }

  if (part('audit')) {
    const append = await benchAuditAppendInChild({ events: Number(process.env.BENCH_APPEND_EVENTS ?? 100_000) });
    console.log(
      `\naudit append (event store, chained EPCIS log behind it, synchronous=FULL, timed until the last record is durable): ${fmt(append.eventsPerSecond, 0)} events/s over ${append.events} events (the store alone answered ${fmt(append.storeEventsPerSecond, 0)}/s)`,
    );
    const sizes = (process.env.BENCH_AUDIT_SIZES ?? '10000,100000,1000000').split(',').map(Number);
    const queries = await benchAuditQueries({ sizes });
    console.log('\naudit queries, filtered first page');
    console.log('events    | query                          | p50 ms | p99 ms');
    for (const q of queries) console.log(`${String(q.size).padStart(9)} | ${String(q.query).padEnd(30)} | ${fmt(q.p50, 2).padStart(6)} | ${fmt(q.p99, 2).padStart(6)}`);
    const exported = await benchExportAndVerify({ events: Number(process.env.BENCH_EXPORT_EVENTS ?? 1_000_000) });
    console.log(`\nexport of ${exported.events} events: ${fmt(exported.exportEventsPerSecond, 0)} events/s, server peak RSS ${fmt(exported.serverPeakRssMb, 0)} MB; offline verify ${fmt(exported.verifySeconds)} s (${exported.verifyOk ? 'ok' : 'FAILED'})`);
    const proofs = await benchAuditProofs({ records: Number(process.env.BENCH_PROOF_RECORDS ?? 1_000_000) });
    console.log(`\naudit proofs at ${proofs.records} records (tree built through the store's tables in ${fmt(proofs.buildSeconds)} s), ${proofs.samples} of each, ms:`);
    console.log('                                   | p50    | p99    | max');
    for (const [name, t] of [
      ['inclusion proof served', proofs.inclusion],
      ['consistency proof served', proofs.consistency],
      ['inclusion checked as the CLI does', proofs.inclusionCheck],
      ['consistency checked as the CLI does', proofs.consistencyCheck],
    ]) console.log(`${name.padEnd(35)}| ${fmt(t.p50, 2).padStart(6)} | ${fmt(t.p99, 2).padStart(6)} | ${fmt(t.max, 2).padStart(6)}`);
    Object.assign(results, { append, queries, exported, proofs });
  }

  if (part('webhooks')) {
    const webhooks = await benchWebhookDelivery({ events: Number(process.env.BENCH_WEBHOOK_EVENTS ?? 100_000) });
    console.log(
      `\nEPCIS webhook delivery to a loopback receiver (signed, a 2xx acknowledged and checkpointed per POST): ${fmt(webhooks.eventsPerSecond, 0)} events/s, ${webhooks.events} events in ${webhooks.posts} POSTs`,
    );
    results.webhooks = webhooks;
  }

  if (part('distributed')) {
    const distributed = await benchDistributed({
      seconds: Number(process.env.BENCH_DIST_SECONDS ?? 20),
      warmupSeconds: Number(process.env.BENCH_DIST_WARMUP_SECONDS ?? 5),
      concurrency: Number(process.env.BENCH_DIST_CONCURRENCY ?? 64),
      revocations: Number(process.env.BENCH_REVOCATIONS ?? 50),
      profileDir: process.env.BENCH_DIST_PROFILE || undefined,
    });
    printDistributed(distributed);
    results.distributed = distributed;
  }

  const out = join(root, 'tmp', 'bench-results.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(results, null, 2));
  console.log(`\nresults: ${out}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
