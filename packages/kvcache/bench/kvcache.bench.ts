/**
 * KV-cache figures (prints; not a test):
 *   1. memory utilisation of the paged cache vs reserving each sequence's maximum context,
 *   2. GC pause distribution per policy for 64 MiB, 256 MiB and 1 GiB pools,
 *   3. per-token cost of paged slot lookup vs contiguous indexing in a decode attention read.
 *
 * Run: node --conditions=source --import tsx packages/kvcache/bench/kvcache.bench.ts [section…]
 * (sections: memory, gc, attention; default all).
 */
import os from 'node:os';
import { PagedKVCache, KVCacheOutOfBlocksError, type GcEvent, type GcPolicy } from '../src/index.js';

// ---- helpers --------------------------------------------------------------------------------

/** Deterministic xorshift32 in [0, 1). */
function rng(seed: number): () => number {
  let s = seed | 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

function uniformInt(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

interface Request {
  prompt: number;
  output: number;
}

/** The request mix: prompts 50–1500 tokens, outputs 20–500, at most `maxTotal` tokens in all. */
function requests(n: number, seed: number, maxTotal = 2048): Request[] {
  const r = rng(seed);
  const out: Request[] = [];
  for (let i = 0; i < n; i++) {
    const prompt = Math.min(uniformInt(r, 50, 1500), maxTotal - 20);
    out.push({ prompt, output: Math.min(uniformInt(r, 20, 500), maxTotal - prompt) });
  }
  return out;
}

function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function sortedCopy(values: number[]): Float64Array {
  return Float64Array.from(values).sort();
}

function table(headers: string[], rows: (string | number)[][]): void {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  const line = (r: string[]): string => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ');
  console.log(line(cells[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells.slice(1)) console.log(line(r));
}

const fmt = (x: number, digits = 2): string => x.toFixed(digits);
const MiB = 1 << 20;

// ---- 1. memory utilisation --------------------------------------------------------------------

interface Running {
  seq: number;
  req: Request;
  generated: number;
  admitted: number;
}

function memorySection(): void {
  const MAX_CONTEXT = 2048;
  const SLOTS = 64 * MAX_CONTEXT; // memory for 64 max-context sequences
  const mix = requests(3000, 1234, MAX_CONTEXT);
  console.log(`\n## 1. Memory utilisation: ${mix.length} requests (prompt 50–1500, output 20–500, max context ${MAX_CONTEXT}),`);
  console.log(`##    same memory for both: ${SLOTS} token slots (= 64 sequences reserved at max context)\n`);

  // Pre-allocation: each running sequence reserves MAX_CONTEXT slots.
  const pre = (() => {
    const capacity = SLOTS / MAX_CONTEXT;
    let next = 0;
    const running: { len: number; end: number }[] = [];
    let steps = 0;
    let tokenSlotSum = 0;
    let concurrency = 0;
    let generated = 0;
    while (next < mix.length || running.length > 0) {
      while (running.length < capacity && next < mix.length) {
        const q = mix[next++];
        running.push({ len: q.prompt, end: q.prompt + q.output });
      }
      for (const s of running) s.len++;
      generated += running.length;
      steps++;
      concurrency += running.length;
      tokenSlotSum += running.reduce((n, s) => n + s.len, 0);
      for (let i = running.length - 1; i >= 0; i--) if (running[i].len >= running[i].end) running.splice(i, 1);
    }
    return { steps, concurrency: concurrency / steps, used: tokenSlotSum / steps / SLOTS, generated, preemptions: 0, fragmentation: NaN };
  })();

  // Paged: blocks on demand; admit while the prompt fits; preempt (recompute) the newest on shortage.
  const paged = (() => {
    const cache = new PagedKVCache({ layers: 1, kvHeads: 1, headDim: 4, blockSize: 16, memoryBytes: (SLOTS / 16) * 512, prefixCaching: false });
    const queue: Request[] = mix.slice().reverse(); // pop() = next
    const running: Running[] = [];
    const stats = cache.stats();
    let steps = 0;
    let concurrency = 0;
    let usedSum = 0;
    let fragSum = 0;
    let generated = 0;
    let preemptions = 0;
    while (queue.length > 0 || running.length > 0) {
      // Admission: keep a block per running sequence in hand for its next decode.
      while (queue.length > 0) {
        const q = queue[queue.length - 1];
        const need = cache.layout.blocksForTokens(q.prompt + 1) + running.length;
        if (need > cache.availableBlocks()) break;
        queue.pop();
        const seq = cache.createSequence();
        cache.appendSlots(seq, q.prompt);
        running.push({ seq, req: q, generated: 0, admitted: steps });
      }
      for (let i = 0; i < running.length; i++) {
        const r = running[i];
        try {
          cache.appendSlots(r.seq, 1);
        } catch (e) {
          if (!(e instanceof KVCacheOutOfBlocksError)) throw e;
          // Preempt the most recently admitted sequence (vLLM's recompute policy) and retry.
          const victim = running.pop()!;
          cache.freeSequence(victim.seq);
          queue.push({ prompt: victim.req.prompt, output: victim.req.output });
          generated -= victim.generated;
          preemptions++;
          if (victim !== r) i--;
          continue;
        }
        r.generated++;
      }
      generated += running.length;
      steps++;
      concurrency += running.length;
      cache.stats(stats);
      usedSum += stats.slotsFilled / SLOTS;
      fragSum += stats.internalFragmentation;
      for (let i = running.length - 1; i >= 0; i--) {
        if (running[i].generated >= running[i].req.output) {
          cache.freeSequence(running[i].seq);
          running.splice(i, 1);
        }
      }
    }
    return { steps, concurrency: concurrency / steps, used: usedSum / steps, generated, preemptions, fragmentation: fragSum / steps };
  })();

  table(
    ['allocation', 'steps to finish', 'mean running seqs', 'memory holding tokens', 'internal fragmentation', 'preemptions'],
    [
      ['pre-allocate 2048/seq', pre.steps, fmt(pre.concurrency, 1), `${fmt(pre.used * 100, 1)} %`, 'n/a', 0],
      ['paged (16-token blocks)', paged.steps, fmt(paged.concurrency, 1), `${fmt(paged.used * 100, 1)} %`, `${fmt(paged.fragmentation * 100, 2)} %`, paged.preemptions],
    ],
  );
  console.log(`\nPaged finishes the same work in ${fmt(pre.steps / paged.steps, 2)}× fewer decode steps (more sequences fit).`);
}

// ---- 2. GC pauses -------------------------------------------------------------------------------

const SHAPE = { layers: 22, kvHeads: 4, headDim: 64, blockSize: 16 } as const;

interface PauseResult {
  steps: number;
  stepMs: number[];
  cycleMs: number[];
  cycles: number;
  scrubbedMiB: number;
  verifiedMiB: number;
  onDemand: number;
  preemptions: number;
  maxCycle: GcEvent | null;
}

function simulate(poolBytes: number, policy: GcPolicy, buffer: ArrayBuffer, steps: number): PauseResult {
  const cache = new PagedKVCache({
    ...SHAPE,
    memoryBytes: poolBytes,
    // An existing region (not declared zeroed): the cache scrubs it once, so every page is touched
    // up front as in a long-running server.
    storage: { buffer, byteOffset: 0, byteLength: poolBytes },
    prefixCaching: false,
    gc: { policy, intervalTokens: 50 },
  });
  const cycleMs: number[] = [];
  let maxCycle: GcEvent | null = null;
  cache.onGc((e) => {
    cycleMs.push(e.durationMs);
    if (!maxCycle || e.durationMs > maxCycle.durationMs) maxCycle = { ...e };
  });
  const capacityTokens = cache.numBlocks * cache.blockSize;
  const mix = requests(20_000, 99, Math.min(2048, capacityTokens - 32));
  let next = 0;
  const running: Running[] = [];
  const stepMs: number[] = [];
  const kv = cache.f32;
  const { layers, slotStride } = cache.layout;
  let preemptions = 0;
  for (let step = 0; step < steps; step++) {
    const t0 = performance.now();
    while (next < mix.length) {
      const q = mix[next];
      if (cache.layout.blocksForTokens(q.prompt + 1) + running.length > cache.availableBlocks()) break;
      next++;
      const seq = cache.createSequence();
      cache.appendSlots(seq, q.prompt);
      running.push({ seq, req: q, generated: 0, admitted: step });
    }
    for (let i = 0; i < running.length; i++) {
      const r = running[i];
      try {
        cache.appendSlots(r.seq, 1);
      } catch (e) {
        if (!(e instanceof KVCacheOutOfBlocksError)) throw e;
        const victim = running.pop()!;
        cache.freeSequence(victim.seq);
        preemptions++;
        if (victim !== r) i--;
        continue;
      }
      r.generated++;
    }
    const t1 = performance.now();
    // The forward pass writes this token's K and V rows (not timed: it is the model's work).
    for (const r of running) {
      const pos = r.req.prompt + r.generated - 1;
      for (let layer = 0; layer < layers; layer++) {
        kv.fill(1, cache.slotOffset(r.seq, pos, layer, 'k'), cache.slotOffset(r.seq, pos, layer, 'k') + slotStride);
        kv.fill(1, cache.slotOffset(r.seq, pos, layer, 'v'), cache.slotOffset(r.seq, pos, layer, 'v') + slotStride);
      }
    }
    const t2 = performance.now();
    for (let i = running.length - 1; i >= 0; i--) {
      if (running[i].generated >= running[i].req.output) {
        cache.freeSequence(running[i].seq);
        running.splice(i, 1);
      }
    }
    cache.step();
    stepMs.push(t1 - t0 + (performance.now() - t2));
  }
  const s = cache.stats();
  return {
    steps,
    stepMs,
    cycleMs,
    cycles: s.gc.cycles,
    scrubbedMiB: s.gc.bytesScrubbed / MiB,
    verifiedMiB: (s.gc.blocksVerified * s.bytesPerBlock) / MiB,
    onDemand: s.gc.onDemandScrubs,
    preemptions,
    maxCycle,
  };
}

function gcSection(): void {
  const sizes = [64 * MiB, 256 * MiB, 1024 * MiB];
  const policies: GcPolicy[] = ['eager', 'periodic', 'incremental', 'off'];
  const STEPS = 1500;
  const bytesPerBlock = SHAPE.layers * 2 * SHAPE.blockSize * SHAPE.kvHeads * SHAPE.headDim * 4;
  console.log(`\n## 2. GC pauses: model ${SHAPE.layers} layers × ${SHAPE.kvHeads} KV heads × ${SHAPE.headDim} dims f32, block ${SHAPE.blockSize} tokens = ${fmt(bytesPerBlock / 1024, 0)} KiB;`);
  console.log(`##    continuous batching of the request mix for ${STEPS} decode steps; intervalTokens 50, watermark 0.9,`);
  console.log('##    incremental budget 8 blocks / 500 µs. "step" = time the decode loop spends in cache calls per step');
  console.log('##    (allocation incl. on-demand scrubs, frees incl. eager work, step()); "cycle" = one GC event.\n');
  const buffer = new ArrayBuffer(sizes[sizes.length - 1]);
  const rows: (string | number)[][] = [];
  for (const size of sizes) {
    for (const policy of policies) {
      const r = simulate(size, policy, buffer, STEPS);
      const st = sortedCopy(r.stepMs);
      const cy = sortedCopy(r.cycleMs);
      rows.push([
        `${size / MiB} MiB / ${policy}`,
        Math.floor(size / bytesPerBlock),
        fmt(percentile(st, 50), 3),
        fmt(percentile(st, 99), 2),
        fmt(st[st.length - 1], 2),
        r.cycles,
        fmt(percentile(cy, 50), 2),
        fmt(percentile(cy, 99), 2),
        fmt(cy.length ? cy[cy.length - 1] : 0, 2),
        fmt(r.scrubbedMiB, 0),
        fmt(r.verifiedMiB, 0),
        r.onDemand,
      ]);
    }
  }
  table(
    ['pool / policy', 'blocks', 'step P50 ms', 'step P99', 'step max', 'cycles', 'cycle P50 ms', 'cycle P99', 'cycle max', 'scrubbed MiB', 'verified MiB', 'on-demand scrubs'],
    rows,
  );
}

// ---- 3. attention read loop ---------------------------------------------------------------------

function attentionSection(): void {
  const HEADS = 8;
  const { kvHeads, headDim } = SHAPE;
  const group = HEADS / kvHeads;
  const stride = kvHeads * headDim;
  const LEN = 1024;
  const REPS = 300;
  const scale = 1 / Math.sqrt(headDim);
  const r = rng(7);
  const q = Float32Array.from({ length: HEADS * headDim }, () => r() - 0.5);
  const out = new Float32Array(HEADS * headDim);
  const scores = new Float32Array(LEN);

  // Contiguous cache of one layer: [pos][kvHeads*headDim].
  const kc = Float32Array.from({ length: LEN * stride }, () => r() - 0.5);
  const vc = Float32Array.from({ length: LEN * stride }, () => r() - 0.5);

  // Paged: 4 sequences appended round-robin so each one's blocks are scattered through the pool.
  const cache = new PagedKVCache({ ...SHAPE, layers: 2, memoryBytes: 4 * (LEN / 16 + 1) * 2 * 2 * 16 * stride * 4, prefixCaching: false });
  const seqs = [0, 1, 2, 3].map(() => cache.createSequence());
  for (let p = 0; p < LEN; p += 16) for (const s of seqs) cache.appendSlots(s, 16);
  const seq = seqs[2];
  const layer = 1;
  const kv = cache.f32;
  for (let p = 0; p < LEN; p++) {
    kv.set(kc.subarray(p * stride, (p + 1) * stride), cache.slotOffset(seq, p, layer, 'k'));
    kv.set(vc.subarray(p * stride, (p + 1) * stride), cache.slotOffset(seq, p, layer, 'v'));
  }
  const view = cache.blockTable(seq);
  const { layout } = cache;

  // Contiguous: row p of the layer's K (and V) starts at p * stride.
  function attendContiguous(): number {
    for (let h = 0; h < HEADS; h++) {
      const kvh = (h / group) | 0;
      const qo = h * headDim;
      let max = -Infinity;
      for (let p = 0; p < LEN; p++) {
        const ko = p * stride + kvh * headDim;
        let dot = 0;
        for (let d = 0; d < headDim; d++) dot += q[qo + d] * kc[ko + d];
        dot *= scale;
        scores[p] = dot;
        if (dot > max) max = dot;
      }
      let sum = 0;
      for (let p = 0; p < LEN; p++) sum += scores[p] = Math.exp(scores[p] - max);
      out.fill(0, qo, qo + headDim);
      for (let p = 0; p < LEN; p++) {
        const w = scores[p] / sum;
        const vo = p * stride + kvh * headDim;
        for (let d = 0; d < headDim; d++) out[qo + d] += w * vc[vo + d];
      }
    }
    return out[0];
  }

  // Paged, convenient path: one slotOffset call per row.
  function attendSlotOffset(): number {
    for (let h = 0; h < HEADS; h++) {
      const kvh = (h / group) | 0;
      const qo = h * headDim;
      let max = -Infinity;
      for (let p = 0; p < LEN; p++) {
        const ko = cache.slotOffset(seq, p, layer, 'k') + kvh * headDim;
        let dot = 0;
        for (let d = 0; d < headDim; d++) dot += q[qo + d] * kv[ko + d];
        dot *= scale;
        scores[p] = dot;
        if (dot > max) max = dot;
      }
      let sum = 0;
      for (let p = 0; p < LEN; p++) sum += scores[p] = Math.exp(scores[p] - max);
      out.fill(0, qo, qo + headDim);
      for (let p = 0; p < LEN; p++) {
        const w = scores[p] / sum;
        const vo = cache.slotOffset(seq, p, layer, 'v') + kvh * headDim;
        for (let d = 0; d < headDim; d++) out[qo + d] += w * kv[vo + d];
      }
    }
    return out[0];
  }

  // Paged fast path: walk the block table; each block is a dense run of rows.
  function attendBlocks(): number {
    const blocks = view.blocks;
    const nb = view.length;
    const bs = layout.blockSize;
    for (let h = 0; h < HEADS; h++) {
      const kvh = (h / group) | 0;
      const qo = h * headDim;
      let max = -Infinity;
      for (let i = 0, p = 0; i < nb; i++) {
        const base = layout.blockOffset(blocks[i], layer, 'k') + kvh * headDim;
        const end = Math.min(bs, LEN - i * bs);
        for (let s = 0; s < end; s++, p++) {
          const ko = base + s * stride;
          let dot = 0;
          for (let d = 0; d < headDim; d++) dot += q[qo + d] * kv[ko + d];
          dot *= scale;
          scores[p] = dot;
          if (dot > max) max = dot;
        }
      }
      let sum = 0;
      for (let p = 0; p < LEN; p++) sum += scores[p] = Math.exp(scores[p] - max);
      out.fill(0, qo, qo + headDim);
      for (let i = 0, p = 0; i < nb; i++) {
        const base = layout.blockOffset(blocks[i], layer, 'v') + kvh * headDim;
        const end = Math.min(bs, LEN - i * bs);
        for (let s = 0; s < end; s++, p++) {
          const w = scores[p] / sum;
          const vo = base + s * stride;
          for (let d = 0; d < headDim; d++) out[qo + d] += w * kv[vo + d];
        }
      }
    }
    return out[0];
  }

  const variants: [string, () => number][] = [
    ['contiguous [pos][kvHeads*headDim]', attendContiguous],
    ['paged: block-table walk + blockOffset', attendBlocks],
    ['paged: slotOffset(seq, pos, …) per row', attendSlotOffset],
  ];
  // Same result from every variant (sanity), then time them interleaved.
  const ref = variants[0][1]();
  for (const [name, f] of variants) if (Math.abs(f() - ref) > 1e-4) throw new Error(`${name} disagrees`);
  const times = variants.map(() => [] as number[]);
  for (let round = 0; round < 7; round++) {
    for (const [i, [, f]] of variants.entries()) {
      const t0 = performance.now();
      for (let rep = 0; rep < REPS; rep++) f();
      times[i].push((performance.now() - t0) / REPS);
    }
  }
  console.log(`\n## 3. Decode attention read, one layer: ${HEADS} query heads, ${kvHeads} KV heads × ${headDim} dims, ${LEN} cached tokens`);
  console.log('##    (median of 7 rounds × 300 reads; the paged sequence\'s blocks are interleaved with 3 others)\n');
  const base = sortedCopy(times[0])[3];
  table(
    ['layout', 'µs per read', 'ns per token', 'vs contiguous'],
    variants.map(([name], i) => {
      const med = sortedCopy(times[i])[3];
      return [name, fmt(med * 1000, 1), fmt((med * 1e6) / LEN, 1), `${med >= base ? '+' : ''}${fmt(((med - base) / base) * 100, 1)} %`];
    }),
  );
}

// ---- main -------------------------------------------------------------------------------------

const wanted = new Set(process.argv.slice(2));
const run = (name: string): boolean => wanted.size === 0 || wanted.has(name);
console.log(`# @legato/kvcache benchmark — node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`);
if (run('memory')) memorySection();
if (run('gc')) gcSection();
if (run('attention')) attentionSection();
