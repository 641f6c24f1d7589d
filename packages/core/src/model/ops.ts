/**
 * The element-wise and per-token operations of the Llama block, in plain TypeScript over
 * Float32Array views with explicit offsets, so they run on arena memory without copies.
 */

/**
 * out[o..o+n) = x[xo..) / sqrt(mean(x²) + eps) * w — llama.cpp's RMSNorm.
 * `eps` arrives in a Float64Array: V8 boxes a non-integer number passed to a function it does not
 * inline, and this runs several times per decode step, which must allocate nothing.
 */
export function rmsNorm(out: Float32Array, o: number, x: Float32Array, xo: number, w: Float32Array, n: number, eps: Float64Array): void {
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const v = x[xo + i];
    ss += v * v;
  }
  const scale = 1 / Math.sqrt(ss / n + eps[0]);
  for (let i = 0; i < n; i++) out[o + i] = x[xo + i] * scale * w[i];
}

/**
 * A RoPE table for one kind of layer: θ_i(pos) = pos · freq[i] for the ropeDim/2 pairs, where
 * freq[i] = scale · base^(−2i/ropeDim) / factor[i] (linear scaling and Llama 3 / Phi-3 frequency
 * factors folded in, as llama.cpp's rope_yarn computes them with ext_factor 0), and the element
 * at index ropeDim/2 is the magnitude mscale that multiplies cos and sin (rope.scaling.attn_factor).
 */
export function ropeTable(ropeDim: number, base: number, scale = 1, factors?: Float32Array, mscale = 1): Float64Array {
  const half = ropeDim / 2;
  const f = new Float64Array(half + 1);
  for (let i = 0; i < half; i++) f[i] = (scale * Math.pow(base, (-2 * i) / ropeDim)) / (factors ? factors[i] : 1);
  f[half] = mscale;
  return f;
}

/** Inverse frequencies θ_i = base^(-2i/ropeDim), i < ropeDim/2 (a rope table without scaling). */
export function ropeInvFreq(ropeDim: number, base: number): Float64Array {
  return ropeTable(ropeDim, base);
}

/**
 * Rotates `nHeads` heads of `headDim` at x[xo..) in place for position `pos` with a table from
 * `ropeTable`. 'norm' style (llama.cpp's default) rotates adjacent pairs (x[2i], x[2i+1]); GGUF
 * converters permute Llama's Q/K weights so this equals the original model. 'neox' rotates
 * (x[i], x[i + ropeDim/2]), the layout of Qwen, Gemma and Phi-3.
 */
export function rope(x: Float32Array, xo: number, nHeads: number, headDim: number, ropeDim: number, pos: number, table: Float64Array, neox = false): void {
  const half = ropeDim / 2;
  const m = table.length > half ? table[half] : 1;
  const stride = neox ? 1 : 2;
  const partner = neox ? half : 1;
  for (let i = 0; i < half; i++) {
    const theta = pos * table[i];
    const c = Math.cos(theta) * m;
    const s = Math.sin(theta) * m;
    for (let h = 0; h < nHeads; h++) {
      const j = xo + h * headDim + stride * i;
      const a = x[j];
      const b = x[j + partner];
      x[j] = a * c - b * s;
      x[j + partner] = a * s + b * c;
    }
  }
}

/** RMSNorm of each of `nHeads` heads of `headDim` at x[xo..), in place, with one weight vector for all heads. */
export function rmsNormHeads(x: Float32Array, xo: number, nHeads: number, headDim: number, w: Float32Array, eps: Float64Array): void {
  for (let h = 0; h < nHeads; h++) rmsNorm(x, xo + h * headDim, x, xo + h * headDim, w, headDim, eps);
}

/** x[t·n + i] += b[i] for n tokens' rows of n. */
export function addRows(x: Float32Array, b: Float32Array, nTokens: number, n: number): void {
  for (let t = 0; t < nTokens; t++) {
    const o = t * n;
    for (let i = 0; i < n; i++) x[o + i] += b[i];
  }
}

/** x[i] *= s for n elements. */
export function scaleInPlace(x: Float32Array, n: number, s: number): void {
  for (let i = 0; i < n; i++) x[i] *= s;
}

/** Soft-capping, x → cap · tanh(x / cap), for n elements from xo. */
export function softcapInPlace(x: Float32Array, xo: number, n: number, cap: number): void {
  const inv = 1 / cap;
  for (let i = xo; i < xo + n; i++) x[i] = cap * Math.tanh(x[i] * inv);
}

/**
 * GeGLU in place: gate[i] = gelu(gate[i]) · up[i] with the tanh approximation
 * 0.5·x·(1 + tanh(√(2/π)·x·(1 + 0.044715·x²))), as ggml's GELU (which llama.cpp's CPU backend
 * evaluates through an f16 table, so it agrees to about 1e-3 relative).
 */
export function gegluTanh(gate: Float32Array, up: Float32Array, n: number): void {
  const k = Math.sqrt(2 / Math.PI);
  for (let i = 0; i < n; i++) {
    const x = gate[i];
    gate[i] = 0.5 * x * (1 + Math.tanh(k * x * (1 + 0.044715 * x * x))) * up[i];
  }
}

/** dst[t·width + i] = src[t·srcStride + srcOffset + i] for n rows: one slice of fused rows (QKV, gate+up). */
export function copyColumns(src: Float32Array, srcStride: number, srcOffset: number, n: number, width: number, dst: Float32Array): void {
  for (let t = 0; t < n; t++) {
    const so = t * srcStride + srcOffset;
    const d = t * width;
    for (let i = 0; i < width; i++) dst[d + i] = src[so + i];
  }
}

/** x[i] += y[i] for n elements. */
export function addInPlace(x: Float32Array, y: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) x[i] += y[i];
}
