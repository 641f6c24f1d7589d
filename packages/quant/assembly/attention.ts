// Causal grouped-query attention over an f32, f16 or q8_0 KV cache, for a run of query tokens of
// one sequence.
//
// The cache rows are found through a table rather than by arithmetic, so the same kernel reads a
// contiguous cache and a paged one (whose positions sit wherever their blocks do): rows[2p] and
// rows[2p+1] are the byte offsets of position p's K and V rows from `kv` (interleaved, so one
// cache line of the table serves both passes over a block of positions).
//
// Each cache type is read in place, four elements at a time, and widened to f32 in registers: f16
// through the half→float bit trick, q8_0 (ggml's blocks of 32 int8 with an f16 scale, a head being
// headDim / 32 whole blocks) as int8 → f32 times the block's scale. Both conversions are exact
// (an int8 times a half has at most 19 significant bits), so every type computes bit for bit what
// the f32 kernel computes over the dequantized rows: the cache type changes what is stored, never
// the arithmetic.
//
// Softmax is computed online (flash-attention style) over blocks of four positions: the four
// scores of a block come out of the dot products as one vector, so exp runs four lanes at a time;
// the running maximum m, the running sum l and the output row (which is its own accumulator) are
// rescaled by e^(m_old − m_new) only when a block raises the maximum. No scratch memory is needed,
// so any number of threads can run disjoint item ranges at once.
//
// Work items are (token, query head); consecutive heads of one KV group run in pairs that share
// each K/V row load (on TinyLlama-1.1B's shape 1.4–1.7× faster than one head at a time; four at once
// would need more than the 16 vector registers V8 gives wasm on x64).

import { F16, Q8_0, f16x4ToF32x4, loadF16 } from './common';
import { expf, expf4 } from './math';

/**
 * Items [i0, i1) of the job, item = t·nHeads + h: output row h of token t (headDim floats at
 * out + 4·(t·nHeads + h)·headDim) = Σ_p softmax_p(scale · q_th·k_p) · v_p over p < lens[t], with
 * k_p / v_p the rows of KV head h / (nHeads / nKVHeads). q and out are [nTokens][nHeads·headDim]
 * f32; the cache holds rows of ggml type `kvType` (F32, F16 or Q8_0; headDim a multiple of 4, of
 * 32 for Q8_0); lens[t] ≥ 1.
 */
export function attention(
  q: usize, kv: usize, rows: usize, lens: usize, nHeads: i32, nKVHeads: i32, headDim: i32, scale: f32, out: usize,
  i0: i32, i1: i32, kvType: i32,
): void {
  if (kvType == F16) attentionOf<u16>(q, kv, rows, lens, nHeads, nKVHeads, headDim, scale, out, i0, i1);
  else if (kvType == Q8_0) attentionOf<i8>(q, kv, rows, lens, nHeads, nKVHeads, headDim, scale, out, i0, i1);
  else attentionOf<f32>(q, kv, rows, lens, nHeads, nKVHeads, headDim, scale, out, i0, i1);
}

// The cache's element type T selects the code at compile time: f32 (4 bytes), u16 for f16 bits,
// i8 for q8_0 quants.

/** Bytes of one KV head's row of headDim elements. */
// @ts-ignore: decorator
@inline function headBytes<T>(headDim: i32): usize {
  if (sizeof<T>() == 1) return <usize>(headDim >> 5) * 34;
  return <usize>headDim * sizeof<T>();
}

/** Elements per scale block: 32 for q8_0; a whole head (one block, no scale) otherwise. */
// @ts-ignore: decorator
@inline function blockLen<T>(headDim: i32): usize {
  return sizeof<T>() == 1 ? 32 : <usize>headDim;
}

/** Bytes from one scale block of a row to the next (only q8_0 has more than one). */
// @ts-ignore: decorator
@inline function blockBytes<T>(): usize {
  return sizeof<T>() == 1 ? 34 : 0;
}

/** The block's scale as four lanes (q8_0), where `b` is the block's first byte; 1 otherwise (unused). */
// @ts-ignore: decorator
@inline function blockScale<T>(b: usize): v128 {
  if (sizeof<T>() == 1) return f32x4.splat(loadF16(b));
  return f32x4.splat(1);
}

/** Byte offset of a block's first quant from its start: past the q8_0 scale. */
// @ts-ignore: decorator
@inline function quantsAt<T>(): usize {
  return sizeof<T>() == 1 ? 2 : 0;
}

/** Elements j..j+3 of the block whose quants start at `b`, as f32 lanes (times the block scale `s` for q8_0). */
// @ts-ignore: decorator
@inline function load4<T>(b: usize, j: usize, s: v128): v128 {
  if (sizeof<T>() == 4) return v128.load(b + (j << 2));
  if (sizeof<T>() == 2) return f16x4ToF32x4(i32x4.extend_low_i16x8_s(v128.load64_zero(b + (j << 1))));
  return f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v128.load32_zero(b + j)))), s);
}

function attentionOf<T>(
  q: usize, kv: usize, rows: usize, lens: usize, nHeads: i32, nKVHeads: i32, headDim: i32, scale: f32, out: usize,
  i0: i32, i1: i32,
): void {
  const group = nHeads / nKVHeads;
  const rowBytes = <usize>headDim << 2;
  const kvHeadBytes = headBytes<T>(headDim);
  let item = i0;
  while (item < i1) {
    const t = item / nHeads;
    const h = item - t * nHeads;
    const len = load<i32>(lens + (<usize>t << 2));
    const head = <usize>(h / group) * kvHeadBytes;
    const qp = q + <usize>item * rowBytes;
    const op = out + <usize>item * rowBytes;
    // Two query heads of one KV group share every K/V load. Each head's arithmetic is the same
    // whether it runs paired or alone, so where chunks split pairs does not change any result.
    if (item + 1 < i1 && h + 1 < nHeads && (h + 1) / group == h / group) {
      attendPair<T>(qp, op, kv + head, rows, len, headDim, scale);
      item += 2;
    } else {
      attendOne<T>(qp, op, kv + head, rows, len, headDim, scale);
      item++;
    }
  }
}

// @ts-ignore: decorator
@inline function scores4(a0: v128, a1: v128, a2: v128, a3: v128, scale: f32, p: i32, len: i32): v128 {
  // Transpose-and-add: lane j = Σ lanes of a_j; then lanes past the end are masked to −Inf.
  const b01 = f32x4.add(v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), v128.shuffle<f32>(a0, a1, 2, 6, 3, 7));
  const b23 = f32x4.add(v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), v128.shuffle<f32>(a2, a3, 2, 6, 3, 7));
  const s = f32x4.mul(f32x4.add(v128.shuffle<f32>(b01, b23, 0, 1, 4, 5), v128.shuffle<f32>(b01, b23, 2, 3, 6, 7)), f32x4.splat(scale));
  const live = i32x4.lt_s(i32x4.add(i32x4(0, 1, 2, 3), i32x4.splat(p)), i32x4.splat(len));
  return v128.bitselect(s, f32x4.splat(-Infinity), live);
}

// @ts-ignore: decorator
@inline function max4(s: v128): f32 {
  return Mathf.max(Mathf.max(f32x4.extract_lane(s, 0), f32x4.extract_lane(s, 1)), Mathf.max(f32x4.extract_lane(s, 2), f32x4.extract_lane(s, 3)));
}

// @ts-ignore: decorator
@inline function sum4(w: v128): f32 {
  return (f32x4.extract_lane(w, 0) + f32x4.extract_lane(w, 1)) + (f32x4.extract_lane(w, 2) + f32x4.extract_lane(w, 3));
}

// @ts-ignore: decorator
@inline function scaleRow(op: usize, rowBytes: usize, c: f32): void {
  const cv = f32x4.splat(c);
  for (let d: usize = 0; d < rowBytes; d += 16) v128.store(op + d, f32x4.mul(v128.load(op + d), cv));
}

// @ts-ignore: decorator
@inline function zeroRow(op: usize, rowBytes: usize): void {
  for (let d: usize = 0; d < rowBytes; d += 16) v128.store(op + d, f32x4.splat(0));
}

// @ts-ignore: decorator
@inline function rowAddr(rows: usize, p: i32, last: i32): usize {
  // Past the end, lanes re-read the last row (a valid address) and are masked to −Inf.
  return rows + (<usize>min(p, last) << 3);
}

/** One query head at qp → op, over the rows at kvh + row offset (kvh already at its KV head). */
function attendOne<T>(qp: usize, op: usize, kvh: usize, rows: usize, len: i32, headDim: i32, scale: f32): void {
  const rowBytes = <usize>headDim << 2;
  const bl = blockLen<T>(headDim);
  const bb = blockBytes<T>();
  const qa = quantsAt<T>();
  zeroRow(op, rowBytes);
  let m: f32 = -Infinity;
  let l: f32 = 0;
  const last = len - 1;
  for (let p = 0; p < len; p += 4) {
    const e0 = rowAddr(rows, p, last), e1 = rowAddr(rows, p + 1, last), e2 = rowAddr(rows, p + 2, last), e3 = rowAddr(rows, p + 3, last);
    let k0 = kvh + <usize>load<u32>(e0), k1 = kvh + <usize>load<u32>(e1);
    let k2 = kvh + <usize>load<u32>(e2), k3 = kvh + <usize>load<u32>(e3);
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    for (let d: usize = 0; d < <usize>headDim; d += bl) {
      const s0 = blockScale<T>(k0), s1 = blockScale<T>(k1), s2 = blockScale<T>(k2), s3 = blockScale<T>(k3);
      const qb = qp + (d << 2);
      const b0 = k0 + qa, b1 = k1 + qa, b2 = k2 + qa, b3 = k3 + qa;
      for (let j: usize = 0; j < bl; j += 4) {
        const qv = v128.load(qb + (j << 2));
        a0 = f32x4.add(a0, f32x4.mul(qv, load4<T>(b0, j, s0)));
        a1 = f32x4.add(a1, f32x4.mul(qv, load4<T>(b1, j, s1)));
        a2 = f32x4.add(a2, f32x4.mul(qv, load4<T>(b2, j, s2)));
        a3 = f32x4.add(a3, f32x4.mul(qv, load4<T>(b3, j, s3)));
      }
      k0 += bb; k1 += bb; k2 += bb; k3 += bb;
    }
    const s = scores4(a0, a1, a2, a3, scale, p, len);
    const bm = max4(s);
    if (bm > m) {
      // First block: m = −Inf gives c = 0 on a zero row and sum, which is exact.
      const c = expf(m - bm);
      scaleRow(op, rowBytes, c);
      l *= c;
      m = bm;
    }
    const w = expf4(f32x4.sub(s, f32x4.splat(m)));
    l += sum4(w);
    const w0 = f32x4.splat(f32x4.extract_lane(w, 0)), w1 = f32x4.splat(f32x4.extract_lane(w, 1));
    const w2 = f32x4.splat(f32x4.extract_lane(w, 2)), w3 = f32x4.splat(f32x4.extract_lane(w, 3));
    let v0 = kvh + <usize>load<u32>(e0, 4), v1 = kvh + <usize>load<u32>(e1, 4);
    let v2 = kvh + <usize>load<u32>(e2, 4), v3 = kvh + <usize>load<u32>(e3, 4);
    for (let d: usize = 0; d < <usize>headDim; d += bl) {
      const s0 = blockScale<T>(v0), s1 = blockScale<T>(v1), s2 = blockScale<T>(v2), s3 = blockScale<T>(v3);
      const ob = op + (d << 2);
      const b0 = v0 + qa, b1 = v1 + qa, b2 = v2 + qa, b3 = v3 + qa;
      for (let j: usize = 0; j < bl; j += 4) {
        const x0 = load4<T>(b0, j, s0), x1 = load4<T>(b1, j, s1), x2 = load4<T>(b2, j, s2), x3 = load4<T>(b3, j, s3);
        const o = ob + (j << 2);
        v128.store(o, f32x4.add(v128.load(o), f32x4.add(
          f32x4.add(f32x4.mul(w0, x0), f32x4.mul(w1, x1)), f32x4.add(f32x4.mul(w2, x2), f32x4.mul(w3, x3)))));
      }
      v0 += bb; v1 += bb; v2 += bb; v3 += bb;
    }
  }
  scaleRow(op, rowBytes, 1.0 / l);
}

/** Query heads at qp and qp + rowBytes (outputs op, op + rowBytes) of the same KV head: attendOne twice, sharing loads. */
function attendPair<T>(qp: usize, op: usize, kvh: usize, rows: usize, len: i32, headDim: i32, scale: f32): void {
  const rowBytes = <usize>headDim << 2;
  const bl = blockLen<T>(headDim);
  const bb = blockBytes<T>();
  const qa = quantsAt<T>();
  const qpb = qp + rowBytes;
  const opb = op + rowBytes;
  zeroRow(op, rowBytes);
  zeroRow(opb, rowBytes);
  let ma: f32 = -Infinity, mb: f32 = -Infinity;
  let la: f32 = 0, lb: f32 = 0;
  const last = len - 1;
  for (let p = 0; p < len; p += 4) {
    const e0 = rowAddr(rows, p, last), e1 = rowAddr(rows, p + 1, last), e2 = rowAddr(rows, p + 2, last), e3 = rowAddr(rows, p + 3, last);
    let k0 = kvh + <usize>load<u32>(e0), k1 = kvh + <usize>load<u32>(e1);
    let k2 = kvh + <usize>load<u32>(e2), k3 = kvh + <usize>load<u32>(e3);
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
    for (let d: usize = 0; d < <usize>headDim; d += bl) {
      const s0 = blockScale<T>(k0), s1 = blockScale<T>(k1), s2 = blockScale<T>(k2), s3 = blockScale<T>(k3);
      const qx = qp + (d << 2), qy = qpb + (d << 2);
      const b0 = k0 + qa, b1 = k1 + qa, b2 = k2 + qa, b3 = k3 + qa;
      for (let j: usize = 0; j < bl; j += 4) {
        const qa4 = v128.load(qx + (j << 2)), qb4 = v128.load(qy + (j << 2));
        const x0 = load4<T>(b0, j, s0), x1 = load4<T>(b1, j, s1), x2 = load4<T>(b2, j, s2), x3 = load4<T>(b3, j, s3);
        a0 = f32x4.add(a0, f32x4.mul(qa4, x0));
        a1 = f32x4.add(a1, f32x4.mul(qa4, x1));
        a2 = f32x4.add(a2, f32x4.mul(qa4, x2));
        a3 = f32x4.add(a3, f32x4.mul(qa4, x3));
        c0 = f32x4.add(c0, f32x4.mul(qb4, x0));
        c1 = f32x4.add(c1, f32x4.mul(qb4, x1));
        c2 = f32x4.add(c2, f32x4.mul(qb4, x2));
        c3 = f32x4.add(c3, f32x4.mul(qb4, x3));
      }
      k0 += bb; k1 += bb; k2 += bb; k3 += bb;
    }
    const sa = scores4(a0, a1, a2, a3, scale, p, len);
    const sb = scores4(c0, c1, c2, c3, scale, p, len);
    const bma = max4(sa);
    if (bma > ma) {
      const c = expf(ma - bma);
      scaleRow(op, rowBytes, c);
      la *= c;
      ma = bma;
    }
    const bmb = max4(sb);
    if (bmb > mb) {
      const c = expf(mb - bmb);
      scaleRow(opb, rowBytes, c);
      lb *= c;
      mb = bmb;
    }
    const wa = expf4(f32x4.sub(sa, f32x4.splat(ma)));
    const wb = expf4(f32x4.sub(sb, f32x4.splat(mb)));
    la += sum4(wa);
    lb += sum4(wb);
    const wa0 = f32x4.splat(f32x4.extract_lane(wa, 0)), wa1 = f32x4.splat(f32x4.extract_lane(wa, 1));
    const wa2 = f32x4.splat(f32x4.extract_lane(wa, 2)), wa3 = f32x4.splat(f32x4.extract_lane(wa, 3));
    const wb0 = f32x4.splat(f32x4.extract_lane(wb, 0)), wb1 = f32x4.splat(f32x4.extract_lane(wb, 1));
    const wb2 = f32x4.splat(f32x4.extract_lane(wb, 2)), wb3 = f32x4.splat(f32x4.extract_lane(wb, 3));
    let v0 = kvh + <usize>load<u32>(e0, 4), v1 = kvh + <usize>load<u32>(e1, 4);
    let v2 = kvh + <usize>load<u32>(e2, 4), v3 = kvh + <usize>load<u32>(e3, 4);
    for (let d: usize = 0; d < <usize>headDim; d += bl) {
      const s0 = blockScale<T>(v0), s1 = blockScale<T>(v1), s2 = blockScale<T>(v2), s3 = blockScale<T>(v3);
      const ox = op + (d << 2), oy = opb + (d << 2);
      const b0 = v0 + qa, b1 = v1 + qa, b2 = v2 + qa, b3 = v3 + qa;
      for (let j: usize = 0; j < bl; j += 4) {
        const x0 = load4<T>(b0, j, s0), x1 = load4<T>(b1, j, s1), x2 = load4<T>(b2, j, s2), x3 = load4<T>(b3, j, s3);
        const o = ox + (j << 2), ob = oy + (j << 2);
        v128.store(o, f32x4.add(v128.load(o), f32x4.add(
          f32x4.add(f32x4.mul(wa0, x0), f32x4.mul(wa1, x1)), f32x4.add(f32x4.mul(wa2, x2), f32x4.mul(wa3, x3)))));
        v128.store(ob, f32x4.add(v128.load(ob), f32x4.add(
          f32x4.add(f32x4.mul(wb0, x0), f32x4.mul(wb1, x1)), f32x4.add(f32x4.mul(wb2, x2), f32x4.mul(wb3, x3)))));
      }
      v0 += bb; v1 += bb; v2 += bb; v3 += bb;
    }
  }
  scaleRow(op, rowBytes, 1.0 / la);
  scaleRow(opb, rowBytes, 1.0 / lb);
}

/** e^x of n floats at src into dst, four lanes at a time then one by one (for the tests). */
export function expArray(src: usize, dst: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), expf4(v128.load(src + (<usize>i << 2))));
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), expf(load<f32>(src + (<usize>i << 2))));
}
