/**
 * Paced decoding: every engine step idles a fixed time after its compute, so a small model's
 * step takes what a chatbot's token takes (tens of ms) without a model too big for the lab's
 * machine. The GC pauses under test are not paced: they are real work inside the step and come
 * on top of the pacing, as they would on top of a bigger model's compute. The idle time leaves
 * the CPU free, so other processes on a shared machine disturb a paced run far less than a
 * compute-bound one.
 */
import type { EngineObserver } from '@legato/core';

// A 4-byte cell nobody notifies: Atomics.wait on it is a precise, CPU-free sleep of the thread.
const cell = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the calling thread for `ms` milliseconds without spinning. */
export function idle(ms: number): void {
  if (ms > 0) Atomics.wait(cell, 0, 0, ms);
}

/** An engine observer that idles `idleMs` after every step. */
export function pacingObserver(idleMs: number): EngineObserver {
  if (!(Number.isFinite(idleMs) && idleMs >= 0)) throw new RangeError(`idleMs must be a finite number ≥ 0, got ${idleMs}`);
  return { onStep: () => idle(idleMs) };
}

/** How a lab run was paced. */
export interface Pacing {
  /** The target time of a decode step (ms); 0 = unpaced, the model's own speed. */
  targetStepMs: number;
  /** Median step time measured without pacing (ms). */
  computeStepMs: number;
  /** Idle time added to every step: max(0, target − compute). */
  idleMs: number;
}

/**
 * The idle time that brings a step of `computeStepMs` to `targetStepMs` (0 when the target is 0
 * or the model is already that slow).
 */
export function pacingFor(targetStepMs: number, computeStepMs: number): Pacing {
  if (!(Number.isFinite(targetStepMs) && targetStepMs >= 0)) throw new RangeError(`the target step time must be a finite number ≥ 0, got ${targetStepMs}`);
  const idleMs = targetStepMs > 0 && Number.isFinite(computeStepMs) ? Math.max(0, targetStepMs - computeStepMs) : 0;
  return { targetStepMs, computeStepMs, idleMs: Number(idleMs.toFixed(2)) };
}

/** Records the time between consecutive steps (a step's compute plus the loop's turn). */
export class StepTimer {
  private last = NaN;
  private readonly gaps: number[] = [];

  /** The observer to give the engine. */
  readonly observer: EngineObserver = {
    onStep: (g) => {
      if (this.last === this.last) this.gaps.push(g.time - this.last);
      this.last = g.time;
    },
  };

  /** Median step time (ms), NaN before two steps. */
  median(): number {
    if (this.gaps.length === 0) return NaN;
    const s = [...this.gaps].sort((a, b) => a - b);
    return s[s.length >> 1];
  }
}
