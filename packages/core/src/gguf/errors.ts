/** Why a GGUF file was refused. Stable strings so callers can branch on them. */
export type GGUFErrorCode =
  | 'BAD_MAGIC'
  | 'UNSUPPORTED_VERSION'
  | 'TRUNCATED'
  | 'ABSURD_VALUE'
  | 'BAD_VALUE'
  | 'UNKNOWN_TENSOR_TYPE'
  | 'UNSUPPORTED_TENSOR_TYPE'
  | 'BAD_ROW_SIZE'
  | 'TENSOR_OUT_OF_BOUNDS'
  | 'MISSING_TENSOR'
  | 'MISSING_KEY'
  | 'IO';

/**
 * A GGUF file that cannot be used. The message always names the file, the byte offset where the
 * problem was found (when there is one) and the reason.
 */
export class GGUFError extends Error {
  constructor(
    readonly code: GGUFErrorCode,
    readonly file: string,
    readonly offset: number | undefined,
    readonly reason: string,
  ) {
    super(`${file}${offset !== undefined ? ` @ offset ${offset}` : ''}: ${reason}`);
    this.name = 'GGUFError';
  }
}
