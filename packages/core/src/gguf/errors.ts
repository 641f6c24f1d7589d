/** Why a GGUF file was refused. Stable strings so callers can branch on them. */
export type GGUFErrorCode =
  /** The source is not a path, a file: URL, a Uint8Array or an ArrayBuffer. */
  | 'BAD_SOURCE'
  /** The file could not be opened or read. */
  | 'IO'
  | 'BAD_MAGIC'
  | 'UNSUPPORTED_VERSION'
  /** The file ends in the middle of a field. */
  | 'TRUNCATED'
  /** A count or length (tensors, keys, string bytes, array elements) claims more than the rest of the file can hold. */
  | 'COUNT_TOO_LARGE'
  /** A metadata value type or array element type id that GGUF does not define. */
  | 'BAD_VALUE_TYPE'
  /** Arrays nested deeper than any real file nests them. */
  | 'TOO_DEEP'
  | 'DUPLICATE_KEY'
  /** `general.alignment` is not a power of two that fits in a u32. */
  | 'BAD_ALIGNMENT'
  | 'DUPLICATE_TENSOR'
  /** A dimension count outside 1..4, a dimension below 1, or dimensions whose product passes 2^53. */
  | 'BAD_DIMS'
  | 'UNKNOWN_TENSOR_TYPE'
  | 'UNSUPPORTED_TENSOR_TYPE'
  /** A row length that is not a whole number of quantization blocks. */
  | 'BAD_ROW_SIZE'
  /** Tensor data not on the file's alignment (or not on the 4 bytes Legato's typed views need). */
  | 'MISALIGNED'
  /** Two tensors' data ranges share bytes. */
  | 'OVERLAP'
  /** Tensor data starts or ends past the end of the file. */
  | 'TENSOR_OUT_OF_BOUNDS'
  | 'MISSING_TENSOR'
  | 'MISSING_KEY'
  /** A metadata value of the right type that makes no sense (used by the model config). */
  | 'BAD_VALUE';

/** Most characters of one piece of file-provided text (a key, a tensor name, a value) put in a message. */
const MAX_FIELD_CHARS = 60;
/** Most characters of the file label put in a message (the full label stays in `GGUFError.file`). */
const MAX_LABEL_CHARS = 120;

/**
 * Text from a file or a caller, cut so that an error message never carries more than a few dozen
 * characters of it: a corrupt header can hold a megabyte-long "name", and a message is no place for it.
 */
export function clip(text: string, max = MAX_FIELD_CHARS): string {
  const s = text.length > max ? `${text.slice(0, max - 1)}…(${text.length} chars)` : text;
  return printable(s);
}

/** Control characters from a corrupt name would garble a terminal; each becomes one U+FFFD. */
function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\ufffd');
}

/** A value for a message: its type and, for short scalars, the value itself. */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return `"${clip(v)}"`;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return clip(String(v));
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v === null || v === undefined) return String(v);
  return `a ${typeof v === 'object' ? ((v as object).constructor?.name ?? 'object') : typeof v}`;
}

/** A path or label cut to its last characters (the file name is at the end). */
function clipLabel(label: string): string {
  const s = label.length > MAX_LABEL_CHARS ? `…${label.slice(label.length - MAX_LABEL_CHARS + 1)}` : label;
  return printable(s);
}

/**
 * A GGUF file that cannot be used. The message always names the file, the byte offset where the
 * problem was found (when there is one) and the reason. `file` is the path, or a short label such
 * as `<Uint8Array of 1048576 bytes>` for a source given as bytes; the message carries at most
 * ~200 characters of text from the caller or the file.
 */
export class GGUFError extends Error {
  constructor(
    readonly code: GGUFErrorCode,
    readonly file: string,
    readonly offset: number | undefined,
    readonly reason: string,
  ) {
    super(`${clipLabel(file)}${offset !== undefined ? ` @ offset ${offset}` : ''}: ${reason}`);
    this.name = 'GGUFError';
  }
}
