/** `legato tokenize <model.gguf> <text>`: token ids separated by spaces, like `llama-tokenize --ids`. */
import { parseCommandArgs, requirePositional } from '../usage.js';
import { checkModelPath } from '../open-model.js';

const USAGE = 'legato tokenize <model.gguf> <text> [--no-bos] [--parse-special]';

export async function tokenize(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs('tokenize', {
    args: argv,
    allowPositionals: true,
    options: { 'no-bos': { type: 'boolean', default: false }, 'parse-special': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return void process.stdout.write(`usage: ${USAGE}\n`);
  const path = requirePositional(positionals, 0, 'model path', USAGE);
  const text = requirePositional(positionals, 1, 'text', USAGE);
  checkModelPath(path);
  const [{ Tokenizer }, { readGGUFHeader }] = await Promise.all([import('@legato/core'), import('@legato/core/gguf')]);
  // Only the vocabulary is needed: read the header, never the weights.
  const tok = Tokenizer.fromMetadata(readGGUFHeader(path).metadata);
  const ids = tok.encode(text, { addSpecial: !values['no-bos'], parseSpecial: values['parse-special'] });
  process.stdout.write(`${ids.join(' ')}\n`);
}
