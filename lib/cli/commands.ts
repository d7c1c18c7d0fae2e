// commands.ts — the subcommand table of the tensordiff command. Built-in commands (info, bench,
// demo, help) register here from builtins.ts; a model module adds `train <model>` / `sample` the
// same way (registerCommand from a file that builtins.ts imports), without touching main.ts.
import { OptionSpec, ParsedArgs } from './args';

/** What a command gets besides its arguments. */
export interface CommandContext {
  /** Where results go (process.stdout in the real command). */
  stdout: NodeJS.WritableStream;
  /** Where messages and progress bars go (process.stderr). */
  stderr: NodeJS.WritableStream;
  /** --json was given: print machine-readable output only (JSON) on stdout. */
  json: boolean;
  /** Show progress bars (a TTY, not --json; TENSORDIFF_PROGRESS=0/1 overrides). */
  progress: boolean;
}

/** A subcommand: `tensordiff <name> [positionals] [options]`. */
export interface Command {
  /** The word after `tensordiff`. */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Positional arguments as shown in the usage line, e.g. '[suite...]' or '<checkpoint>'. */
  args?: string;
  /** How many positional arguments are allowed (default none). */
  positionals?: { min: number; max: number };
  /** The options (--json and --help are added to every command). */
  options: OptionSpec[];
  /** Extra help text (paragraphs, examples). */
  details?: string;
  /** Runs the command; returns the exit code (default 0). Throw UsageError for bad arguments. */
  run(args: ParsedArgs, ctx: CommandContext): Promise<number | void> | number | void;
}

/** Options every command takes. */
export const COMMON_OPTIONS: readonly OptionSpec[] = [
  { name: 'json', type: 'boolean', description: 'machine-readable output (JSON) on stdout, no progress bars' },
  { name: 'help', type: 'boolean', description: 'show this help' },
];

const table = new Map<string, Command>();

/**
 * Adds a subcommand (or replaces the one of the same name: a model module may take over `demo`).
 * @throws TypeError when the command is malformed
 */
export function registerCommand(cmd: Command): void {
  if (cmd === null || typeof cmd !== 'object') throw new TypeError('registerCommand: expected a command object');
  if (typeof cmd.name !== 'string' || !/^[a-z][a-z0-9-]*$/.test(cmd.name))
    throw new TypeError(`registerCommand: name must be a lower-case word, got ${JSON.stringify(cmd.name)}`);
  if (typeof cmd.run !== 'function') throw new TypeError(`registerCommand: '${cmd.name}' has no run function`);
  if (!Array.isArray(cmd.options)) throw new TypeError(`registerCommand: '${cmd.name}' options must be an array`);
  for (const o of cmd.options)
    if (COMMON_OPTIONS.some((c) => c.name === o.name)) throw new TypeError(`registerCommand: '${cmd.name}' redefines the common option --${o.name}`);
  table.set(cmd.name, cmd);
}

/** The command of that name, or undefined. */
export function getCommand(name: string): Command | undefined {
  return table.get(name);
}

/** Every registered command, in registration order. */
export function listCommands(): Command[] {
  return [...table.values()];
}
