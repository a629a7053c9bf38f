import { type DomainEventType, partitionKeyOf, type RecordedEvent } from '@m2m-trust/shared-events';

import { randomUUID } from 'node:crypto';
import { type Admin,Kafka, Partitioners } from 'kafkajs';

import { ensureTopics } from './ensure-topics';
import { encodeEvent, EventHeader } from './event-envelope';
import { catalogTopics, topicFor } from './event-topics';
import { KafkaEventBus, type KafkaEventBusOptions } from './kafka-event-bus';
import { kafkaLogCreator, type MessagingLogger } from './kafka-log-creator';
import { MessagingError, MessagingErrorCode } from './messaging.error';
import { challengeIssued, deviceAuthenticated, deviceRegistered, deviceRevoked, eventIdFor } from './testing/recorded-event.builder';

const brokers = (process.env['M2M_TEST_KAFKA_BROKERS'] ?? '127.0.0.1:19092').split(',');
const ALL_TYPES: DomainEventType[] = ['DeviceRegistered', 'DeviceRevoked', 'ChallengeIssued', 'DeviceAuthenticated', 'DeviceAuthenticationFailed'];
const PUBLIC_KEY = 'ab'.repeat(32);

/** Every log line any bus of this suite wrote, to check no payload ever reached one. */
const logLines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
const testLogger: MessagingLogger = {
  info: (fields, message) => void logLines.push({ level: 'info', fields, message }),
  warn: (fields, message) => void logLines.push({ level: 'warn', fields, message }),
  error: (fields, message) => void logLines.push({ level: 'error', fields, message }),
};

/**
 * A deterministic event history over several devices, interleaved the way an
 * event store's total order interleaves them: each device gets a registration,
 * then challenges that are issued and answered.
 */
class History {
  private position = 0;
  private readonly perDevice = new Map<string, number>();

  constructor(readonly devices: readonly string[]) {}

  next(count: number): RecordedEvent[] {
    const events: RecordedEvent[] = [];
    while (events.length < count) {
      const device = this.devices[this.position % this.devices.length]!;
      const k = this.perDevice.get(device) ?? 0;
      this.perDevice.set(device, k + 1);
      this.position += 1;
      const challenge = `${device}-c${Math.ceil(k / 2)}`;
      events.push(
        k === 0
          ? deviceRegistered(device, this.position)
          : k % 2 === 1
            ? challengeIssued(device, challenge, this.position)
            : deviceAuthenticated(device, challenge, this.position),
      );
    }
    return events;
  }
}

/** Generous: the deadline only names what never came, within the integration tier's timeout (tools/jest/tier.setup.cjs). */
async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const positions = (events: readonly RecordedEvent[]): number[] => events.map((event) => event.position);
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const byDevice = (event: RecordedEvent): string => `${topicFor(event.type)}|${partitionKeyOf(event)}`;

/**
 * At-least-once in per-device order: for every device (on its topic), the
 * first delivery of each event follows the published order with nothing
 * missing; a redelivery only ever repeats an event already delivered.
 * Returns how many redeliveries there were.
 */
function expectDeliveredInDeviceOrder(received: readonly RecordedEvent[], published: readonly RecordedEvent[]): number {
  const group = (events: readonly RecordedEvent[]): Map<string, number[]> => {
    const groups = new Map<string, number[]>();
    for (const event of events) groups.set(byDevice(event), [...(groups.get(byDevice(event)) ?? []), event.position]);
    return groups;
  };
  const firstDeliveries = new Map([...group(received)].map(([device, seen]) => [device, [...new Set(seen)]]));
  expect(firstDeliveries).toEqual(group(published));
  return received.length - new Set(received.map((event) => event.eventId)).size;
}

describe('KafkaEventBus (real Kafka)', () => {
  let admin: Admin;
  let topicPrefix: string;
  let buses: KafkaEventBus[];
  const prefixes: string[] = [];

  const newBus = (options: Partial<KafkaEventBusOptions> = {}): KafkaEventBus => {
    const bus = new KafkaEventBus({
      brokers,
      clientId: 'messaging-int-spec',
      logger: testLogger,
      topicPrefix,
      handlerRetry: { initialMs: 200, maxMs: 1_000 },
      ...options,
    });
    buses.push(bus);
    return bus;
  };

  /** Sum over all partitions of all catalog topics: what the group committed, and what there is to read. */
  const committed = async (groupId: string): Promise<number> => {
    const offsets = await admin.fetchOffsets({ groupId, topics: catalogTopics({ topicPrefix }) });
    return offsets.flatMap(({ partitions }) => partitions).reduce((sum, { offset }) => sum + Math.max(0, Number(offset)), 0);
  };
  const written = async (): Promise<number> => {
    let sum = 0;
    for (const topic of catalogTopics({ topicPrefix })) {
      for (const { high } of await admin.fetchTopicOffsets(topic)) sum += Number(high);
    }
    return sum;
  };

  beforeAll(async () => {
    admin = new Kafka({ clientId: 'messaging-int-spec-admin', brokers, logCreator: kafkaLogCreator(testLogger) }).admin();
    await admin.connect();
  });

  beforeEach(async () => {
    // Fresh topics per test: a new group reads from the beginning, and must see only this test's events.
    topicPrefix = `it-${randomUUID().slice(0, 8)}.`;
    prefixes.push(topicPrefix);
    await ensureTopics(brokers, { topicPrefix, partitions: 3, logger: testLogger });
    buses = [];
  });

  afterEach(async () => {
    await Promise.all(buses.map((bus) => bus.stop()));
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: prefixes.flatMap((prefix) => catalogTopics({ topicPrefix: prefix })) }).catch(() => undefined);
    await admin.disconnect();
    // No payload (the public key stands for key material) in any log line, Kafka's own included.
    expect(logLines.length).toBeGreaterThan(0);
    expect(JSON.stringify(logLines)).not.toContain(PUBLIC_KEY);
  });

  it(
    'creates the catalog topics idempotently with the partitions asked for',
    async () => {
      await ensureTopics(brokers, { topicPrefix, partitions: 3, logger: testLogger });
      const { topics } = await admin.fetchTopicMetadata({ topics: catalogTopics({ topicPrefix }) });
      expect(topics.map(({ name, partitions }) => [name, partitions.length]).sort()).toEqual(
        catalogTopics({ topicPrefix }).map((topic) => [topic, 3]).sort(),
      );
    },
  );

  it(
    "delivers 200 events over ten devices with each device's events in stream order, none lost, and commits them all",
    async () => {
      const history = new History(range(1, 10).map((n) => `order-${n}`));
      const publisher = newBus();
      await publisher.start();
      const published: RecordedEvent[] = [];
      const publish = async (events: RecordedEvent[]): Promise<void> => {
        published.push(...events);
        await publisher.publish(events);
      };
      // Half before the group exists (it must start from the beginning), half while it consumes.
      for (let i = 0; i < 4; i++) await publish(history.next(25));

      const groupId = `g-${randomUUID()}`;
      const received: RecordedEvent[] = [];
      const consumer = newBus({ groupId });
      consumer.subscribe(ALL_TYPES, (event) => void received.push(event));
      await consumer.start();
      for (let i = 0; i < 4; i++) await publish(history.next(25));

      await waitFor('all offsets committed', async () => (await committed(groupId)) === 200);
      expect(published).toHaveLength(200);
      expect(new Set(positions(received))).toEqual(new Set(range(1, 200)));
      const redelivered = expectDeliveredInDeviceOrder(received, published);
      if (redelivered > 0) console.warn(`${redelivered} event(s) were delivered twice (at-least-once)`);
      expect(received.find((event) => event.position === 1)).toEqual(deviceRegistered('order-1', 1));
      // The order check means something only if the events were spread over partitions.
      const used = await Promise.all(catalogTopics({ topicPrefix }).map((topic) => admin.fetchTopicOffsets(topic)));
      expect(used.flat().filter(({ high }) => Number(high) > 0).length).toBeGreaterThan(2);
    },
  );

  it(
    'redelivers the same batch to a batch handler that threw, commits nothing before it succeeds, and loses or skips nothing',
    async () => {
      const history = new History(range(1, 6).map((n) => `retry-${n}`));
      const publisher = newBus();
      await publisher.start();
      const published = history.next(60);
      await publisher.publish(published);

      const groupId = `g-${randomUUID()}`;
      const calls: { events: readonly RecordedEvent[]; failed: boolean; committedBefore: number }[] = [];
      const consumer = newBus({ groupId });
      consumer.subscribeBatch(ALL_TYPES, async (events) => {
        const failed = calls.length === 0;
        calls.push({ events, failed, committedBefore: await committed(groupId) });
        if (failed) throw new Error('database unavailable');
      });
      await consumer.start();

      await waitFor('all offsets committed', async () => (await committed(groupId)) === 60);
      const [failure, retry] = calls;
      expect(failure!.failed).toBe(true);
      expect(failure!.committedBefore).toBe(0);
      expect(retry!.committedBefore).toBe(0);
      expect(positions(retry!.events)).toEqual(positions(failure!.events));
      const handled = calls.filter((call) => !call.failed).flatMap((call) => call.events);
      expectDeliveredInDeviceOrder(handled, published);
      expect(logLines.some((line) => line.level === 'error' && line.message.includes('redelivered'))).toBe(true);
    },
  );

  it(
    'resumes a per-event handler at the event that threw, without handing it the events before again',
    async () => {
      const publisher = newBus();
      await publisher.start();
      const events = [deviceRegistered('resume-1', 1), ...range(2, 10).map((n) => deviceRevoked('resume-1', n, n))];
      await publisher.publish(events);

      const groupId = `g-${randomUUID()}`;
      const seen: number[] = [];
      let failures = 0;
      const consumer = newBus({ groupId });
      consumer.subscribe(['DeviceRegistered', 'DeviceRevoked'], (event) => {
        if (event.position === 5 && failures < 2) {
          failures += 1;
          throw new Error('transient');
        }
        seen.push(event.position);
      });
      await consumer.start();

      await waitFor('all offsets committed', async () => (await committed(groupId)) === 10);
      expect(failures).toBe(2);
      expect(seen).toEqual(range(1, 10));
    },
  );

  it(
    'keeps its partitions through a handler and a back-off each longer than the session timeout',
    async () => {
      const publisher = newBus();
      await publisher.start();
      // One device, so one partition and one batch.
      await publisher.publish([deviceRegistered('slow-1', 1), ...range(2, 5).map((n) => deviceRevoked('slow-1', n, n))]);

      const groupId = `g-${randomUUID()}`;
      const calls: number[][] = [];
      // The broker's smallest session: a member that stops heartbeating for 6 s loses its partitions.
      const consumer = newBus({ groupId, sessionTimeoutMs: 6_000, handlerRetry: { initialMs: 7_000, maxMs: 7_000 } });
      consumer.subscribeBatch(ALL_TYPES, async (events) => {
        calls.push(positions(events));
        await new Promise((resolve) => setTimeout(resolve, 7_000));
        if (calls.length === 1) throw new Error('slow, then failed');
      });
      await consumer.start();

      await waitFor('all offsets committed', async () => (await committed(groupId)) === 5, 90_000);
      // Had the group dropped this member during either wait, it would have rejoined or failed to commit,
      // and the batch would have come a third time.
      expect(calls).toEqual([range(1, 5), range(1, 5)]);
      expect(logLines.filter((line) => line.message.startsWith('Offset commit failed'))).toEqual([]);
    },
  );

  it(
    'waits in stop() for the handler in flight and commits its batch',
    async () => {
      const publisher = newBus();
      await publisher.start();
      await publisher.publish([deviceRegistered('stop-1', 1), deviceRevoked('stop-1', 2, 2)]);

      const groupId = `g-${randomUUID()}`;
      let started = false;
      let finished = false;
      const consumer = newBus({ groupId });
      consumer.subscribeBatch(ALL_TYPES, async () => {
        started = true;
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        finished = true;
      });
      await consumer.start();
      await waitFor('the handler to start', () => started);

      await consumer.stop();
      expect(finished).toBe(true);
      expect(await committed(groupId)).toBe(2);
    },
  );

  it(
    'skips event types nobody subscribed to but commits past them',
    async () => {
      const publisher = newBus();
      await publisher.start();
      await publisher.publish([deviceRegistered('skip-1', 1), deviceRevoked('skip-1', 2, 2), deviceRegistered('skip-2', 3)]);

      const groupId = `g-${randomUUID()}`;
      const seen: number[] = [];
      const consumer = newBus({ groupId });
      consumer.subscribe(['DeviceRevoked'], (event) => void seen.push(event.position));
      await consumer.start();

      await waitFor('all offsets committed', async () => (await committed(groupId)) === 3);
      expect(seen).toEqual([2]);
    },
  );

  it(
    'hands a new member of the group exactly what the stopped one left uncommitted, plus what came after',
    async () => {
      const history = new History(range(1, 8).map((n) => `handover-${n}`));
      const publisher = newBus();
      await publisher.start();
      const published = history.next(60);
      await publisher.publish(published);

      const groupId = `g-${randomUUID()}`;
      const handledByFirst: RecordedEvent[] = [];
      let firstFailures = 0;
      const first = newBus({ groupId });
      // Handles the first 60 events, then fails on everything after (its database went away).
      first.subscribeBatch(ALL_TYPES, async (events) => {
        if (events.some((event) => event.position > 60)) {
          firstFailures += 1;
          throw new Error('database went away');
        }
        handledByFirst.push(...events);
      });
      await first.start();
      await waitFor('the first 60 events committed', async () => (await committed(groupId)) === 60);

      const uncommitted = history.next(40);
      await publisher.publish(uncommitted);
      await waitFor('the first member failing on the next batch', () => firstFailures >= 1);
      // Not held up by the handler that keeps failing: a stop that waited for it would never return (the
      // tier's timeout would end the test); the bound only has to tell that from a slow machine leaving the group.
      const stopping = Date.now();
      await first.stop();
      expect(Date.now() - stopping).toBeLessThan(30_000);
      expect(await committed(groupId)).toBe(60);

      const later = history.next(40);
      await publisher.publish(later);
      const handledBySecond: RecordedEvent[] = [];
      const second = newBus({ groupId });
      second.subscribeBatch(ALL_TYPES, async (events) => void handledBySecond.push(...events));
      await second.start();

      await waitFor('the second member catching up', async () => (await committed(groupId)) === 140);
      expectDeliveredInDeviceOrder(handledByFirst, published);
      // Nothing the first member committed comes again; all it left, and all published since, does.
      expectDeliveredInDeviceOrder(handledBySecond, [...uncommitted, ...later]);
      expect(await written()).toBe(140);
    },
  );

  it(
    'stops at an event with a schema version this build does not know, and a new member stops there too',
    async () => {
      const publisher = newBus();
      await publisher.start();
      const before = [deviceRegistered('future-1', 1), ...range(2, 5).map((n) => deviceRevoked('future-1', n, n))];
      await publisher.publish(before);
      // What a newer build of the registry would write: same key, same topic, schema version 2.
      const future = { ...deviceRevoked('future-1', 6, 6), schemaVersion: 2 };
      const raw = new Kafka({ clientId: 'messaging-int-spec-newer-build', brokers, logCreator: kafkaLogCreator(testLogger) }).producer({
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await raw.connect();
      const envelope = encodeEvent(deviceRevoked('future-1', 6, 6), { topicPrefix });
      const [written6] = await raw.send({
        topic: envelope.topic,
        acks: -1,
        messages: [{ key: envelope.key, value: JSON.stringify(future), headers: { ...envelope.headers, [EventHeader.SchemaVersion]: '2' } }],
      });
      await raw.disconnect();
      await publisher.publish([deviceRevoked('future-1', 7, 7)]);

      const readUntilRefused = async (): Promise<{ seen: number[]; error: Error }> => {
        const groupId = `g-future-${topicPrefix}`;
        const seen: number[] = [];
        let fatal: Error | null = null;
        const consumer = newBus({ groupId, onFatal: (error) => (fatal = error) });
        consumer.subscribe(ALL_TYPES, (event) => void seen.push(event.position));
        await consumer.start();
        await waitFor('the consumer to refuse', () => fatal !== null);
        await consumer.stop();
        return { seen, error: fatal! };
      };

      const first = await readUntilRefused();
      expect(first.seen).toEqual([1, 2, 3, 4, 5]);
      expect(first.error).toBeInstanceOf(MessagingError);
      expect((first.error as MessagingError).code).toBe(MessagingErrorCode.UnsupportedSchemaVersion);
      expect((first.error as MessagingError).details).toMatchObject({
        eventId: eventIdFor(6),
        eventType: 'DeviceRevoked',
        schemaVersion: 2,
        knownSchemaVersion: 1,
        partition: written6!.partition,
        offset: written6!.baseOffset,
      });
      // The refused event is the next one the group reads: nothing was committed past it.
      const offsets = await admin.fetchOffsets({ groupId: `g-future-${topicPrefix}`, topics: [envelope.topic] });
      const partitions = offsets.flatMap((topic) => topic.partitions);
      expect(partitions.find(({ partition }) => partition === written6!.partition)?.offset).toBe(written6!.baseOffset);

      const second = await readUntilRefused();
      expect(second.seen).toEqual([]);
      expect((second.error as MessagingError).details.eventId).toBe(eventIdFor(6));
    },
  );
});
