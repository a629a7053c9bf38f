// Full authentications over gRPC (InitiateChallenge, sign with node:crypto,
// Verify), for the bench harness to run beside its HTTP figures. A harness,
// not a test: it drives a server that is already running.
//
//   import { benchGrpcAuthentications } from './grpc-bench.mjs';
//   const rows = await benchGrpcAuthentications({ grpcUrl: '127.0.0.1:50051', adminKey, concurrencyLevels: [1, 16, 64], seconds: 5 });
//   // [{ concurrency, perSecond, p50, p99, errors }], latencies in milliseconds
//
// Or on its own against a running server:
//   M2M_GRPC_URL=127.0.0.1:50051 M2M_ADMIN_API_KEY=... node tools/bench/grpc-bench.mjs
import { generateKeyPairSync, sign } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { credentials, loadPackageDefinition, Metadata } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PROTO_FILES = ['m2m/v1/device_registry.proto', 'm2m/v1/authentication.proto'];
// As the server loads them (libs/shared/proto/src/lib/m2m-proto.ts): a client needs nothing generated.
const OPTIONS = { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: [join(root, 'libs', 'shared', 'proto', 'proto')] };

const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

const unary = (client, method, request, metadata = new Metadata()) =>
  new Promise((resolve, reject) => client[method](request, metadata, (error, response) => (error ? reject(error) : resolve(response))));

function newDevice(i) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    deviceId: `bench-grpc-${process.pid}-${Date.now().toString(36)}-${i}`,
    publicKey: Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url').toString('hex'),
    privateKey,
  };
}

/**
 * Registers one device per concurrent worker (at the highest level) with the
 * admin key, then for each level runs that many workers, each authenticating
 * its own device in a loop for `seconds`. An authentication that does not
 * answer verified, or fails, counts as an error and not in the latencies.
 *
 * @param {{ grpcUrl: string, adminKey: string, concurrencyLevels: number[], seconds: number }} options
 *   grpcUrl: host:port as the server logs it ("grpcUrl"); a grpc:// prefix is accepted.
 * @returns {Promise<{ concurrency: number, perSecond: number, p50: number, p99: number, errors: number }[]>}
 */
export async function benchGrpcAuthentications({ grpcUrl, adminKey, concurrencyLevels, seconds }) {
  const target = grpcUrl.replace(/^grpcs?:\/\//, '');
  const { m2m } = loadPackageDefinition(loadSync(PROTO_FILES, OPTIONS));
  const registry = new m2m.v1.DeviceRegistry(target, credentials.createInsecure());
  const authentication = new m2m.v1.Authentication(target, credentials.createInsecure());
  try {
    const admin = new Metadata();
    admin.set('authorization', `Bearer ${adminKey}`);
    const devices = Array.from({ length: Math.max(...concurrencyLevels) }, (_, i) => newDevice(i));
    for (const device of devices) await unary(registry, 'registerDevice', { deviceId: device.deviceId, publicKey: device.publicKey, label: 'gRPC bench' }, admin);

    const authenticate = async (device) => {
      const challenge = await unary(authentication, 'initiateChallenge', { deviceId: device.deviceId });
      const signature = sign(null, Buffer.from(challenge.nonce, 'utf8'), device.privateKey).toString('hex');
      const answer = await unary(authentication, 'verify', { challengeId: challenge.id, signature });
      return answer.verified === true;
    };
    // A short warm-up so the first level does not pay for connection set-up and JIT.
    await authenticate(devices[0]);

    const rows = [];
    for (const concurrency of concurrencyLevels) {
      const latencies = [];
      let errors = 0;
      const start = performance.now();
      const deadline = start + seconds * 1000;
      await Promise.all(
        devices.slice(0, concurrency).map(async (device) => {
          while (performance.now() < deadline) {
            const t0 = performance.now();
            try {
              if (await authenticate(device)) latencies.push(performance.now() - t0);
              else errors++;
            } catch {
              errors++;
            }
          }
        }),
      );
      const elapsed = (performance.now() - start) / 1000;
      latencies.sort((a, b) => a - b);
      rows.push({ concurrency, perSecond: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors });
    }
    return rows;
  } finally {
    registry.close();
    authentication.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const grpcUrl = process.env.M2M_GRPC_URL;
  const adminKey = process.env.M2M_ADMIN_API_KEY;
  if (!grpcUrl || !adminKey) {
    process.stderr.write('usage: M2M_GRPC_URL=host:port M2M_ADMIN_API_KEY=key node tools/bench/grpc-bench.mjs\n');
    process.exit(2);
  }
  const rows = await benchGrpcAuthentications({
    grpcUrl,
    adminKey,
    concurrencyLevels: (process.env.BENCH_CONCURRENCY ?? '1,16,64').split(',').map(Number),
    seconds: Number(process.env.BENCH_SECONDS ?? 5),
  });
  for (const r of rows) {
    process.stdout.write(`gRPC authentications  c=${String(r.concurrency).padStart(3)}  ${r.perSecond.toFixed(0).padStart(6)}/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  errors ${r.errors}\n`);
  }
}
