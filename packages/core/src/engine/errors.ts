/** The prompt (plus what must be generated) does not fit the context. Raised before any work. */
export class ContextOverflowError extends RangeError {
  constructor(readonly promptTokens: number, readonly contextSize: number) {
    super(`prompt of ${promptTokens} tokens does not fit the context of ${contextSize} tokens (at least one position must remain for generation)`);
    this.name = 'ContextOverflowError';
  }
}

/** A context or model used after `dispose()`. */
export class DisposedError extends Error {
  constructor(what: string) {
    super(`${what} has been disposed`);
    this.name = 'DisposedError';
  }
}

/** A context already running a generation was asked to start another. */
export class ContextBusyError extends Error {
  constructor() {
    super('this context is already generating; wait for it to finish or create another context');
    this.name = 'ContextBusyError';
  }
}
