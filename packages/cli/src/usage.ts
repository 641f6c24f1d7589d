/**
 * How subcommands read their arguments and report mistakes. This module imports nothing heavy:
 * `legato --help` and every command's `--help` load only it and node:util.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * A mistake in how the command was called (an unknown option, a missing argument, a flag value
 * out of range): printed as one line, never as a stack trace, and the process exits with 2.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * The command was called correctly but its input cannot be used (a missing or unreadable file,
 * a text too short for the context): one line, exit code 1.
 */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** User data shown in a message: at most 60 characters of it. */
export function clip(v: string): string {
  return v.length > 60 ? `${v.slice(0, 57)}...` : v;
}

/**
 * node:util's parseArgs with messages a user can act on. A string option's value may be a
 * negative number (`-n -5`, `--temp -1`): it is taken as the value, not as another flag, so the
 * range check can name the problem. Unknown options and other parse failures become a
 * UsageError naming the option and the command's --help.
 */
export function parseCommandArgs<T extends ParseArgsConfig>(command: string, config: T): ReturnType<typeof parseArgs<T>> {
  const args = config.args ? attachNegativeValues(config.args, config.options ?? {}) : undefined;
  try {
    return parseArgs({ ...config, args }) as ReturnType<typeof parseArgs<T>>;
  } catch (e) {
    throw parseFailure(command, e);
  }
}

const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/** `-n -5` → `--n-predict=-5` for string options, which parseArgs accepts unambiguously. */
function attachNegativeValues(argv: readonly string[], options: NonNullable<ParseArgsConfig['options']>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const name = optionName(a, options);
    const next = argv[i + 1];
    if (name !== undefined && options[name]!.type === 'string' && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

/** The long name of `arg` when it is exactly a known flag (`-n` or `--n-predict`), else undefined. */
function optionName(arg: string, options: NonNullable<ParseArgsConfig['options']>): string | undefined {
  if (arg.startsWith('--')) return Object.hasOwn(options, arg.slice(2)) ? arg.slice(2) : undefined;
  if (arg.length === 2 && arg[0] === '-') return Object.keys(options).find((k) => options[k]!.short === arg[1]);
  return undefined;
}

function parseFailure(command: string, e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS')) return e;
  const message = (e as Error).message;
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
  const help = `(see legato ${command} --help)`;
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new UsageError(`unknown option ${clip(quoted)} ${help}`);
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new UsageError(`unexpected argument "${clip(quoted)}" ${help}`);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      // Node names the option as "-n, --n-predict <value>" or "--json"; keep the flag itself.
      const flag = /--?[\w-]+/.exec(quoted)?.[0] ?? quoted;
      if (/argument missing|ambiguous/.test(message)) return new UsageError(`${flag} needs a value ${help}`);
      if (/does not take an argument/.test(message)) return new UsageError(`${flag} takes no value ${help}`);
      return new UsageError(`invalid value for ${flag} ${help}`);
    }
    default:
      return new UsageError(`${message.split('\n')[0]} ${help}`);
  }
}

/**
 * An integer flag: undefined when absent, else an integer >= `min`. `flag` is the flag as the
 * usage line spells it (`-n`, `--ctx`), so the message names what the user typed.
 */
export function intOption(flag: string, v: string | undefined, min = 0): number | undefined {
  if (v === undefined) return undefined;
  flag = flagLabel(flag);
  const n = v.trim() === '' ? NaN : Number(v);
  if (!Number.isInteger(n) || n < min) {
    const what = min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : `an integer >= ${min}`;
    throw new UsageError(`${flag} must be ${what}, got ${clip(v)}`);
  }
  return n;
}

/** A number flag: undefined when absent, else a finite number within [min, max] when given. */
export function floatOption(flag: string, v: string | undefined, range: { min?: number; max?: number } = {}): number | undefined {
  if (v === undefined) return undefined;
  flag = flagLabel(flag);
  const n = v.trim() === '' ? NaN : Number(v);
  const { min, max } = range;
  if (!Number.isFinite(n) || (min !== undefined && n < min) || (max !== undefined && n > max)) {
    const bounds = min !== undefined && max !== undefined ? ` in [${min}, ${max}]` : min !== undefined ? ` >= ${min}` : max !== undefined ? ` <= ${max}` : '';
    throw new UsageError(`${flag} must be a number${bounds}, got ${clip(v)}`);
  }
  return n;
}

/** `-n` and `--ctx` stay as given; a bare option name (`ctx`) is shown as `--ctx`. */
function flagLabel(flag: string): string {
  return flag.startsWith('-') ? flag : `--${flag}`;
}

export function requirePositional(args: string[], i: number, what: string, usage: string): string {
  const v = args[i];
  if (v === undefined) throw new UsageError(`missing ${what}; usage: ${usage}`);
  return v;
}

/** Writes a line to stderr (progress and summaries go there so stdout stays machine-readable). */
export function info(line: string): void {
  process.stderr.write(`${line}\n`);
}
