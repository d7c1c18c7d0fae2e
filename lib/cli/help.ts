// help.ts — the help texts of the tensordiff command: the command list and each command's usage
// and options, generated from the command table.
import { OptionSpec } from './args';
import { Command, COMMON_OPTIONS, listCommands } from './commands';

/** `usage: tensordiff <name> [args] [options]`. */
export function usageLine(cmd: Command): string {
  return `usage: tensordiff ${cmd.name}${cmd.args ? ` ${cmd.args}` : ''} [options]`;
}

function optionLines(specs: readonly OptionSpec[]): string[] {
  const left = specs.map((s) => `  --${s.name}${s.type === 'boolean' ? '' : ` ${s.valueName ?? s.name.toUpperCase()}`}`);
  const w = Math.max(...left.map((l) => l.length)) + 2;
  return specs.map((s, i) => {
    const dflt = s.default !== undefined && s.type !== 'boolean' ? ` (default ${s.default})` : '';
    const choices = s.choices ? `: ${s.choices.join(', ')}` : '';
    return `${left[i].padEnd(w)}${s.description}${choices}${dflt}`;
  });
}

/** The full help of one command: usage, summary, options, details. */
export function commandHelp(cmd: Command): string {
  const lines = [usageLine(cmd), '', cmd.summary, '', 'options:', ...optionLines([...cmd.options, ...COMMON_OPTIONS])];
  if (cmd.details) lines.push('', cmd.details);
  return lines.join('\n') + '\n';
}

/** The top-level help: usage, the commands, exit codes. */
export function mainHelp(): string {
  const cmds = listCommands();
  const w = Math.max(...cmds.map((c) => c.name.length)) + 4;
  return [
    'usage: tensordiff <command> [options]',
    '',
    'commands:',
    ...cmds.map((c) => `  ${c.name.padEnd(w)}${c.summary}`),
    '',
    'Every command takes --json (machine-readable output) and --help.',
    "Run 'tensordiff help <command>' for a command's options; 'tensordiff --version' for the version.",
    'Exit codes: 0 success, 1 failure, 2 bad arguments, 130 interrupted (Ctrl-C).',
    '',
  ].join('\n');
}
