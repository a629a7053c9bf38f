export * from './lib/epcis-mapping';
export * from './lib/epcis-vocabulary';
export * from './lib/event-hash';
export * from './lib/event-query';
