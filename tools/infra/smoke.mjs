#!/usr/bin/env node
// Proves the local infrastructure does what distributed mode needs of it (run after `npm run infra:up`):
// Kafka: create a topic, produce with an idempotent producer (acks -1), consume it back in a group;
// PostgreSQL: m2m logs in to m2m, is no superuser, owns the database and may create a role.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';

import { DATABASE_URL, KAFKA_BROKERS } from './infra.mjs';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');
const { Client } = require('pg');

const since = Date.now();
const elapsed = () => `${Date.now() - since} ms`;

async function kafkaRoundTrip() {
  const kafka = new Kafka({ clientId: 'm2m-infra-smoke', brokers: KAFKA_BROKERS.split(','), logLevel: logLevel.WARN });
  const topic = `infra-smoke-${randomUUID()}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const values = ['one', 'two', 'three'];
  const [record] = await producer.send({ topic, acks: -1, messages: values.map((value, i) => ({ key: `k${i}`, value })) });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: `${topic}-group` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const received = [];
  await new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`consumed only ${JSON.stringify(received)} in 30 s`)), 30_000);
    consumer.run({
      eachMessage: async ({ message }) => {
        received.push(message.value.toString());
        if (received.length === values.length) {
          clearTimeout(timer);
          done();
        }
      },
    });
  });
  await consumer.disconnect();
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
  if (JSON.stringify(received) !== JSON.stringify(values)) throw new Error(`consumed ${JSON.stringify(received)}`);
  return `kafka     produced 3 (idempotent, acks -1, base offset ${record.baseOffset}) and consumed them back in order (${elapsed()})`;
}

async function postgresChecks() {
  const client = new Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT r.rolsuper, r.rolcreaterole, pg_get_userbyid(d.datdba) AS owner, version() AS version
         FROM pg_roles r, pg_database d WHERE r.rolname = current_user AND d.datname = current_database()`,
    );
    const [me] = rows;
    if (me.rolsuper || !me.rolcreaterole || me.owner !== 'm2m') throw new Error(`unexpected role/database: ${JSON.stringify(me)}`);
    const role = `infra_smoke_${process.pid}`;
    await client.query(`CREATE ROLE ${role} NOLOGIN`);
    await client.query(`DROP ROLE ${role}`);
    return `postgres  m2m: no superuser, CREATEROLE works, owns m2m; ${me.version.split(',')[0]} (${elapsed()})`;
  } finally {
    await client.end();
  }
}

try {
  process.stdout.write(`${await postgresChecks()}\n`);
  process.stdout.write(`${await kafkaRoundTrip()}\n`);
} catch (error) {
  process.stderr.write(`smoke test failed: ${error.stack}\n`);
  process.exit(1);
}
