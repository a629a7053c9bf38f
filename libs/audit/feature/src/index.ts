export * from './lib/audit.module';
export * from './lib/epcis-query.controller';
