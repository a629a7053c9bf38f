import type { EventBus, EventHandler } from '@m2m-trust/shared-contracts';
import type { DomainEventType, RecordedEvent } from '@m2m-trust/shared-events';

import { type Consumer, type EachBatchPayload, Kafka, type Message, type Offsets, Partitioners, type Producer } from 'kafkajs';

import { decodeEvent, encodeEvent, type EventEnvelope,EventHeader } from './event-envelope';
import { isKnownEventType, topicsFor } from './event-topics';
import { kafkaLogCreator, type MessagingLogger,stderrLogger } from './kafka-log-creator';
import { KAFKA_CLIENT_RETRY } from './kafka-retry';
import { isMessagingError,MessagingError, MessagingErrorCode } from './messaging.error';

export type EventBatchHandler = (events: readonly RecordedEvent[]) => Promise<void>;

export interface KafkaEventBusOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** The consumer group, one per service; needed to subscribe. */
  readonly groupId?: string;
  readonly logger?: MessagingLogger;
  /** Prepended to every catalog topic (see ensureTopics); tests use a fresh one per run. */
  readonly topicPrefix?: string;
  /**
   * Called once when the consumer stops for good: a message this build must
   * refuse (unknown type, newer schema version, malformed) or a client error
   * kafkajs will not restart from. The composition root decides whether to exit.
   */
  readonly onFatal?: (error: Error) => void;
  /** Back-off between redeliveries of a batch whose handler threw. Default 500 ms doubling to 30 s. */
  readonly handlerRetry?: { readonly initialMs?: number; readonly maxMs?: number };
  /**
   * How long the group coordinator waits for a heartbeat before it hands this
   * member's partitions to another. Default 30 s; the broker allows 6 s to 5 min.
   */
  readonly sessionTimeoutMs?: number;
}

interface Subscription {
  readonly types: ReadonlySet<DomainEventType>;
  readonly handler:
    | { readonly kind: 'event'; readonly handle: EventHandler }
    | { readonly kind: 'batch'; readonly handle: EventBatchHandler };
}

/** A subscription's share of one partition batch, and how much of it has been handled. */
interface Delivery {
  readonly subscription: Subscription;
  readonly events: readonly RecordedEvent[];
  handled: number;
}

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

const SESSION_TIMEOUT_MS = 30_000;
/** How long an idle fetch waits at the broker; also bounds how long stop() waits for one. */
const MAX_WAIT_TIME_MS = 1_000;

/**
 * The EventBus over Apache Kafka. Publishing waits for every in-sync replica;
 * consuming is at-least-once in per-device order, committing a batch's offsets
 * only after its handlers resolved, and refusing (never skipping) events this
 * build cannot read. All kafkajs use stays in this lib (see README).
 */
export class KafkaEventBus implements EventBus {
  private readonly kafka: Kafka;
  private readonly logger: MessagingLogger;
  private readonly subscriptions: Subscription[] = [];
  private state: State = 'new';
  private producer: Promise<Producer> | null = null;
  private publishing: Promise<unknown> = Promise.resolve();
  private consumer: Consumer | null = null;
  private halted: Error | null = null;
  private readonly stopSignal: Promise<void>;
  private signalStop: () => void = () => undefined;
  /** kafkajs' default of 3 s, or a third of a shorter session so two heartbeats can be missed. */
  private readonly heartbeatIntervalMs: number;

  constructor(private readonly options: KafkaEventBusOptions) {
    this.logger = options.logger ?? stderrLogger;
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
      retry: KAFKA_CLIENT_RETRY,
      logCreator: kafkaLogCreator(this.logger),
    });
    this.stopSignal = new Promise((resolve) => (this.signalStop = resolve));
    this.heartbeatIntervalMs = Math.min(3_000, Math.floor((options.sessionTimeoutMs ?? SESSION_TIMEOUT_MS) / 3));
  }

  /**
   * Sends the events in one batch, in order, and resolves once the broker
   * acknowledged all of them. Rejects with PUBLISH_FAILED otherwise; the caller
   * (the outbox relay) sends the same batch again, consumers being idempotent.
   */
  publish(events: readonly RecordedEvent[]): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') {
      return Promise.reject(new MessagingError(MessagingErrorCode.InvalidState, 'The bus is stopped'));
    }
    if (events.length === 0) return Promise.resolve();
    let envelopes: EventEnvelope[];
    try {
      envelopes = events.map((event) => encodeEvent(event, this.options));
    } catch (error) {
      return Promise.reject(error);
    }
    // One send at a time: two overlapping batches could otherwise interleave a device's events.
    const sent = this.publishing.then(() => this.send(envelopes));
    this.publishing = sent.catch(() => undefined);
    return sent;
  }

  subscribe(types: readonly DomainEventType[], handler: EventHandler): () => void {
    return this.addSubscription({ types: new Set(types), handler: { kind: 'event', handle: handler } });
  }

  /**
   * Hands each partition batch's events of these types to the handler at once,
   * so a consumer can write them in one transaction. The batch's offsets are
   * committed only after the returned promise resolved.
   */
  subscribeBatch(types: readonly DomainEventType[], handler: EventBatchHandler): () => void {
    return this.addSubscription({ types: new Set(types), handler: { kind: 'batch', handle: handler } });
  }

  /** Connects, and with subscriptions joins the group; resolves once partitions are assigned. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new MessagingError(MessagingErrorCode.InvalidState, `Cannot start a bus that is ${this.state}`);
    this.state = 'starting';
    await this.connectedProducer();
    if (this.subscriptions.length > 0) await this.startConsumer(this.options.groupId ?? '');
    this.state = 'running';
  }

  /**
   * Leaves the group once the handler in flight resolved and its batch is
   * committed (a batch waiting out a back-off stays uncommitted), then waits
   * for publishes in flight.
   */
  async stop(): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    this.state = 'stopping';
    this.signalStop();
    try {
      await this.consumer?.disconnect();
      await this.publishing;
      await (await this.producer?.catch(() => null))?.disconnect();
    } finally {
      this.state = 'stopped';
    }
  }

  private addSubscription(subscription: Subscription): () => void {
    if (this.state !== 'new') {
      throw new MessagingError(MessagingErrorCode.InvalidState, 'Subscribe before start(): Kafka fixes a group member’s topics when it joins');
    }
    if (!this.options.groupId) throw new MessagingError(MessagingErrorCode.InvalidState, 'Subscribing needs a groupId');
    this.subscriptions.push(subscription);
    return () => {
      const index = this.subscriptions.indexOf(subscription);
      if (index >= 0) this.subscriptions.splice(index, 1);
    };
  }

  private async startConsumer(groupId: string): Promise<void> {
    const types = [...new Set(this.subscriptions.flatMap((subscription) => [...subscription.types]))];
    const consumer = this.kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: this.options.sessionTimeoutMs ?? SESSION_TIMEOUT_MS,
      heartbeatInterval: this.heartbeatIntervalMs,
      maxWaitTimeInMs: MAX_WAIT_TIME_MS,
      retry: KAFKA_CLIENT_RETRY,
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) {
        this.logger.warn({ component: 'kafka', groupId, err: payload.error }, 'Consumer crashed; kafkajs restarts it from the committed offsets');
      } else {
        this.halt(payload.error);
      }
    });
    this.consumer = consumer;
    await consumer.connect();
    // A new group starts at the first event, so a new service catches up on the whole history.
    await consumer.subscribe({ topics: topicsFor(types, this.options), fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    if (this.halted !== null) return;
    const { batch } = payload;
    const subscribed = new Set(this.subscriptions.flatMap((subscription) => [...subscription.types]));
    const events: RecordedEvent[] = [];
    let refusal: MessagingError | null = null;
    let lastReadable: string | null = null;
    for (const message of batch.messages) {
      const type = message.headers?.[EventHeader.Type]?.toString();
      // Another service's event type on a shared topic: not ours to read, but its offset is ours to pass.
      if (type === undefined || !isKnownEventType(type) || subscribed.has(type)) {
        try {
          events.push(decodeEvent({ ...message, topic: batch.topic, partition: batch.partition }));
        } catch (error) {
          if (!isMessagingError(error)) throw error;
          refusal = error;
          break;
        }
      }
      lastReadable = message.offset;
    }
    // Past the last message kafkajs may have filtered control records; resolving the batch's end skips them too.
    if (refusal === null && batch.messages.length > 0) lastReadable = batch.lastOffset();

    if (events.length > 0 && !(await this.deliver(events, payload))) return;
    if (lastReadable !== null) await this.commit(payload, lastReadable);
    if (refusal !== null) {
      // Keep the partition where it is: the refused message stays the next one this group reads.
      payload.pause();
      this.halt(refusal);
    }
  }

  /** Hands the events to every subscription, retrying in place until all resolved; false if the bus stopped first. */
  private async deliver(events: readonly RecordedEvent[], payload: EachBatchPayload): Promise<boolean> {
    const deliveries: Delivery[] = this.subscriptions
      .map((subscription) => ({ subscription, events: events.filter((event) => subscription.types.has(event.type)), handled: 0 }))
      .filter((delivery) => delivery.events.length > 0);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.whileHeartbeating(payload, () => this.runDeliveries(deliveries));
        return true;
      } catch (error) {
        const delayMs = this.backoffMs(attempt);
        this.logger.error(
          {
            component: 'kafka',
            topic: payload.batch.topic,
            partition: payload.batch.partition,
            firstOffset: payload.batch.firstOffset(),
            lastOffset: payload.batch.lastOffset(),
            attempt,
            retryInMs: delayMs,
            err: error,
          },
          'Event handler failed; the batch is not committed and is redelivered',
        );
        if (!(await this.backOff(delayMs, payload))) return false;
      }
    }
  }

  private async runDeliveries(deliveries: readonly Delivery[]): Promise<void> {
    for (const delivery of deliveries) {
      const { handler } = delivery.subscription;
      while (delivery.handled < delivery.events.length) {
        if (handler.kind === 'batch') {
          await handler.handle(delivery.events.slice(delivery.handled));
          delivery.handled = delivery.events.length;
        } else {
          // Per-event handlers keep their progress: a retry resumes at the event that failed.
          await handler.handle(delivery.events[delivery.handled]!);
          delivery.handled += 1;
        }
      }
    }
  }

  /**
   * Keeps the group membership alive while a handler runs longer than the
   * session timeout. A rebalance noticed here surfaces at kafkajs' own heartbeat
   * after the batch, once the handled offsets are committed.
   */
  private async whileHeartbeating<T>(payload: EachBatchPayload, work: () => Promise<T>): Promise<T> {
    const timer = setInterval(() => void payload.heartbeat().catch(() => undefined), this.heartbeatIntervalMs);
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  }

  /**
   * Waits before a redelivery, heartbeating so the partition stays ours.
   * False if the bus is stopping; a rebalance (heartbeat error) is rethrown so
   * kafkajs rejoins and whoever owns the partition reads it from the commit.
   */
  private async backOff(delayMs: number, payload: EachBatchPayload): Promise<boolean> {
    const until = Date.now() + delayMs;
    while (Date.now() < until) {
      if (this.state === 'stopping' || this.state === 'stopped' || !payload.isRunning()) return false;
      await this.sleep(Math.min(until - Date.now(), this.heartbeatIntervalMs));
      await payload.heartbeat();
    }
    return this.state !== 'stopping' && this.state !== 'stopped' && payload.isRunning();
  }

  private backoffMs(attempt: number): number {
    const initial = this.options.handlerRetry?.initialMs ?? 500;
    const max = this.options.handlerRetry?.maxMs ?? 30_000;
    return Math.min(max, initial * 2 ** Math.min(attempt - 1, 16));
  }

  private sleep(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))), this.stopSignal]).finally(() => clearTimeout(timer));
  }

  /** Commits past `offset`, then lets the next fetch start there; a failed commit means a redelivery, never a gap. */
  private async commit(payload: EachBatchPayload, offset: string): Promise<void> {
    const { topic, partition } = payload.batch;
    const next = (BigInt(offset) + 1n).toString();
    try {
      // kafkajs' typings declare `Offsets` here, but it takes (and passes on) OffsetsByTopicPartition.
      await payload.commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: next }] }] } as unknown as Offsets);
    } catch (error) {
      this.logger.warn({ component: 'kafka', topic, partition, offset: next, err: error }, 'Offset commit failed; the handled events will be delivered again');
      throw error;
    }
    payload.resolveOffset(offset);
  }

  private halt(error: Error): void {
    if (this.halted !== null) return;
    this.halted = error;
    if (isMessagingError(error)) {
      this.logger.error(
        { component: 'kafka', groupId: this.options.groupId, err: error, code: error.code, ...error.details },
        'Consumer stopped: it will not skip an event it cannot read; deploy a build that reads it',
      );
    } else {
      this.logger.error({ component: 'kafka', groupId: this.options.groupId, err: error }, 'Consumer stopped after an error kafkajs does not restart from');
    }
    // Not awaited: disconnecting waits for the batch in hand, which may be the caller.
    void this.consumer?.disconnect().catch((disconnectError: unknown) =>
      this.logger.error({ component: 'kafka', err: disconnectError }, 'Consumer did not disconnect cleanly after halting'),
    );
    this.options.onFatal?.(error);
  }

  private connectedProducer(): Promise<Producer> {
    if (this.producer === null) {
      const producer = this.kafka.producer({
        idempotent: true,
        // kafkajs does not re-sequence batches after a failure, so idempotence needs one request in flight.
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: KAFKA_CLIENT_RETRY,
      });
      const connecting = producer.connect().then(() => producer);
      this.producer = connecting;
      connecting.catch(() => {
        if (this.producer === connecting) this.producer = null;
      });
    }
    return this.producer;
  }

  private async send(envelopes: readonly EventEnvelope[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const { topic, key, value, headers } of envelopes) {
      const messages = byTopic.get(topic) ?? [];
      messages.push({ key, value, headers: { ...headers } });
      byTopic.set(topic, messages);
    }
    let producer: Producer | null = null;
    try {
      producer = await this.connectedProducer();
      await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    } catch (error) {
      this.logger.error({ component: 'kafka', err: error, events: envelopes.length }, 'Publish failed; the caller sends the batch again');
      if (producer !== null) await this.discardProducer(producer);
      throw new MessagingError(MessagingErrorCode.PublishFailed, `Kafka did not acknowledge ${envelopes.length} event(s)`, {}, { cause: error });
    }
  }

  /**
   * After a failed send the producer's sequence numbers may no longer match the
   * broker's; a new producer (new producer id) starts clean. The retried batch
   * may then be written twice, which consumers absorb by event id.
   */
  private async discardProducer(producer: Producer): Promise<void> {
    this.producer = null;
    await producer.disconnect().catch(() => undefined);
  }
}
