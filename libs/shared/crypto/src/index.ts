export * from './lib/ed25519.rules';
export * from './lib/ed25519.verifier';
export * from './lib/encoding';
