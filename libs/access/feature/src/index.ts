export * from './lib/access.module';
export * from './lib/api-key.controller';
export * from './lib/api-key.dto';
export * from './lib/api-key.hash';
export * from './lib/api-key.service';
export * from './lib/stored-api-key.verifier';
