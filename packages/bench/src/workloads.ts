/**
 * Seeded request sets for the lab and the serving benchmark.
 *
 * The chat workload is what a chat front end sends: a few users, each working through
 * conversations of several turns, where every turn's prompt is the whole conversation so far
 * plus the new message. Consecutive turns therefore share their prefix (the KV cache reuses it),
 * and when a conversation ends its blocks become garbage the KV cache's GC must reclaim.
 *
 * The random workload is vLLM's `--dataset-name random`: random token ids with prompt and
 * output lengths drawn uniformly around a mean.
 */
import { Rng } from './random.js';

/** Options for {@link chatWorkload}. */
export interface ChatWorkloadOptions {
  /** Users chatting at the same time (one conversation each at any moment). Default 4. */
  users?: number;
  /** Conversations each user has, one after another. Default 2. */
  conversationsPerUser?: number;
  /** Turns (user message + model reply) per conversation. Default 2. */
  turns?: number;
  /** Mean output tokens per reply. Default 100. */
  replyTokens?: number;
  /** Reply lengths are uniform in replyTokens·(1 ± replySpread), so streams drift out of step. Default 0.25. */
  replySpread?: number;
  /** Words per user message, uniform in [min, max]. Default [4, 12]. */
  messageWords?: readonly [number, number];
  seed?: number;
}

/** One turn: what the user types and how many tokens the reply will have. */
export interface ChatTurn {
  message: string;
  replyTokens: number;
}

/** A conversation of one user. */
export interface Conversation {
  id: number;
  /** The user (0-based) whose slot runs it; a user's conversations run one after another. */
  user: number;
  turns: ChatTurn[];
}

/** A chat workload: conversations sharing one system prompt. */
export interface ChatWorkload {
  systemPrompt: string;
  users: number;
  conversations: Conversation[];
}

const SYSTEM_PROMPT = 'You are a helpful assistant. Answer clearly and briefly.';

const WORDS = (
  'the a story about robot garden river city night morning friend teacher train music light window ' +
  'how why what when could would please tell explain write short long simple small big quiet happy ' +
  'build find make keep learn remember bring walk open close start finish again today tomorrow ' +
  'old new red blue green warm cold fast slow little great best first last next other every'
).split(' ');

/** A seeded chat workload; the same options always give the same conversations. */
export function chatWorkload(opts: ChatWorkloadOptions = {}): ChatWorkload {
  const users = positiveInt('users', opts.users ?? 4);
  const perUser = positiveInt('conversationsPerUser', opts.conversationsPerUser ?? 2);
  const turns = positiveInt('turns', opts.turns ?? 2);
  const reply = positiveInt('replyTokens', opts.replyTokens ?? 100);
  const spread = opts.replySpread ?? 0.25;
  if (!(spread >= 0 && spread < 1)) throw new RangeError(`replySpread must be in [0, 1), got ${spread}`);
  const [wMin, wMax] = opts.messageWords ?? [4, 12];
  if (!(wMin >= 1 && wMax >= wMin)) throw new RangeError(`messageWords must be [min ≥ 1, max ≥ min], got [${wMin}, ${wMax}]`);
  const rng = new Rng(opts.seed ?? 1);
  const lo = Math.max(1, Math.round(reply * (1 - spread)));
  const hi = Math.max(lo, Math.round(reply * (1 + spread)));
  const conversations: Conversation[] = [];
  // Conversation k belongs to user k % users, so every user's first conversation comes first.
  for (let k = 0; k < users * perUser; k++) {
    const list: ChatTurn[] = [];
    for (let t = 0; t < turns; t++) {
      const n = rng.int(wMin, wMax);
      const words: string[] = [];
      for (let w = 0; w < n; w++) words.push(rng.pick(WORDS));
      words[0] = words[0][0].toUpperCase() + words[0].slice(1);
      list.push({ message: `${words.join(' ')}?`, replyTokens: rng.int(lo, hi) });
    }
    conversations.push({ id: k, user: k % users, turns: list });
  }
  return { systemPrompt: SYSTEM_PROMPT, users, conversations };
}

/** Options for {@link randomRequests}. */
export interface RandomRequestsOptions {
  count: number;
  /** Mean prompt length in tokens. */
  inputLen: number;
  /** Mean output length in tokens. */
  outputLen: number;
  /** Lengths are uniform in len·(1 ± rangeRatio), as vLLM's `--random-range-ratio`. Default 0. */
  rangeRatio?: number;
  vocabSize: number;
  /** Lowest token id to draw (skip control tokens). Default 3. */
  minTokenId?: number;
  seed?: number;
}

/** One request of a load test: prompt ids and the exact output length to generate. */
export interface LoadRequest {
  promptIds: number[];
  outputTokens: number;
}

/** vLLM-style random requests: random token ids, lengths uniform around the given means. */
export function randomRequests(opts: RandomRequestsOptions): LoadRequest[] {
  const r = opts.rangeRatio ?? 0;
  if (!(r >= 0 && r < 1)) throw new RangeError(`rangeRatio must be in [0, 1), got ${r}`);
  positiveInt('inputLen', opts.inputLen);
  positiveInt('outputLen', opts.outputLen);
  const minId = opts.minTokenId ?? 3;
  if (!(opts.vocabSize > minId)) throw new RangeError(`vocabulary of ${opts.vocabSize} has no ids at or above ${minId}`);
  const rng = new Rng(opts.seed ?? 0);
  const len = (mean: number): number => rng.int(Math.max(1, Math.floor(mean * (1 - r))), Math.max(1, Math.ceil(mean * (1 + r))));
  const out: LoadRequest[] = [];
  for (let i = 0; i < opts.count; i++) {
    const n = len(opts.inputLen);
    const promptIds = new Array<number>(n);
    for (let k = 0; k < n; k++) promptIds[k] = rng.int(minId, opts.vocabSize - 1);
    out.push({ promptIds, outputTokens: len(opts.outputLen) });
  }
  return out;
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return v;
}
