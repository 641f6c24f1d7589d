/** The `legato` command as a library: `main(argv)` returns the exit code. */
export { main } from './main.js';
export { UsageError } from './usage.js';
export { computePerplexity, type PerplexityResult } from './commands/perplexity.js';
export { topK } from './commands/eval.js';
