/** The one source of time for handlers; tests substitute their own. */
export interface Clock {
  now(): Date;
}

export const CLOCK = Symbol.for('m2m-trust.Clock');
export const systemClock: Clock = { now: () => new Date() };
