export { type ContextPrefixes, contextPrefixes } from './lib/context-prefixes';
export { computeEventHashId } from './lib/event-hash';
export { eventHashPreimage } from './lib/pre-hash-string';
