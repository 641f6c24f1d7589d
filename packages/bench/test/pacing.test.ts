import { describe, expect, it } from 'vitest';
import type { EngineStepGauges } from '@legato/core';
import type { GcEvent } from '@legato/kvcache';
import { idle, StepPacer } from '../src/index.js';

const gauges = (time: number): EngineStepGauges =>
  ({ time, kvBlocksUsed: 0, kvBlocksCached: 0, kvBlocksFree: 0, kvUtilisation: 0, waiting: 0, running: 1, stepTokens: 1 });

/** Runs one step that "computed" for `computeMs` (and paused `gcMs` in the KV GC), as the engine reports it. */
function step(p: StepPacer, computeMs: number, gcMs = 0): number {
  const start = performance.now();
  if (gcMs > 0) p.observer.onKvGc!({ durationMs: gcMs } as GcEvent);
  const idleMs = p.idleMs();
  p.observer.onStep!(gauges(start + computeMs + gcMs));
  return idleMs;
}

describe('paced decoding', () => {
  it('idle() sleeps without spinning for about the time asked', () => {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    idle(30);
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    expect(wall).toBeGreaterThanOrEqual(29);
    expect(wall).toBeLessThan(80);
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(10);
  });

  it('tops a step up to the target by the median recent compute; one slow step or a GC pause comes on top', () => {
    const p = new StepPacer(20, 5);
    expect(p.idleMs()).toBe(15);
    step(p, 0); // the first step has nothing to measure against
    for (let i = 0; i < 8; i++) step(p, 5);
    expect(p.idleMs()).toBeGreaterThan(14);
    expect(p.idleMs()).toBeLessThanOrEqual(15);
    // A 100 ms stall and a 50 ms KV-GC pause: neither shortens the idle time of the next step.
    step(p, 100);
    expect(p.idleMs()).toBeGreaterThan(14);
    step(p, 5, 50);
    expect(p.idleMs()).toBeGreaterThan(14);
    // The machine gets slower for good: the idle time follows it down.
    for (let i = 0; i < 16; i++) step(p, 12);
    expect(p.idleMs()).toBeGreaterThan(7);
    expect(p.idleMs()).toBeLessThan(8.5);
    // Slower than the target: no idle time at all.
    for (let i = 0; i < 16; i++) step(p, 30);
    expect(p.idleMs()).toBe(0);
    expect(p.meanIdleMs()).toBeGreaterThan(0);
  });

  it('rejects a target that is not a positive number', () => {
    expect(() => new StepPacer(0, 5)).toThrow(RangeError);
    expect(() => new StepPacer(Number.NaN, 5)).toThrow(RangeError);
  });
});
