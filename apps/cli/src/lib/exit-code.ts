/**
 * What `m2m` exits with, so scripts can tell "the service said no" from
 * "I called it wrong" from "I could not reach it". Listed in `m2m --help`.
 */
export const ExitCode = {
  /** Done. */
  Ok: 0,
  /** The service refused (any 4xx but 429), the device was not verified, the device refused to sign the challenge, or an export did not verify. */
  Refused: 1,
  /** Wrong command line: unknown command or option, missing or malformed value. */
  Usage: 2,
  /** Configuration, local files, network, timeout, or the service unavailable or failing (429, 5xx). */
  Unavailable: 3,
  /** Anything else: a bug in m2m. */
  Internal: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODE_HELP = `Exit codes:
  0  done
  1  refused: the service answered 4xx (not 429), the device was not verified,
     the device refused to sign the challenge, or an export did not verify
  2  usage: unknown command or option, missing or malformed value
  3  unavailable: configuration or local file problem, network error, timeout,
     or the service answered 429 or 5xx
  4  internal error in m2m`;
