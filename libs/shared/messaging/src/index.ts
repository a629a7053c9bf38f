export * from './lib/ensure-topics';
export * from './lib/event-envelope';
export * from './lib/event-topics';
export * from './lib/kafka-event-bus';
export type { MessagingLogger } from './lib/kafka-log-creator';
export * from './lib/messaging.error';
