/** Messages between the page (app.ts) and the worker that runs Legato (worker.ts). */

export type ToWorker =
  | { type: 'load'; source: string | File; threads?: number; cache?: boolean }
  | { type: 'generate'; mode: 'chat' | 'complete'; text: string; maxTokens: number; temperature: number; seed?: number }
  | { type: 'stop' }
  | { type: 'bench'; promptTokens: number; genTokens: number }
  | { type: 'reset' };

export type FromWorker =
  | { type: 'progress'; loadedBytes: number; totalBytes: number; fraction: number }
  | { type: 'loaded'; label: string; backend: string; threads: number; isolated: boolean; loadMs: number; architecture: string; cached: boolean }
  | { type: 'token'; id: number; text: string; time: number }
  | {
      type: 'done'; ids: number[]; promptIds: number[]; text: string; finishReason: string;
      ttftMs: number; decodeTokensPerSecond: number; prefillTokensPerSecond: number;
    }
  | { type: 'bench'; backend: string; prefillTokensPerSecond: number; decodeTokensPerSecond: number }
  | { type: 'error'; message: string };
