export * from './lib/audit-chain.store';
export * from './lib/audit-log.repository';
export * from './lib/audit-tree-rows';
export * from './lib/audit-vocabulary';
export * from './lib/named-query.repository';
export * from './lib/query-subscription.repository';
