import { M2MClient } from '@m2m-trust/sdk';

import { type CliSettings } from './cli.config';
import { ConfigError, UsageError } from './cli.error';
import { type ExitCode } from './exit-code';
import { type CliOutput } from './output/cli.output';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** Shown in help: `--device ID`. */
  readonly value?: string;
  readonly description: string;
  /** The only values it takes: checked before the command runs, listed when one is wrong, offered by shell completion. */
  readonly choices?: readonly string[];
  /** Its value is a path: shell completion offers files. */
  readonly file?: boolean;
}

/** The positional arguments a command takes after its name. */
export interface PositionalSpec {
  readonly name: string;
  readonly max: number;
  /** As for options: the only values, checked and completed. */
  readonly choices?: readonly string[];
  /** They are paths: shell completion offers files. */
  readonly file?: boolean;
}

export type OptionValues = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;

/** What a command gets: its parsed command line, output, settings, and SDK clients built from them. */
export interface Invocation {
  readonly values: OptionValues;
  readonly positionals: readonly string[];
  readonly output: CliOutput;
  readonly cwd: string;
  settings(): CliSettings;
  /** A client for device calls (challenge, verify): needs the URL only. */
  deviceClient(): M2MClient;
  /** A client for operator calls: needs the URL and the API key. */
  operatorClient(): M2MClient;
}

export interface Command {
  /** The words that name it: `['devices', 'register']`. */
  readonly path: readonly string[];
  readonly summary: string;
  /** After `m2m <path>`: `--device ID (--public-key HEX | --key FILE)`. */
  readonly usage: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Positional arguments it takes after its name (default none). */
  readonly positionals?: PositionalSpec;
  readonly details?: string;
  run(invocation: Invocation): Promise<ExitCode>;
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** `--reason TEXT` of the audited operator commands (revoke, unlock). */
export const REASON_OPTION = { type: 'string', value: 'TEXT', description: 'why; recorded in the audit log' } as const;

/** The request body that carries `--reason`, when one was given. */
export function reasonBody(values: OptionValues): { reason?: string } {
  const reason = stringOption(values, 'reason');
  return reason === undefined ? {} : { reason };
}

export function requiredString(values: OptionValues, name: string): string {
  const value = stringOption(values, name);
  if (value === undefined || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

export function stringList(values: OptionValues, name: string): string[] {
  const value = values[name];
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.filter((item): item is string => typeof item === 'string');
}

export function integerOption(values: OptionValues, name: string, min: number, max: number): number | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}`);
  return Number(text);
}

/** The one id a command acts on: `--device ID` or a single positional. */
export function deviceArgument(invocation: Invocation): string {
  const flag = stringOption(invocation.values, 'device');
  const [positional, ...extra] = invocation.positionals;
  if (extra.length > 0 || (flag !== undefined && positional !== undefined)) throw new UsageError('Name one device, as DEVICE_ID or --device DEVICE_ID');
  const id = flag ?? positional;
  if (!id) throw new UsageError('Name the device: DEVICE_ID or --device DEVICE_ID');
  return id;
}

/** Builds SDK clients from settings, saying which setting is missing and where it can come from. */
export function clientFactory(settings: () => CliSettings): Pick<Invocation, 'deviceClient' | 'operatorClient'> {
  const build = (withKey: boolean): M2MClient => {
    const s = settings();
    const from = s.configFile ? `, or set it in ${s.configFile}` : '';
    if (!s.url) throw new ConfigError(`No service URL: pass --url, set M2M_URL${from}`);
    if (withKey && !s.apiKey) throw new ConfigError(`No API key: set M2M_API_KEY or pass --api-key${from}`);
    try {
      return new M2MClient({
        baseUrl: s.url,
        ...(withKey && s.apiKey ? { apiKey: s.apiKey } : {}),
        ...(s.audience ? { audience: s.audience } : {}),
        ...(s.timeoutMs ? { timeoutMs: s.timeoutMs } : {}),
      });
    } catch (error) {
      throw new ConfigError(`The service URL ${JSON.stringify(s.url)} is not usable: ${(error as Error).message}`);
    }
  };
  return { deviceClient: () => build(false), operatorClient: () => build(true) };
}
