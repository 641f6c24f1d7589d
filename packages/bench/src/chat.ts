/**
 * Plays a chat workload against the serving engine: each user sends a turn, waits for the
 * whole reply, then sends the next turn with the conversation so far as its prompt. Users run
 * concurrently, so the engine batches their streams.
 */
import type { InferenceEngine, Tokenizer } from '@legato/core';
import type { ChatWorkload } from './workloads.js';

/** What one turn did. */
export interface ChatTurnResult {
  conversation: number;
  user: number;
  turn: number;
  /** The engine's request id (the id metrics are keyed by). */
  requestId: number;
  promptTokens: number;
  /** Prompt tokens served from the prefix cache. */
  cachedPromptTokens: number;
  outputTokens: number;
  preemptions: number;
}

/** Options for {@link playChat}. */
export interface PlayChatOptions {
  /** Sampling temperature. Default 1 (seeded per turn, so runs are repeatable). */
  temperature?: number;
  seed?: number;
  /** Called after every finished turn. */
  onTurn?: (r: ChatTurnResult) => void;
  /**
   * Users join one after another: each sends its first message once the previous user has seen
   * its first token, rather than all in the same millisecond. Default true.
   */
  staggerStart?: boolean;
}

const userPrefix = (message: string): string => `\nUser: ${message}\nAssistant:`;

/** Prompt ids of a conversation's first turn: BOS, system prompt, first message. */
export function firstTurnPrompt(tok: Tokenizer, w: ChatWorkload, message: string): number[] {
  return tok.encode(`${w.systemPrompt}${userPrefix(message)}`, { addSpecial: true });
}

/** Ids appended to the history for a later turn's message. */
export function nextTurnIds(tok: Tokenizer, message: string): number[] {
  return tok.encode(userPrefix(message), { addSpecial: false });
}

/** The longest sequence (prompt + reply) any turn of the workload reaches, in tokens. */
export function longestSequence(tok: Tokenizer, w: ChatWorkload): number {
  let longest = 0;
  for (const c of w.conversations) {
    let history = 0;
    c.turns.forEach((t, i) => {
      history += (i === 0 ? firstTurnPrompt(tok, w, t.message) : nextTurnIds(tok, t.message)).length + t.replyTokens;
      longest = Math.max(longest, history);
    });
  }
  return longest;
}

/** Runs every conversation to its end; resolves with one result per turn, in completion order. */
export async function playChat(engine: InferenceEngine, w: ChatWorkload, opts: PlayChatOptions = {}): Promise<ChatTurnResult[]> {
  const tok = engine.model.tokenizer;
  const results: ChatTurnResult[] = [];
  const stagger = opts.staggerStart ?? true;
  // started[u] resolves when user u has its first token (or has nothing to send).
  const signals = Array.from({ length: w.users }, () => {
    let resolve!: () => void;
    const p = new Promise<void>((r) => (resolve = r));
    return { p, resolve };
  });
  const user = async (u: number): Promise<void> => {
    if (stagger && u > 0) await signals[u - 1].p;
    let first = true;
    for (const c of w.conversations) {
      if (c.user !== u) continue;
      let history: number[] = [];
      for (let t = 0; t < c.turns.length; t++) {
        const turn = c.turns[t];
        const prompt = t === 0 ? firstTurnPrompt(tok, w, turn.message) : history.concat(nextTurnIds(tok, turn.message));
        const handle = engine.submit(prompt, {
          maxTokens: turn.replyTokens,
          ignoreEos: true,
          temperature: opts.temperature ?? 1,
          seed: (opts.seed ?? 0) * 1_000_003 + c.id * 1009 + t,
        });
        if (first) {
          first = false;
          // Read the stream to its end rather than breaking out after the first token: leaving
          // the loop early ends the request (as leaving a generation's loop does).
          for await (const _ of handle) signals[u].resolve();
          signals[u].resolve();
        }
        const r = await handle.result();
        history = prompt.concat(r.ids);
        const res: ChatTurnResult = {
          conversation: c.id,
          user: u,
          turn: t,
          requestId: r.id,
          promptTokens: prompt.length,
          cachedPromptTokens: r.cachedPromptTokens,
          outputTokens: r.ids.length,
          preemptions: r.preemptions,
        };
        results.push(res);
        opts.onTurn?.(res);
      }
    }
    signals[u].resolve();
  };
  await Promise.all(Array.from({ length: w.users }, (_, u) => user(u)));
  return results;
}
