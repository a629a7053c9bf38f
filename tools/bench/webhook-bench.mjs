// EPCIS webhook delivery throughput: fills a data directory with a real audit
// chain, serves it with the built gateway, subscribes a loopback receiver (a
// bare node:http server that checks every GS1-Signature) to a named query
// matching every event with initialRecordTime in the past, and times the
// backlog's delivery until the receiver holds every event. A harness, not a
// test: bench.mjs calls benchWebhookDelivery; run alone with
//
//   npm run build && node tools/bench/webhook-bench.mjs [events]
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { ADMIN_KEY, fillAuditLog, startGateway } from './audit-export-bench.mjs';

const SECRET = 'bench-webhook-signature-token';

/** Counts the events delivered (each eventID once), refusing any body whose signature does not hold. */
async function startReceiver() {
  const seen = new Set();
  let posts = 0;
  let badSignatures = 0;
  let waiter = null;
  const server = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const expected = createHmac('sha256', SECRET).update(body).digest();
      const given = Buffer.from(String(request.headers['gs1-signature'] ?? ''), 'base64');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        badSignatures++;
        response.writeHead(401).end();
        return;
      }
      posts++;
      for (const event of JSON.parse(body.toString('utf8')).epcisBody.queryResults.resultsBody.eventList) seen.add(event.eventID);
      response.writeHead(200).end();
      waiter?.();
    });
  });
  await new Promise((listening) => server.listen(0, '127.0.0.1', listening));
  return {
    url: `http://127.0.0.1:${server.address().port}/bench`,
    stats: () => ({ events: seen.size, posts, badSignatures }),
    until: (count) =>
      new Promise((done) => {
        waiter = () => seen.size >= count && done();
        waiter();
      }),
    stop: () => new Promise((closed) => server.close(closed)),
  };
}

const call = async (url, method, path, body) => {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 201) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
};

export async function benchWebhookDelivery({ events = 100_000 } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'm2m-webhook-bench-'));
  const receiver = await startReceiver();
  try {
    await fillAuditLog(dataDir, events);
    const gateway = await startGateway(dataDir);
    try {
      await call(gateway.url, 'POST', '/epcis/queries', { name: 'everything', query: {} });
      const started = performance.now();
      await call(gateway.url, 'POST', '/epcis/queries/everything/subscriptions', {
        dest: receiver.url,
        signatureToken: SECRET,
        stream: true,
        initialRecordTime: '2000-01-01T00:00:00Z',
      });
      await receiver.until(events);
      const seconds = (performance.now() - started) / 1000;
      return { ...receiver.stats(), seconds, eventsPerSecond: events / seconds };
    } finally {
      await gateway.stop();
    }
  } finally {
    await receiver.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchWebhookDelivery({ events: Number(process.argv[2] ?? 100_000) });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
