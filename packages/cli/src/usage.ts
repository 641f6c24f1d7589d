/** A mistake in how the command was called: printed as one line, never as a stack trace. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function intOption(name: string, v: string | undefined, min = 0): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got "${v}"`);
  return n;
}

export function floatOption(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${v}"`);
  return n;
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
