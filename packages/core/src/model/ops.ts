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
 * Precomputed inverse frequencies θ_i = base^(-2i/ropeDim), i < ropeDim/2.
 * llama.cpp's "normal" RoPE rotates adjacent pairs (x[2i], x[2i+1]); GGUF converters permute the
 * Q/K weights so this layout is equivalent to the original model's.
 */
export function ropeInvFreq(ropeDim: number, base: number): Float64Array {
  const f = new Float64Array(ropeDim / 2);
  for (let i = 0; i < f.length; i++) f[i] = Math.pow(base, (-2 * i) / ropeDim);
  return f;
}

/** Rotates `nHeads` heads of `headDim` at x[xo..) in place for position `pos`. */
export function rope(x: Float32Array, xo: number, nHeads: number, headDim: number, ropeDim: number, pos: number, invFreq: Float64Array): void {
  for (let i = 0; i < ropeDim / 2; i++) {
    const theta = pos * invFreq[i];
    const c = Math.cos(theta);
    const s = Math.sin(theta);
    for (let h = 0; h < nHeads; h++) {
      const j = xo + h * headDim + 2 * i;
      const a = x[j];
      const b = x[j + 1];
      x[j] = a * c - b * s;
      x[j + 1] = a * s + b * c;
    }
  }
}

/** x[i] += y[i] for n elements. */
export function addInPlace(x: Float32Array, y: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) x[i] += y[i];
}
