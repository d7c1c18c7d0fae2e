// args.ts — the command line parser of the tensordiff command: `--name value`, `--name=value`,
// boolean `--flag`, `--` to end options, typed and range-checked values. Every mistake throws a
// UsageError, which main.ts turns into a usage message on stderr and exit code 2.

/** A bad command line: main.ts prints the message and the command's usage, then exits with code 2. */
export class UsageError extends Error {
  /** The command whose usage to print (undefined: the top-level usage). */
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}

/** One option of a command. */
export interface OptionSpec {
  /** Long name without the dashes, e.g. 'steps' for --steps. */
  name: string;
  /** 'boolean' options take no value; 'int' and 'number' are checked against min/max. */
  type: 'string' | 'int' | 'number' | 'boolean';
  /** One line for the help text. */
  description: string;
  /** Value when the option is absent (booleans default to false). */
  default?: string | number | boolean;
  /** Placeholder shown in the help text (default: the name in capitals). */
  valueName?: string;
  /** Smallest allowed value of an 'int' or 'number' option. */
  min?: number;
  /** Largest allowed value of an 'int' or 'number' option. */
  max?: number;
  /** The allowed values of a 'string' option. */
  choices?: readonly string[];
}

/** Option values by name, and the positional arguments in order. */
export interface ParsedArgs {
  options: Record<string, string | number | boolean | undefined>;
  positionals: string[];
}

function convert(cmd: string, spec: OptionSpec, raw: string): string | number {
  const flag = `--${spec.name}`;
  if (spec.type === 'string') {
    if (spec.choices && !spec.choices.includes(raw))
      throw new UsageError(`${flag} must be one of ${spec.choices.join(', ')}, got '${raw}'`, cmd);
    return raw;
  }
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v)) throw new UsageError(`${flag} expects a number, got '${raw}'`, cmd);
  if (spec.type === 'int' && !Number.isSafeInteger(v)) throw new UsageError(`${flag} expects an integer, got '${raw}'`, cmd);
  if (spec.min !== undefined && v < spec.min) throw new UsageError(`${flag} must be at least ${spec.min}, got ${raw}`, cmd);
  if (spec.max !== undefined && v > spec.max) throw new UsageError(`${flag} must be at most ${spec.max}, got ${raw}`, cmd);
  return v;
}

/**
 * Parses the arguments after the command name.
 * @param cmd the command name (for messages)
 * @param argv the arguments, e.g. ['--steps', '50', '--json']
 * @param specs the command's options
 * @param positionals how many positional arguments are allowed
 * @throws UsageError for an unknown option, a missing or malformed value, or a wrong positional count
 */
export function parseArgs(cmd: string, argv: readonly string[], specs: readonly OptionSpec[], positionals: { min: number; max: number } = { min: 0, max: 0 }): ParsedArgs {
  if (!Array.isArray(argv) || argv.some((a) => typeof a !== 'string')) throw new TypeError(`parseArgs: argv must be an array of strings`);
  const byName = new Map(specs.map((s) => [s.name, s]));
  const options: ParsedArgs['options'] = {};
  for (const s of specs) options[s.name] = s.default ?? (s.type === 'boolean' ? false : undefined);
  const pos: string[] = [];
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (onlyPositionals || !a.startsWith('-') || a === '-') {
      pos.push(a);
      continue;
    }
    if (a === '--') {
      onlyPositionals = true;
      continue;
    }
    if (!a.startsWith('--')) throw new UsageError(`unknown option '${a}' (options are long: --name)`, cmd);
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const spec = byName.get(name);
    if (!spec) throw new UsageError(`unknown option '--${name}'`, cmd);
    if (spec.type === 'boolean') {
      if (eq >= 0) {
        const raw = a.slice(eq + 1);
        if (raw !== 'true' && raw !== 'false') throw new UsageError(`--${name} takes no value (or =true/=false), got '${raw}'`, cmd);
        options[name] = raw === 'true';
      } else options[name] = true;
      continue;
    }
    let raw: string;
    if (eq >= 0) raw = a.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`, cmd);
      raw = argv[++i];
    }
    options[name] = convert(cmd, spec, raw);
  }
  if (pos.length < positionals.min)
    throw new UsageError(`expected at least ${positionals.min} argument${positionals.min === 1 ? '' : 's'}, got ${pos.length}`, cmd);
  if (pos.length > positionals.max)
    throw new UsageError(positionals.max === 0 ? `unexpected argument '${pos[0]}'` : `too many arguments: '${pos.slice(positionals.max).join(' ')}'`, cmd);
  return { options, positionals: pos };
}
