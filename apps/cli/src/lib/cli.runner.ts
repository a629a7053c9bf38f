import { parseArgs } from 'node:util';

import { type Command, clientFactory, type OptionSpec, stringOption } from './cli.command';
import { type CliSettings, parseTimeout, resolveSettings } from './cli.config';
import { exitCodeFor, UsageError } from './cli.error';
import { apiKeysCreateCommand, apiKeysListCommand, apiKeysRevokeCommand } from './commands/api-keys.command';
import { auditExportCommand } from './commands/audit-export.command';
import { auditVerifyCommand } from './commands/audit-verify.command';
import { auditQueryCommand } from './commands/audit.command';
import { authCommand } from './commands/auth.command';
import {
  devicesGetCommand,
  devicesListCommand,
  devicesLockoutCommand,
  devicesRegisterCommand,
  devicesRevokeCommand,
  devicesUnlockCommand,
} from './commands/devices.command';
import { keygenCommand } from './commands/keygen.command';
import { EXIT_CODE_HELP, ExitCode } from './exit-code';
import { CliOutput, type TextSink } from './output/cli.output';
import { type ProgressTerminal } from './output/progress.bar';

/** What the process gives the CLI; main.ts is the only place that reads `process`. */
export interface CliContext {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homeDir: string;
  readonly cwd: string;
  /** stderr when it is a terminal: where progress bars go. Absent, there are none. */
  readonly terminal?: ProgressTerminal;
}

export const COMMANDS: readonly Command[] = [
  keygenCommand,
  devicesRegisterCommand,
  devicesListCommand,
  devicesGetCommand,
  devicesRevokeCommand,
  devicesLockoutCommand,
  devicesUnlockCommand,
  authCommand,
  auditQueryCommand,
  auditExportCommand,
  auditVerifyCommand,
  apiKeysCreateCommand,
  apiKeysListCommand,
  apiKeysRevokeCommand,
];

const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  url: { type: 'string', value: 'URL', description: 'the service, e.g. https://auth.example.com (env M2M_URL)' },
  'api-key': { type: 'string', value: 'KEY', description: 'operator API key (env M2M_API_KEY; prefer it: flags show in ps)' },
  audience: { type: 'string', value: 'AUDIENCE', description: "the service's M2M_AUDIENCE, checked in challenges (env M2M_AUDIENCE)" },
  timeout: { type: 'string', value: 'MS', description: 'per request, in milliseconds (env M2M_TIMEOUT_MS; default 10000)' },
  config: { type: 'string', value: 'FILE', description: 'config file (env M2M_CONFIG; default ~/.config/m2m/config.json)' },
  json: { type: 'boolean', description: 'print results as JSON (errors as JSON on stderr)' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
};

const CONFIG_HELP = `Configuration, first found wins: flags, then the environment (M2M_URL,
M2M_API_KEY, M2M_AUDIENCE, M2M_TIMEOUT_MS), then the config file, a JSON object
with the keys url, apiKey, audience, timeoutMs (keep it mode 0600).`;

/** Runs one command line and answers the exit code. Never throws. */
export async function runCli(argv: readonly string[], context: CliContext): Promise<ExitCode> {
  const output = new CliOutput(context.stdout, context.stderr, argv.includes('--json'), context.terminal);
  try {
    const words = leadingWords(argv);
    const command = COMMANDS.find((c) => c.path.every((word, i) => words[i] === word));
    if (!command) return rootHelp(words, argv, output);
    const { values, positionals } = parse(command, argv);
    if (values['help'] === true) {
      output.write(commandHelp(command));
      return ExitCode.Ok;
    }
    const args = positionals.slice(command.path.length);
    const max = command.positionals?.max ?? 0;
    if (args.length > max) throw new UsageError(`Unexpected argument ${JSON.stringify(args[max])}`);

    let settings: CliSettings | undefined;
    const resolved = (): CliSettings =>
      (settings ??= resolveSettings({
        flags: {
          url: stringOption(values, 'url'),
          apiKey: stringOption(values, 'api-key'),
          audience: stringOption(values, 'audience'),
          timeoutMs: values['timeout'] === undefined ? undefined : parseTimeout(String(values['timeout']), '--timeout', UsageError),
          config: stringOption(values, 'config'),
        },
        env: context.env,
        homeDir: context.homeDir,
        cwd: context.cwd,
        warn: (message) => output.note(message),
      }));
    return await command.run({ values, positionals: args, output, cwd: context.cwd, settings: resolved, ...clientFactory(resolved) });
  } catch (error) {
    output.error(error);
    if (error instanceof UsageError) output.note('Run m2m --help for usage.');
    return exitCodeFor(error);
  }
}

/** The command words: the arguments before the first option. */
function leadingWords(argv: readonly string[]): string[] {
  const end = argv.findIndex((arg) => arg.startsWith('-'));
  return argv.slice(0, end < 0 ? argv.length : end);
}

function parse(command: Command, argv: readonly string[]) {
  const options = Object.fromEntries(
    Object.entries({ ...GLOBAL_OPTIONS, ...command.options }).map(([name, spec]) => [
      name,
      { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) },
    ]),
  );
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    // parseArgs explains unknown options and missing values well; it only needs to become a usage error.
    throw new UsageError((error as Error).message);
  }
}

function rootHelp(words: readonly string[], argv: readonly string[], output: CliOutput): ExitCode {
  const asked = argv.includes('--help') || argv.includes('-h') || words[0] === 'help';
  const group = words[0] === 'help' ? words.slice(1) : words;
  const inGroup = COMMANDS.filter((c) => group.every((word, i) => c.path[i] === word));
  if (group.length > 0 && inGroup.length === 0) {
    throw new UsageError(`Unknown command: m2m ${group.join(' ')}`);
  }
  // `m2m help devices register` names one command exactly: its own help.
  const exact = inGroup.find((c) => c.path.length === group.length);
  const text = exact ? commandHelp(exact) : overview(inGroup);
  if (asked) {
    output.write(text);
    return ExitCode.Ok;
  }
  // `m2m` or `m2m devices` alone: a command is missing.
  output.note(text.trimEnd());
  return ExitCode.Usage;
}

function overview(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.path.join(' ').length));
  const lines = commands.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary}`);
  return `m2m: the m2m-trust operator command line

Usage: m2m <command> [options]

Commands:
${lines.join('\n')}

Global options:
${optionLines(GLOBAL_OPTIONS)}

${CONFIG_HELP}

${EXIT_CODE_HELP}

Run m2m <command> --help for a command's options.
`;
}

function commandHelp(command: Command): string {
  const own = Object.keys(command.options).length > 0 ? `\nOptions:\n${optionLines(command.options)}\n` : '';
  const details = command.details ? `\n${command.details}\n` : '';
  return `Usage: m2m ${command.path.join(' ')} ${command.usage}`.trimEnd() + `\n\n${command.summary}\n${details}${own}
Global options:
${optionLines(GLOBAL_OPTIONS)}

${EXIT_CODE_HELP}
`;
}

function optionLines(options: Readonly<Record<string, OptionSpec>>): string {
  const names = Object.entries(options).map(([name, spec]) => [`${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.value ? ` ${spec.value}` : ''}`, spec.description]);
  const width = Math.max(...names.map(([name]) => (name as string).length));
  return names.map(([name, description]) => `  ${(name as string).padEnd(width)}  ${description}`).join('\n');
}
