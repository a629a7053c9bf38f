import { isM2MError, M2MApiError } from '@m2m-trust/sdk';

import { ExitCode } from './exit-code';

/** The command line is wrong: exit 2, with a pointer to --help. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Configuration or a local file is missing or wrong: exit 3. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The one place an error becomes an exit code. */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof UsageError) return ExitCode.Usage;
  if (error instanceof ConfigError) return ExitCode.Unavailable;
  if (error instanceof M2MApiError) return error.status >= 500 || error.status === 429 ? ExitCode.Unavailable : ExitCode.Refused;
  if (isM2MError(error)) return error.code === 'CHALLENGE_REFUSED' ? ExitCode.Refused : ExitCode.Unavailable;
  return ExitCode.Internal;
}
