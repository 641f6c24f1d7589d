import { describe, expect, it } from 'vitest';
import { RequestRecorder, forEachChunk, chunkCount } from '../src/timeline.js';

describe('RequestRecorder', () => {
  it('records token times into its preallocated buffer without replacing it within capacity', () => {
    const r = new RequestRecorder('r1', 10, 64, 32);
    const before = r.toTimeline().tokenTimes.buffer;
    for (let i = 0; i < 64; i++) r.recordTokens(20 + i);
    const t = r.toTimeline();
    expect(t.tokenTimes.buffer).toBe(before);
    expect(t.tokenTimes.length).toBe(64);
    expect(t.tokenTimes[63]).toBe(83);
    expect(t.chunkTokens).toBeUndefined();
    expect(t.promptTokens).toBe(32);
  });

  it('grows by doubling past capacity and keeps every time', () => {
    const r = new RequestRecorder('r', 0, 4);
    for (let i = 0; i < 100; i++) r.recordTokens(i * 2);
    const t = r.toTimeline().tokenTimes;
    expect(t.length).toBe(100);
    expect(t.buffer.byteLength).toBe(128 * 8);
    for (let i = 0; i < 100; i++) expect(t[i]).toBe(i * 2);
  });

  it('materialises chunk sizes only once a multi-token chunk arrives, back-filling ones', () => {
    const r = new RequestRecorder('r', 0, 4);
    r.recordTokens(5);
    r.recordTokens(6);
    expect(r.toTimeline().chunkTokens).toBeUndefined();
    r.recordTokens(9, 3);
    r.recordTokens(10);
    r.recordTokens(11, 0); // empty chunk: ignored
    const t = r.toTimeline();
    expect(Array.from(t.chunkTokens!)).toEqual([1, 1, 3, 1]);
    expect(Array.from(t.tokenTimes)).toEqual([5, 6, 9, 9, 9, 10]);
    expect(chunkCount(t)).toBe(4);
    const seen: [number, number, number][] = [];
    forEachChunk(t, (time, n, k) => seen.push([time, n, k]));
    expect(seen).toEqual([[5, 1, 0], [6, 1, 1], [9, 3, 2], [10, 1, 3]]);
  });

  it('keeps the first prefill start and last prefill end, and marks unfinished requests', () => {
    const r = new RequestRecorder('r', 0);
    r.recordPrefill(3, 8);
    r.recordPrefill(9, 15);
    r.recordTokens(16);
    let t = r.toTimeline();
    expect([t.prefillStart, t.prefillEnd]).toEqual([3, 15]);
    expect(t.finishReason).toBe('unfinished');
    expect(t.finish).toBe(16);
    r.recordFinish(17, 'stop');
    t = r.toTimeline();
    expect([t.finish, t.finishReason]).toEqual([17, 'stop']);
  });
});
