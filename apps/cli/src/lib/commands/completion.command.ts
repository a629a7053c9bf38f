import { type Command } from '../cli.command';
import { UsageError } from '../cli.error';
import { bashCompletion } from '../completion/bash.completion';
import { type CompletionCatalog, completionTree } from '../completion/completion.tree';
import { fishCompletion } from '../completion/fish.completion';
import { zshCompletion } from '../completion/zsh.completion';
import { ExitCode } from '../exit-code';

const SHELLS = ['bash', 'zsh', 'fish'] as const;

/** `m2m completion SHELL`, over the catalog it is given: the parser's own (a function, as the catalog holds this command too). */
export function completionCommand(catalog: () => CompletionCatalog): Command {
  return {
    path: ['completion'],
    summary: 'Print a shell completion script: bash, zsh or fish',
    usage: 'bash|zsh|fish',
    positionals: { name: 'SHELL', max: 1, choices: SHELLS },
    details:
      'Completes commands, options and the values of options that take a fixed set\n' +
      '(--status, --format, --scope, --action) or a file. To install it:\n' +
      '  bash  m2m completion bash > ~/.local/share/bash-completion/completions/m2m\n' +
      "        (or add 'source <(m2m completion bash)' to ~/.bashrc)\n" +
      '  zsh   m2m completion zsh > "${fpath[1]}/_m2m"   (any directory on $fpath), then a new shell\n' +
      "        (or add 'source <(m2m completion zsh)' to ~/.zshrc, after compinit)\n" +
      '  fish  m2m completion fish > ~/.config/fish/completions/m2m.fish\n' +
      'Generate it again after upgrading m2m.',
    options: {},
    async run({ positionals, output }) {
      const [shell] = positionals;
      const { globalOptions, ...definitions } = catalog();
      const nodes = completionTree({ globalOptions, ...definitions });
      switch (shell) {
        case 'bash':
          output.write(bashCompletion(nodes));
          break;
        case 'zsh':
          output.write(zshCompletion(nodes));
          break;
        case 'fish':
          output.write(fishCompletion(nodes, globalOptions));
          break;
        default:
          throw new UsageError(`Name the shell: m2m completion ${SHELLS.join('|')}`);
      }
      return ExitCode.Ok;
    },
  };
}
