import { describe, expect, it } from 'vitest';
import { GaugeRecorder, gaugeColumnsFrom, GAUGE_COLUMNS } from '../src/gauges.js';

describe('GaugeRecorder', () => {
  it('stores every gauge column-wise and derives utilisation as used/(used+cached+free)', () => {
    const g = gaugeColumnsFrom([
      { time: 1, kvBlocksUsed: 30, kvBlocksCached: 10, kvBlocksFree: 60, waiting: 4, running: 2, stepTokens: 130 },
      { time: 2, kvBlocksUsed: 50, kvBlocksCached: 0, kvBlocksFree: 50, waiting: 3, running: 3, stepTokens: 3, kvUtilisation: 0.75 },
    ]);
    expect(g.length).toBe(2);
    expect(Array.from(g.time)).toEqual([1, 2]);
    expect(g.kvUtilisation[0]).toBeCloseTo(0.3, 12);
    expect(g.kvUtilisation[1]).toBe(0.75); // the engine's own figure wins
    expect(Array.from(g.waiting)).toEqual([4, 3]);
    expect(Array.from(g.running)).toEqual([2, 3]);
    expect(Array.from(g.stepTokens)).toEqual([130, 3]);
    expect(Array.from(g.kvBlocksCached)).toEqual([10, 0]);
    for (const c of GAUGE_COLUMNS) expect(g[c].length).toBe(2);
  });

  it('keeps its buffers within capacity and doubles past it without losing steps', () => {
    const r = new GaugeRecorder(4);
    const buf = r.columns().time.buffer;
    for (let i = 0; i < 4; i++) r.recordValues(i, i, 0, 10 - i, 0, 1, 1);
    expect(r.columns().time.buffer).toBe(buf);
    for (let i = 4; i < 9; i++) r.recordValues(i, i, 0, 10 - i, i, 1, 1);
    const c = r.columns();
    expect(c.length).toBe(9);
    expect(c.time.buffer.byteLength).toBe(16 * 8);
    expect(Array.from(c.kvBlocksUsed)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(c.waiting[8]).toBe(8);
    r.clear();
    expect(r.length).toBe(0);
  });
});
