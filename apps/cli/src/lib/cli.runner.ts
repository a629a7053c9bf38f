import { parseArgs } from 'node:util';

import { clientFactory, type Command, type OptionSpec, type OptionValues, stringOption } from './cli.command';
import { type CliSettings, parseTimeout, resolveSettings } from './cli.config';
import { exitCodeFor, UsageError } from './cli.error';
import { cliVersion } from './cli.version';
import { apiKeysCreateCommand, apiKeysListCommand, apiKeysRevokeCommand } from './commands/api-keys.command';
import { auditQueryCommand } from './commands/audit.command';
import { auditExportCommand } from './commands/audit-export.command';
import { auditProofCommand } from './commands/audit-proof.command';
import { auditVerifyCommand } from './commands/audit-verify.command';
import { authCommand } from './commands/auth.command';
import { completionCommand } from './commands/completion.command';
import {
  devicesGetCommand,
  devicesListCommand,
  devicesLockCommand,
  devicesLockoutCommand,
  devicesRegisterCommand,
  devicesRevokeCommand,
  devicesUnlockCommand,
} from './commands/devices.command';
import { keygenCommand } from './commands/keygen.command';
import { closeMatches, didYouMean } from './did-you-mean';
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
  /** The running code's directory: `m2m --version` reads the package.json above it. */
  readonly moduleDir: string;
}

const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  url: { type: 'string', value: 'URL', description: 'the service, e.g. https://auth.example.com (env M2M_URL)' },
  'api-key': { type: 'string', value: 'KEY', description: 'operator API key (env M2M_API_KEY; prefer it: flags show in ps)' },
  audience: { type: 'string', value: 'AUDIENCE', description: "the service's M2M_AUDIENCE, checked in challenges (env M2M_AUDIENCE)" },
  timeout: { type: 'string', value: 'MS', description: 'per request, in milliseconds (env M2M_TIMEOUT_MS; default 10000)' },
  config: { type: 'string', value: 'FILE', file: true, description: 'config file (env M2M_CONFIG; default ~/.config/m2m/config.json)' },
  json: { type: 'boolean', description: 'print results as JSON (errors as JSON on stderr)' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
};

/** The options of `m2m` alone, besides the global ones. */
const ROOT_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  version: { type: 'boolean', short: 'V', description: "print m2m's version" },
};

export const COMMANDS: readonly Command[] = [
  keygenCommand,
  devicesRegisterCommand,
  devicesListCommand,
  devicesGetCommand,
  devicesRevokeCommand,
  devicesLockCommand,
  devicesLockoutCommand,
  devicesUnlockCommand,
  authCommand,
  auditQueryCommand,
  auditExportCommand,
  auditVerifyCommand,
  auditProofCommand,
  apiKeysCreateCommand,
  apiKeysListCommand,
  apiKeysRevokeCommand,
  completionCommand(() => ({ commands: COMMANDS, globalOptions: GLOBAL_OPTIONS, rootOptions: ROOT_OPTIONS })),
];

const CONFIG_HELP = `Configuration, first found wins: flags, then the environment (M2M_URL,
M2M_API_KEY, M2M_AUDIENCE, M2M_TIMEOUT_MS), then the config file, a JSON object
with the keys url, apiKey, audience, timeoutMs (keep it mode 0600).`;

/** Runs one command line and answers the exit code. Never throws. */
export async function runCli(argv: readonly string[], context: CliContext): Promise<ExitCode> {
  const output = new CliOutput(context.stdout, context.stderr, argv.includes('--json'), context.terminal);
  const words = leadingWords(argv);
  const command = COMMANDS.find((c) => c.path.every((word, i) => words[i] === word));
  try {
    if (!command) return root(words, argv, output, context);
    const { values, positionals } = parse(command.path, { ...GLOBAL_OPTIONS, ...command.options }, argv);
    if (values['help'] === true) {
      output.write(commandHelp(command));
      return ExitCode.Ok;
    }
    const args = positionals.slice(command.path.length);
    const max = command.positionals?.max ?? 0;
    if (args.length > max) throw new UsageError(`Unexpected argument ${JSON.stringify(args[max])}`);
    const { choices, name } = command.positionals ?? {};
    if (choices && name) for (const arg of args) checkChoice(name, arg, choices);

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
    if (error instanceof UsageError) output.note(`Run ${['m2m', ...(command?.path ?? [])].join(' ')} --help for usage.`);
    return exitCodeFor(error);
  }
}

/** The command words: the arguments before the first option. */
function leadingWords(argv: readonly string[]): string[] {
  const end = argv.findIndex((arg) => arg.startsWith('-'));
  return argv.slice(0, end < 0 ? argv.length : end);
}

/**
 * The command line against the options of `m2m <path>`. An unknown option is
 * named with the known ones closest to it; a value outside an option's
 * choices, with the choices.
 */
function parse(path: readonly string[], specs: Readonly<Record<string, OptionSpec>>, argv: readonly string[]) {
  const options = Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => [
      name,
      { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) },
    ]),
  );
  const args = [...argv];
  // A first, lenient pass finds what the strict one would only call unknown.
  const { tokens } = parseArgs({ args, options, allowPositionals: true, strict: false, tokens: true });
  const unknown = tokens.find((token) => token.kind === 'option' && !Object.hasOwn(specs, token.name));
  if (unknown?.kind === 'option') {
    const suggestions = closeMatches(unknown.name, Object.keys(specs)).map((name) => `--${name}`);
    throw new UsageError(`Unknown option ${unknown.rawName} for ${['m2m', ...path].join(' ')}.${didYouMean(suggestions)}`);
  }
  // A PEM ("-----BEGIN …") is a value, never an option: spelled --name=PEM it passes the strict check. From the end, so indexes hold.
  for (const token of [...tokens].reverse()) {
    if (token.kind === 'option' && token.rawName.startsWith('--') && !token.inlineValue && token.value?.startsWith('-----BEGIN')) {
      args.splice(token.index, 2, `${token.rawName}=${token.value}`);
    }
  }
  let parsed: { values: OptionValues; positionals: string[] };
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    // parseArgs explains missing values well; it only needs to become a usage error.
    throw new UsageError((error as Error).message);
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.choices) for (const value of given(parsed.values, name)) checkChoice(`--${name}`, value, spec.choices);
  }
  return parsed;
}

function given(values: OptionValues, name: string): string[] {
  const value = values[name];
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).map(String);
}

function checkChoice(what: string, value: string, choices: readonly string[]): void {
  if (!choices.includes(value)) {
    throw new UsageError(`${what} must be one of: ${choices.join(', ')} (not ${JSON.stringify(value)}).${didYouMean(closeMatches(value, choices))}`);
  }
}

/** No command named: `m2m`, `m2m devices`, `m2m help …`, `m2m --version`, or a command that does not exist. */
function root(words: readonly string[], argv: readonly string[], output: CliOutput, context: CliContext): ExitCode {
  const group = words[0] === 'help' ? words.slice(1) : words;
  if (group.length > 0 && !COMMANDS.some((c) => group.every((word, i) => c.path[i] === word))) throw unknownCommand(group);
  const { values } = parse(group, { ...GLOBAL_OPTIONS, ...ROOT_OPTIONS }, argv);
  if (values['version'] === true) {
    const version = cliVersion(context.moduleDir);
    output.result({ version }, () => `${version}\n`);
    return ExitCode.Ok;
  }
  return rootHelp(words, group, values['help'] === true, output);
}

/** `m2m devcies list`: the words that do name commands, then the closest to the one that does not. */
function unknownCommand(group: readonly string[]): UsageError {
  const matches = (words: readonly string[]): Command[] => COMMANDS.filter((c) => c.path.length > words.length && words.every((word, i) => c.path[i] === word));
  let depth = 0;
  while (depth < group.length - 1 && matches(group.slice(0, depth + 1)).length > 0) depth++;
  const known = group.slice(0, depth);
  const typed = group[depth] as string;
  const next = matches(known).map((c) => c.path[depth] as string);
  let suggestions = closeMatches(typed, next).map((word) => [...known, word]);
  // `m2m register`: a command of a group, named without it.
  if (suggestions.length === 0) suggestions = COMMANDS.filter((c) => c.path.length > 1 && closeMatches(typed, [c.path.at(-1) as string]).length > 0).map((c) => [...c.path]);
  return new UsageError(`Unknown command: ${['m2m', ...known, typed].join(' ')}.${didYouMean(suggestions.map((path) => ['m2m', ...path].join(' ')))}`);
}

function rootHelp(words: readonly string[], group: readonly string[], help: boolean, output: CliOutput): ExitCode {
  const asked = help || words[0] === 'help';
  const inGroup = COMMANDS.filter((c) => group.every((word, i) => c.path[i] === word));
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

Options of m2m itself:
${optionLines(ROOT_OPTIONS)}

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
