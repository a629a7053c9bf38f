export * from './lib/challenge.commands';
export * from './lib/challenge.decider';
export * from './lib/challenge-nonce';
export * from './lib/client-assertion.decider';
export * from './lib/lockout';
