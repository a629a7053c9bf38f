export * from './lib/audit-chain';
export * from './lib/audit-checkpoint';
export * from './lib/epcis-mapping';
export * from './lib/epcis-vocabulary';
export * from './lib/event-filter';
export * from './lib/event-query';
export * from './lib/named-query';
export * from './lib/subscription-controls';
