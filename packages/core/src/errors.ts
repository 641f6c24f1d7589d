/**
 * Errors shared by every layer of core. An option that fails validation is reported where it
 * enters the library, naming the option and (a bounded preview of) the value, so a server can turn
 * it into a 400 and a script's author sees which argument was wrong.
 */

/** At most this many characters of a user's value appear in an error message. */
const PREVIEW_CHARS = 80;

/** A short, printable description of any value, for error messages (never the whole of a big input). */
export function previewValue(value: unknown): string {
  let s: string;
  if (typeof value === 'string') s = JSON.stringify(value);
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value == null) s = String(value);
  else if (typeof value === 'function') s = 'a function';
  else if (Array.isArray(value)) s = `an array of ${value.length}`;
  else if (ArrayBuffer.isView(value)) s = `a ${value.constructor.name} of ${value.byteLength} bytes`;
  else if (value instanceof ArrayBuffer) s = `an ArrayBuffer of ${value.byteLength} bytes`;
  else s = `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
  return s.length > PREVIEW_CHARS ? `${s.slice(0, PREVIEW_CHARS)}…` : s;
}

/** An option (of a request, a context, an engine or a load) with a value it cannot take. */
export class InvalidOptionError extends RangeError {
  /** The option's name as the caller spelled it, e.g. `maxTokens`. */
  readonly option: string;

  /**
   * @param option the option's name
   * @param expected what it must be ("a non-negative integer")
   * @param value the value given (only a short preview reaches the message)
   */
  constructor(option: string, expected: string, value: unknown) {
    super(`${option} must be ${expected}, got ${previewValue(value)}`);
    this.name = 'InvalidOptionError';
    this.option = option;
  }
}
