import { type Decider, fold } from './lib/decider';
import { isDomainError } from './lib/domain.error';
import type { ErrorCode } from './lib/error-code';

/**
 * Given/When/Then for deciders, with no mocks: given past events, when a
 * command is decided, then exactly these events (or this error code).
 */
export function deciderSpec<Command, Event, State>(decider: Decider<Command, Event, State>) {
  return {
    given: (events: readonly Event[]) => ({
      when: (command: Command) => {
        const run = (): readonly Event[] => decider.decide(command, fold(decider, events));
        return {
          then: (expected: readonly Event[]): void => {
            expect(run()).toEqual(expected);
          },
          thenFails: (code: ErrorCode): void => {
            let failure: unknown;
            try {
              run();
            } catch (error) {
              failure = error;
            }
            expect(isDomainError(failure) ? failure.code : failure).toBe(code);
          },
        };
      },
    }),
  };
}

/**
 * Polls `probe` until it gives a value (anything but undefined, null or
 * false) and resolves with it: for a test that waits for what another
 * process, thread or consumer does, instead of sleeping a guess at how long
 * that takes. The deadline only turns a hang into a message naming what never
 * happened, so it is generous: a machine several times slower than the one
 * the suite is written on, or a busy one, still gets there within it.
 */
export async function eventually<T>(
  what: string,
  probe: () => T | Promise<T>,
  { timeoutMs = 60_000, intervalMs = 20 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<Exclude<T, undefined | null | false>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value as Exclude<T, undefined | null | false>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
