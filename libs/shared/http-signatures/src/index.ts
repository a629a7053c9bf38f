export * from './lib/content-digest';
export * from './lib/request-signature.signer';
export * from './lib/request-signature.types';
export * from './lib/request-signature.verifier';
export * from './lib/signature-base';
