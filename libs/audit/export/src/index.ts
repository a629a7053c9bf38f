export * from './lib/csv.format';
export * from './lib/export-body';
export * from './lib/export-codec';
export * from './lib/export-format';
export * from './lib/export-manifest';
export * from './lib/jsonld.format';
export * from './lib/verify-fault';
export * from './lib/xml.format';
