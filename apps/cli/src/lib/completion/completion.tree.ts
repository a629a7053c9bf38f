import { type Command, type OptionSpec, type PositionalSpec } from '../cli.command';

/** What the completion scripts are generated from: the parser's own definitions. */
export interface CompletionCatalog {
  readonly commands: readonly Command[];
  /** The options every command takes. */
  readonly globalOptions: Readonly<Record<string, OptionSpec>>;
  /** The options of `m2m` alone (--version). */
  readonly rootOptions: Readonly<Record<string, OptionSpec>>;
}

/** One place in the command tree: `m2m` (path []), a group (`m2m devices`) or a command. */
export interface CompletionNode {
  readonly path: readonly string[];
  /** The words that may follow, with what they do. */
  readonly children: readonly { readonly word: string; readonly summary: string }[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly positionals?: PositionalSpec;
}

/** How an option's or a positional's value completes. */
export type ValueCompletion =
  | { readonly kind: 'choices'; readonly values: readonly string[] }
  | { readonly kind: 'file' }
  /** Free text (an id, a time): nothing to offer. */
  | { readonly kind: 'text' };

export function valueCompletion(spec: { readonly choices?: readonly string[]; readonly file?: boolean }): ValueCompletion {
  if (spec.choices) return { kind: 'choices', values: spec.choices };
  return spec.file ? { kind: 'file' } : { kind: 'text' };
}

/** `--status` and, when it has one, `-s`: the spellings of an option. */
export function optionNames(name: string, spec: OptionSpec): string[] {
  return spec.short ? [`--${name}`, `-${spec.short}`] : [`--${name}`];
}

const samePrefix = (path: readonly string[], prefix: readonly string[]): boolean => prefix.every((word, i) => path[i] === word);

/** Every node of the tree, root first, each group before its commands. */
export function completionTree(catalog: CompletionCatalog): CompletionNode[] {
  const paths: string[][] = [[]];
  for (const command of catalog.commands) {
    for (let depth = 1; depth <= command.path.length; depth++) {
      const prefix = command.path.slice(0, depth);
      if (!paths.some((path) => path.join(' ') === prefix.join(' '))) paths.push(prefix);
    }
  }
  return paths.map((path) => {
    const command = catalog.commands.find((c) => c.path.join(' ') === path.join(' '));
    const below = catalog.commands.filter((c) => c.path.length > path.length && samePrefix(c.path, path));
    const children = [...new Set(below.map((c) => c.path[path.length] as string))].map((word) => {
      const exact = below.find((c) => c.path.length === path.length + 1 && c.path[path.length] === word);
      const subcommands = below.filter((c) => c.path[path.length] === word && c.path.length > path.length + 1).map((c) => c.path[path.length + 1]);
      return { word, summary: exact ? exact.summary : `commands: ${subcommands.join(', ')}` };
    });
    const own = command ? command.options : path.length === 0 ? catalog.rootOptions : {};
    return { path, children, options: { ...own, ...catalog.globalOptions }, ...(command?.positionals ? { positionals: command.positionals } : {}) };
  });
}
