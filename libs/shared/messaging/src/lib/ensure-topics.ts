import { type Admin,Kafka } from 'kafkajs';

import { catalogTopics, type TopicOptions } from './event-topics';
import { kafkaLogCreator, type MessagingLogger,stderrLogger } from './kafka-log-creator';
import { KAFKA_CLIENT_RETRY } from './kafka-retry';

export interface EnsureTopicsOptions extends TopicOptions {
  /** Upper bound on consumers per group; fixed at creation (see below). Default 6. */
  readonly partitions?: number;
  /** 1 for the local single broker; 3 in a real cluster. Default 1. */
  readonly replicationFactor?: number;
  readonly clientId?: string;
  readonly logger?: MessagingLogger;
  /** How long to wait for every partition to have a leader. Default 30 s. */
  readonly timeoutMs?: number;
}

/**
 * Creates every EventCatalog topic that does not exist yet and waits until
 * each partition has a leader; safe to run from every service at boot and
 * concurrently. An existing topic is left as it is: adding partitions would
 * move device keys to other partitions and break per-device order, so a
 * differing count is only reported.
 */
export async function ensureTopics(brokers: readonly string[], options: EnsureTopicsOptions = {}): Promise<void> {
  const logger = options.logger ?? stderrLogger;
  const partitions = options.partitions ?? 6;
  const replicationFactor = options.replicationFactor ?? 1;
  const topics = catalogTopics(options);
  const kafka = new Kafka({
    clientId: options.clientId ?? 'm2m-trust-topics',
    brokers: [...brokers],
    retry: KAFKA_CLIENT_RETRY,
    logCreator: kafkaLogCreator(logger),
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    // False when some already existed; the others are created all the same.
    await admin.createTopics({
      // kafkajs' own wait gives up on a topic the broker does not list yet; waitForLeaders below retries it.
      waitForLeaders: false,
      topics: topics.map((topic) => ({
        topic,
        numPartitions: partitions,
        replicationFactor,
        // With acks=all, a write then survives the loss of one replica (when there are replicas to lose).
        configEntries: replicationFactor > 1 ? [{ name: 'min.insync.replicas', value: String(Math.min(2, replicationFactor)) }] : [],
      })),
    });
    const metadata = await waitForLeaders(admin, topics, options.timeoutMs ?? 30_000);
    for (const { name, partitions: existing } of metadata) {
      if (existing.length !== partitions) {
        logger.warn({ component: 'kafka', topic: name, partitions: existing.length, wanted: partitions }, 'Topic exists with another partition count; left unchanged');
      }
    }
  } finally {
    await admin.disconnect();
  }
}

type TopicMetadata = Awaited<ReturnType<Admin['fetchTopicMetadata']>>['topics'];

async function waitForLeaders(admin: Admin, topics: readonly string[], timeoutMs: number): Promise<TopicMetadata> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let problem: unknown;
    try {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [...topics] });
      if (metadata.length === topics.length && metadata.every((topic) => topic.partitions.every(({ leader }) => leader >= 0))) return metadata;
      problem = 'partitions without a leader';
    } catch (error) {
      // Right after creation a broker may not list the topic yet (UNKNOWN_TOPIC_OR_PARTITION).
      problem = error;
    }
    if (Date.now() > deadline) throw new Error(`Event topics have no leaders after ${timeoutMs} ms`, { cause: problem });
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
