// The cost of what issue 7 adds, beside plain challenge-response, against the
// same embedded gateway in the same run (ratios, not absolute figures, are what
// survive a noisy shared machine):
//   - challenge-response: challenge + sign + verify (verify now also signs an access token);
//   - OAuth client credentials: the device signs a client assertion, one POST /oauth2/token;
//   - a protected call (GET /v1/me) with the bearer token, and with an RFC 9421 signed request;
//   - in-process: access-token signing and verification, signature-base verification.
// Clients run on the same 2 cores as the server, so client-side signing is in the figures.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { SignJWT } from 'jose';
import { Pool } from 'undici';

import { drive } from './load.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const { signRequest, verifyRequestSignature } = require(join(root, 'dist/libs/shared/http-signatures/src/index.js'));

const rate = async (ms, fn) => {
  let n = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    await fn();
    n++;
  }
  return n / (ms / 1000);
};

/**
 * @param {{ url: string, adminKey: string, devices: { deviceId: string, privateKey: import('node:crypto').KeyObject }[], seconds: number, concurrency: number,
 *   json: (pool: Pool, method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number, body: any }> }} options
 */
export async function benchCredentials({ url, adminKey, devices, seconds, concurrency, json }) {
  const pool = new Pool(url, { connections: concurrency, pipelining: 1 });
  const target = (path) => `${url}${path}`;
  const tokens = [];
  try {
    const challengeResponse = await drive(seconds, concurrency, async (worker) => {
      const d = devices[worker];
      const c = await json(pool, 'POST', '/v1/challenges', { deviceId: d.deviceId });
      if (c.status !== 201) return false;
      const { sign } = await import('node:crypto');
      const signature = sign(null, Buffer.from(c.body.nonce, 'utf8'), d.privateKey).toString('hex');
      const v = await json(pool, 'POST', '/v1/challenges/verify', { challengeId: c.body.id, signature });
      if (v.status === 200 && v.body.verified === true) tokens[worker] = v.body.accessToken;
      return v.status === 200 && v.body.verified === true;
    });

    const clientCredentials = await drive(seconds, concurrency, async (worker) => {
      const d = devices[worker];
      const assertion = await new SignJWT({ jti: randomUUID() })
        .setProtectedHeader({ alg: 'EdDSA' })
        .setIssuer(d.deviceId)
        .setSubject(d.deviceId)
        .setAudience(`${url}/oauth2/token`)
        .setIssuedAt()
        .setExpirationTime('60s')
        .sign(d.privateKey);
      const res = await pool.request({
        method: 'POST',
        path: '/oauth2/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
        }).toString(),
      });
      const body = await res.body.json();
      return res.statusCode === 200 && typeof body.access_token === 'string';
    });

    const bearer = await drive(seconds, concurrency, async (worker) => {
      const r = await json(pool, 'GET', '/v1/me', undefined, { authorization: `Bearer ${tokens[worker]}` });
      return r.status === 200;
    });

    const signed = await drive(seconds, concurrency, async (worker) => {
      const d = devices[worker];
      const fields = signRequest(
        { method: 'GET', targetUri: target('/v1/me'), headers: {}, body: Buffer.alloc(0) },
        { key: d.privateKey, keyId: d.deviceId, nonce: randomUUID() },
      );
      const r = await json(pool, 'GET', '/v1/me', undefined, fields);
      return r.status === 200;
    });

    const health = await drive(seconds, concurrency, async () => (await json(pool, 'GET', '/health')).status === 200);

    // In-process, one core: what the server pays per token and per signed request, without HTTP.
    const d = devices[0];
    const { createPublicKey } = await import('node:crypto');
    const publicKey = createPublicKey(d.privateKey);
    const tokenSign = await rate(1000, () =>
      new SignJWT({ cnf: { jkt: 'x'.repeat(43) } }).setProtectedHeader({ alg: 'EdDSA', kid: 'k', typ: 'at+jwt' }).setIssuer(url).setSubject(d.deviceId).setAudience(url).setIssuedAt().setExpirationTime('300s').setJti(randomUUID()).sign(d.privateKey),
    );
    const { jwtVerify } = await import('jose');
    const sample = await new SignJWT({}).setProtectedHeader({ alg: 'EdDSA' }).setIssuer(url).setAudience(url).setExpirationTime('300s').sign(d.privateKey);
    const tokenVerify = await rate(1000, () => jwtVerify(sample, publicKey, { issuer: url, audience: url, algorithms: ['EdDSA'] }));
    const request = { method: 'GET', targetUri: target('/v1/me'), headers: {}, body: Buffer.alloc(0) };
    const fields = signRequest(request, { key: d.privateKey, keyId: d.deviceId, nonce: 'n' });
    const signedRequest = { ...request, headers: fields };
    const signatureVerify = await rate(1000, () => verifyRequestSignature(signedRequest, { resolveKey: async () => publicKey, maxAgeSeconds: 300 }));

    return { challengeResponse, clientCredentials, bearer, signed, health, inProcess: { tokenSign, tokenVerify, signatureVerify } };
  } finally {
    await pool.close();
  }
}

export function printCredentials(c, concurrency) {
  const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
  console.log(`\ncredentials at ${concurrency} concurrent devices (embedded, same run)`);
  console.log('flow                                         | ops/s  | p50 ms | p99 ms | errors');
  const row = (name, r) => console.log(`${name.padEnd(44)} | ${fmt(r.perSecond).padStart(6)} | ${fmt(r.p50, 2).padStart(6)} | ${fmt(r.p99, 2).padStart(6)} | ${String(r.errors).padStart(6)}`);
  row('challenge-response (2 requests, + token)', c.challengeResponse);
  row('client credentials, private_key_jwt (1 req)', c.clientCredentials);
  row('GET /v1/me with the bearer token', c.bearer);
  row('GET /v1/me signed (RFC 9421)', c.signed);
  row('GET /health (no credentials)', c.health);
  console.log(
    `in-process, one core: access token sign ${fmt(c.inProcess.tokenSign)}/s, verify ${fmt(c.inProcess.tokenVerify)}/s; RFC 9421 request verify ${fmt(c.inProcess.signatureVerify)}/s`,
  );
}
