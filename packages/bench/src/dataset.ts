/**
 * Prompt datasets for a serving benchmark against an HTTP server: a JSON array or JSON Lines of
 * either `{"prompt": "...", "output_len"?: n}` records or ShareGPT conversations
 * (`{"conversations": [{"from": "human", "value": "..."}, …]}`, the first human turn is the
 * prompt, as vLLM's sharegpt dataset takes it). Requests cycle through the prompts in order.
 */
import { readFileSync } from 'node:fs';
import type { HttpLoadRequest } from './http-target.js';

/** Thrown for a dataset file that is not one of the accepted shapes; names the record. */
export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

interface DatasetRecord {
  prompt?: unknown;
  output_len?: unknown;
  conversations?: { from?: unknown; value?: unknown }[];
}

/** Prompt texts (and per-record output lengths, where given) from a dataset's text. */
export function parseDataset(text: string): { prompt: string; outputLen?: number }[] {
  const trimmed = text.trim();
  let records: unknown[];
  try {
    records = trimmed.startsWith('[') ? (JSON.parse(trimmed) as unknown[]) : trimmed.split(/\r?\n/).filter((l) => l.trim()).map((l) => JSON.parse(l) as unknown);
  } catch (e) {
    throw new DatasetError(`not JSON or JSON Lines: ${(e as Error).message.slice(0, 120)}`);
  }
  const out: { prompt: string; outputLen?: number }[] = [];
  records.forEach((r, i) => {
    const rec = r as DatasetRecord;
    let prompt: unknown = rec?.prompt;
    if (prompt === undefined && Array.isArray(rec?.conversations)) prompt = rec.conversations.find((t) => t.from === 'human' || t.from === 'user')?.value;
    if (typeof prompt !== 'string' || prompt.length === 0) throw new DatasetError(`record ${i}: needs a non-empty "prompt" string or ShareGPT "conversations"`);
    const n = rec.output_len;
    if (n !== undefined && !(Number.isInteger(n) && (n as number) >= 1)) throw new DatasetError(`record ${i}: output_len must be a positive integer`);
    out.push({ prompt, outputLen: n as number | undefined });
  });
  if (out.length === 0) throw new DatasetError('the dataset has no records');
  return out;
}

/** `count` requests cycling through the dataset file's prompts; `outputLen` where a record gives none. */
export function datasetRequests(path: string, count: number, outputLen: number): HttpLoadRequest[] {
  const rows = parseDataset(readFileSync(path, 'utf8'));
  return Array.from({ length: count }, (_, i) => {
    const r = rows[i % rows.length];
    return { promptIds: [], prompt: r.prompt, outputTokens: r.outputLen ?? outputLen };
  });
}
