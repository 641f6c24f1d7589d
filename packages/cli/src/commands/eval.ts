/** `legato eval <model.gguf> --ids 1,2,3 [--top k] --json`: teacher-forced next-token logits per position. */
import { clip, InputError, intOption, parseCommandArgs, requirePositional, UsageError } from '../usage.js';
import { openModel } from '../open-model.js';

const USAGE = 'legato eval <model.gguf> --ids 1,2,3 [--top k] [--json]';

/** Indices of the k largest values, descending (ties: lower id first). */
export function topK(logits: Float32Array, k: number): [number, number][] {
  const best: [number, number][] = [];
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i];
    if (best.length === k && v <= best[k - 1][1]) continue;
    let j = best.length < k ? best.length : k - 1;
    if (best.length < k) best.push([i, v]);
    while (j > 0 && best[j - 1][1] < v) {
      best[j] = best[j - 1];
      j--;
    }
    best[j] = [i, v];
  }
  return best;
}

export async function evalCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs('eval', {
    args: argv,
    allowPositionals: true,
    options: { ids: { type: 'string' }, top: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return void process.stdout.write(`usage: ${USAGE}\n`);
  const path = requirePositional(positionals, 0, 'model path', USAGE);
  if (!values.ids) throw new UsageError(`missing --ids; usage: ${USAGE}`);
  const ids = values.ids.split(',').map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n < 0 || s.trim() === '') throw new UsageError(`--ids must be comma-separated non-negative integers, got "${clip(s)}"`);
    return n;
  });
  const k = intOption('--top', values.top, 1) ?? 5;
  const model = await openModel(path, { quiet: true });
  try {
    const vocab = model.config.vocabSize;
    const bad = ids.find((id) => id >= vocab);
    if (bad !== undefined) throw new InputError(`token id ${bad} is outside the vocabulary (0..${vocab - 1})`);
    const ctx = model.createContext({ contextSize: Math.max(2, ids.length) });
    const positions: { pos: number; top: [number, number][] }[] = [];
    await ctx.evaluate(ids, { onLogits: (pos, logits) => positions.push({ pos, top: topK(logits, Math.min(k, vocab)) }) });
    if (values.json) process.stdout.write(`${JSON.stringify({ positions })}\n`);
    else for (const p of positions) process.stdout.write(`${p.pos}: ${p.top.map(([i, v]) => `${i}(${v.toFixed(4)})`).join(' ')}\n`);
  } finally {
    model.dispose();
  }
}
