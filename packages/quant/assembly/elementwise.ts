// Element-wise activations that show up in a profile once the matmuls are fast: SwiGLU runs exp
// over every FFN hidden value of every token (5632 per token per layer on TinyLlama-1.1B).

import { expf, expf4 } from './math';

/**
 * gate[i] = silu(gate[i]) · up[i] = gate[i] / (1 + e^−gate[i]) · up[i], for i in [i0, i1); f32
 * arrays at byte addresses `gate` and `up`. Lane and scalar paths do the same operations, so
 * where a chunk boundary falls does not change any result.
 */
export function swiglu(gate: usize, up: usize, i0: i32, i1: i32): void {
  const one = f32x4.splat(1);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    const g = v128.load(gate + o);
    const silu = f32x4.div(g, f32x4.add(one, expf4(f32x4.neg(g))));
    v128.store(gate + o, f32x4.mul(silu, v128.load(up + o)));
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(gate + o);
    store<f32>(gate + o, g / (<f32>1 + expf(-g)) * load<f32>(up + o));
  }
}
