/**
 * Proving a loop allocates nothing: force a full GC first (so a young generation left nearly full
 * by setup cannot trigger a collection mid-measurement), then run the loop while watching for V8
 * GC events and measuring young-generation growth. Old-space growth is not counted: V8 compiling
 * code late lands there, and that is not per-iteration garbage.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';

v8.setFlagsFromString('--expose-gc');
const forceGc = vm.runInNewContext('gc') as () => void;

function youngUsed(): number {
  for (const s of v8.getHeapSpaceStatistics()) if (s.space_name === 'new_space') return s.space_used_size;
  throw new Error('V8 reports no new_space');
}

export interface AllocationReport {
  /** Names of V8 GC events observed during the loop. */
  gcs: string[];
  /** Young-generation bytes allocated by the loop (valid when no GC ran). */
  youngBytes: number;
}

export async function measureAllocation(loop: () => void): Promise<AllocationReport> {
  forceGc();
  const gcs: string[] = [];
  const obs = new PerformanceObserver((list) => list.getEntries().forEach((e) => gcs.push(e.name)));
  obs.observe({ entryTypes: ['gc'] });
  const before = youngUsed();
  loop();
  const after = youngUsed();
  // GC entries are delivered after a turn of the event loop.
  await new Promise((resolve) => setTimeout(resolve, 50));
  obs.disconnect();
  return { gcs, youngBytes: after - before };
}
