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
