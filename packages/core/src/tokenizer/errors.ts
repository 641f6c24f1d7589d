/** Thrown when a vocabulary cannot be built from GGUF metadata or a text cannot be tokenized. */
export class TokenizerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenizerError';
  }
}
