#!/usr/bin/env node
// main.ts — the `tensordiff` command (package.json "bin"): finds the subcommand in the table of
// commands.ts, parses its options, runs it and turns the outcome into an exit code:
// 0 success, 1 failure (message on stderr), 2 bad arguments (usage on stderr), 130 interrupted.
import { parseArgs, UsageError } from './args';
import { CommandContext, COMMON_OPTIONS, getCommand } from './commands';
import { commandHelp, mainHelp, usageLine } from './help';
import { progressEnabled } from './progress';
import { packageInfo } from './version';
import './builtins';

/** Streams the command writes to (process.stdout/stderr by default; tests may pass others). */
export interface MainIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/**
 * Runs `tensordiff <argv...>` and returns the exit code (it does not exit the process).
 * @param argv the arguments after `tensordiff`, e.g. ['demo', '--steps', '50']
 */
export async function main(argv: readonly string[], io: MainIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  if (!Array.isArray(argv)) throw new TypeError('main: argv must be an array of strings');
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${packageInfo().version}\n`);
    return 0;
  }
  if (name === '--help' || name === '-h') {
    io.stdout.write(mainHelp());
    return 0;
  }
  if (name === undefined) {
    io.stderr.write('tensordiff: no command given\n\n' + mainHelp());
    return 2;
  }
  const cmd = getCommand(name);
  if (!cmd) {
    io.stderr.write(`tensordiff: unknown command '${name}'\n\n` + mainHelp());
    return 2;
  }
  try {
    const args = parseArgs(cmd.name, rest, [...cmd.options, ...COMMON_OPTIONS], cmd.positionals);
    if (args.options.help === true) {
      io.stdout.write(commandHelp(cmd));
      return 0;
    }
    const json = args.options.json === true;
    const ctx: CommandContext = { stdout: io.stdout, stderr: io.stderr, json, progress: progressEnabled(json) };
    const code = await cmd.run(args, ctx);
    return typeof code === 'number' ? code : 0;
  } catch (e) {
    if (e instanceof UsageError) {
      const c = e.command !== undefined ? getCommand(e.command) : undefined;
      io.stderr.write(`tensordiff ${cmd.name}: ${e.message}\n${c ? usageLine(c) : usageLine(cmd)}\nRun 'tensordiff help ${cmd.name}' for the options.\n`);
      return 2;
    }
    const msg = e instanceof Error ? e.message : String(e);
    io.stderr.write(`tensordiff ${cmd.name}: ${msg}\n`);
    if (process.env.TENSORDIFF_DEBUG && e instanceof Error && e.stack) io.stderr.write(e.stack + '\n');
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`tensordiff: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
