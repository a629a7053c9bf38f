export interface RunningApp {
  readonly name: string;
  readonly app: string;
  /** http://host:port */
  readonly url: string;
  /** host:port */
  readonly grpcUrl: string;
  readonly pid: number;
  output(): string;
  /** Resolves with the exit code, or the signal's name when the process ended by one. */
  readonly exited: Promise<number | string | null>;
  stop(signal?: NodeJS.Signals): Promise<number | string | null>;
}

export interface ServiceBase {
  readonly databaseUrl: string;
  readonly kafkaBrokers: string;
  readonly adminKey: string;
  readonly dataDir: string;
  readonly logLevel?: string;
  readonly schemaPrefix?: string;
  readonly topicPrefix?: string;
  readonly migrationUrl?: string;
}

export const ROOT: string;
export function freePort(): Promise<number>;
export function mainOf(app: string): string;
export function startApp(
  app: string,
  env: Record<string, string | null>,
  options?: { name?: string; echo?: ((text: string) => void) | null; timeoutMs?: number; main?: string },
): Promise<RunningApp>;
export function serviceEnv(kind: 'registry' | 'challenge' | 'audit', base: ServiceBase): Record<string, string>;
export function gatewayDatabaseEnv(base: Pick<ServiceBase, 'databaseUrl' | 'schemaPrefix'>): Record<string, string>;
/** A module of the build (dist/), by its path under dist/. */
export function built(path: string): unknown;
/** The operator's settings in `env` (default process.env) that `processName` reads and the launcher passes on as they are. */
export function operatorEnv(processName: 'gateway' | 'registry-service' | 'challenge-service' | 'audit-service', env?: Record<string, string | undefined>): Record<string, string>;
/** Variables the launcher wires itself and refuses (messages), and unknown M2M_* names (warnings). */
export function checkOperatorEnv(env?: Record<string, string | undefined>): { refused: string[]; unknown: string[] };
export const GENEROUS_RATE_LIMITS: Readonly<Record<string, string>>;
