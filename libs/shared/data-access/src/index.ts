export * from './lib/in-process-event-bus';
