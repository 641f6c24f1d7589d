// exp for float32, scalar and four lanes at once (softmax in attention.ts). Cody–Waite range
// reduction x = n·ln2 + r with |r| ≤ ln2/2, then Cephes' degree-6 polynomial for e^r, then a
// multiply by 2^n. 2^n is applied as two powers of two so that n can reach 128 (results up to
// FLT_MAX) and −151 (gradual underflow into the subnormals, rounded once) without building an
// out-of-range exponent. Error: < 1 ulp on normal results (0.97 ulp worst on the 2M-point sweep of
// test/kernels/attention.test.ts);
// exp(x) for x ≥ 88.73 is +Inf, for x ≤ −104 it is +0 (so exp(−Inf) = 0), NaN stays NaN.
// Plain mul/add (no fused multiply-add), so every engine computes bit-identical results.

const LOG2E: f32 = 1.44269504088896341;
/** ln2 split in a part with 9 significant bits (n·C1 is exact for |n| < 2^15) and the rest. */
const C1: f32 = 0.693359375;
const C2: f32 = -2.12194440e-4;
const P0: f32 = 1.9875691500e-4;
const P1: f32 = 1.3981999507e-3;
const P2: f32 = 8.3334519073e-3;
const P3: f32 = 4.1665795894e-2;
const P4: f32 = 1.6666665459e-1;
const P5: f32 = 5.0000001201e-1;
const X_MAX: f32 = 89.0;
const X_MIN: f32 = -105.0;

/** e^x for one float. */
// @ts-ignore: decorator
@inline export function expf(x: f32): f32 {
  const xc = Mathf.max(Mathf.min(x, X_MAX), X_MIN);
  const fn = Mathf.floor(xc * LOG2E + 0.5);
  const r = (xc - fn * C1) - fn * C2;
  const z = r * r;
  let y = ((((P0 * r + P1) * r + P2) * r + P3) * r + P4) * r + P5;
  y = y * z + r + 1.0;
  const n = <i32>fn;
  const n1 = n >> 1;
  const n2 = n - n1;
  return y * reinterpret<f32>((n1 + 127) << 23) * reinterpret<f32>((n2 + 127) << 23);
}

/** e^x lane by lane, the same operations as `expf` (bit-identical results). */
// @ts-ignore: decorator
@inline export function expf4(x: v128): v128 {
  const xc = f32x4.max(f32x4.min(x, f32x4.splat(X_MAX)), f32x4.splat(X_MIN));
  const fn = f32x4.floor(f32x4.add(f32x4.mul(xc, f32x4.splat(LOG2E)), f32x4.splat(0.5)));
  const r = f32x4.sub(f32x4.sub(xc, f32x4.mul(fn, f32x4.splat(C1))), f32x4.mul(fn, f32x4.splat(C2)));
  const z = f32x4.mul(r, r);
  let y = f32x4.add(f32x4.mul(f32x4.splat(P0), r), f32x4.splat(P1));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(P2));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(P3));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(P4));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(P5));
  y = f32x4.add(f32x4.add(f32x4.mul(y, z), r), f32x4.splat(1.0));
  const n = i32x4.trunc_sat_f32x4_s(fn);
  const n1 = i32x4.shr_s(n, 1);
  const n2 = i32x4.sub(n, n1);
  const bias = i32x4.splat(127);
  const s1 = i32x4.shl(i32x4.add(n1, bias), 23);
  const s2 = i32x4.shl(i32x4.add(n2, bias), 23);
  return f32x4.mul(f32x4.mul(y, s1), s2);
}
