// Matmul kernels for the quantized weight types against quantized activations (activations.ts).
//
// Every type is handled as a sequence of 32-element groups. For each group the weights are
// unpacked once into four i16x8 vectors (in the activations' EO16 order) plus
//   wd   the float that scales the group's integer dot (block scale, or d for types whose finer
//        per-16 scales are multiplied into the i16 weights),
//   wmA  the coefficient of the group's Σx̃ (or of its first 16-value half's), for formats whose
//        values carry an offset or min — x = d·q + m, or a signed q stored with a bias like q − 8,
//   wmB  the coefficient of the second 16-value half's Σx̃ (per-16 formats only).
// The unpacked group is then used for every token of the tile (4 tokens in prefill, 1 in decode),
// so prefill unpacks each weight once per tile, not once per token. In decode, the K-quants
// unpack two sub-blocks per step (w4..w7, wdB, wmC, wmD) that come from the same loaded bytes.
// Whatever the tile or step width, each output adds the same terms in the same order, so a matmul
// equals a sequence of matvecs bit for bit.
//
// Functions are @inline with constant `kind`/`NT` arguments so the optimizer specializes one copy
// per type and tile width, with the other types' branches folded away.

import {
  Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K,
  loadF16, hsumF32, dot32, fmaI32, tokenChunk,
} from './common';
import { activationStride } from './activations';

/** Tokens per tile in prefill. */
const TILE = 4;

// @ts-ignore: decorator
@inline function isK(kind: i32): bool {
  return kind == Q2_K || kind == Q3_K || kind == Q4_K || kind == Q5_K || kind == Q6_K;
}

/**
 * 32-groups unpacked per step: 2 where two sub-blocks share the same loaded bytes, in decode only
 * (with a 4-token tile the eight extra live vectors spill and cost more than they save).
 */
// @ts-ignore: decorator
@inline function groupsPerStep(kind: i32, NT: i32): i32 {
  return NT == 1 && isK(kind) ? 2 : 1;
}

/** How far (in 32-groups) the second group of a step is from the first. */
// @ts-ignore: decorator
@inline function pairDistance(kind: i32): i32 {
  return kind == Q6_K ? 2 : 1;
}

/**
 * The sub-block visited at step position j. Q6_K pairs sub-blocks k and k+2 (they share ql
 * bytes), so it visits 0,2,1,3,4,6,5,7 — with or without pairing, so that decode and prefill add
 * the groups in the same order and give bit-identical results.
 */
// @ts-ignore: decorator
@inline function visit(kind: i32, j: i32): i32 {
  return kind == Q6_K ? (j & 4) | ((j & 1) << 1) | ((j >> 1) & 1) : j;
}

/** Formats whose min/offset term uses per-16 activation sums. */
// @ts-ignore: decorator
@inline function minPer16(kind: i32): bool {
  return kind == Q2_K || kind == Q3_K || kind == Q6_K;
}

// @ts-ignore: decorator
@inline function hasMin(kind: i32): bool {
  return kind != Q8_0 && kind != IQ4_NL;
}

// @ts-ignore: decorator
@inline function blockBytes(kind: i32): usize {
  switch (kind) {
    case Q4_0: return 18;
    case Q4_1: return 20;
    case Q5_0: return 22;
    case Q5_1: return 24;
    case Q8_0: return 34;
    case IQ4_NL: return 18;
    case Q2_K: return 84;
    case Q3_K: return 110;
    case Q4_K: return 144;
    case Q5_K: return 176;
    default: return 210; // Q6_K
  }
}

/** Sign-extends the even bytes of `v` into i16 lanes. */
// @ts-ignore: decorator
@inline function evenI8(v: v128): v128 {
  return i16x8.shr_s(i16x8.shl(v, 8), 8);
}

/** Sign-extends the odd bytes of `v` into i16 lanes. */
// @ts-ignore: decorator
@inline function oddI8(v: v128): v128 {
  return i16x8.shr_s(v, 8);
}

/** The Q5 fifth bit of the lanes selected by `mask` (one bit per i16 lane), as 16 or 0. */
// @ts-ignore: decorator
@inline function bit5(bits: v128, mask: v128): v128 {
  return v128.and(i16x8.eq(v128.and(bits, mask), mask), i16x8.splat(16));
}

/** Q4_K/Q5_K: the j-th 6-bit scale (packed with the mins in 12 bytes at `p`). */
// @ts-ignore: decorator
@inline function k4Scale(p: usize, j: i32): u32 {
  return j < 4
    ? <u32>load<u8>(p + j) & 63
    : (<u32>load<u8>(p + j + 4) & 0xf) | ((<u32>load<u8>(p + j - 4) >> 6) << 4);
}

/** Q4_K/Q5_K: the j-th 6-bit min. */
// @ts-ignore: decorator
@inline function k4Min(p: usize, j: i32): u32 {
  return j < 4
    ? <u32>load<u8>(p + j + 4) & 63
    : (<u32>load<u8>(p + j + 4) >> 4) | ((<u32>load<u8>(p + j) >> 6) << 4);
}

/** Q3_K: the g-th of 16 signed 6-bit scales packed in 12 bytes at `p`. */
// @ts-ignore: decorator
@inline function q3Scale(p: usize, g: i32): i32 {
  const low = g < 8 ? <i32>load<u8>(p + g) & 0xf : <i32>load<u8>(p + g - 8) >> 4;
  const high = (<i32>load<u8>(p + 8 + (g & 3)) >> ((g >> 2) << 1)) & 3;
  return (low | (high << 4)) - 32;
}

/**
 * One weight row against NT (1 or 4) consecutive quantized activation rows starting at `a0`;
 * writes NT outputs `outStride` bytes apart from `out`.
 */
// @ts-ignore: decorator
@inline function rowTile(
  kind: i32, NT: i32, row: usize, cols: i32, a0: usize, tokStride: usize, out: usize, outStride: usize,
): void {
  const a1 = a0 + tokStride, a2 = a1 + tokStride, a3 = a2 + tokStride;
  const nb = cols >> 5;
  const dOff = <usize>cols << 1;
  const s32Off = dOff + (<usize>nb << 2);
  const s16Off = s32Off + (<usize>nb << 2);
  const SUB = isK(kind) ? 8 : 1;
  const NG = groupsPerStep(kind, NT);
  const nsb = nb / SUB;
  const M4 = i16x8.splat(0x0f);
  const M3 = i16x8.splat(0x03);
  const ONE = i16x8.splat(0x01);
  const zero = f32x4.splat(0);
  let acc0 = zero, acc1 = zero, acc2 = zero, acc3 = zero;
  let mn0: f32 = 0, mn1: f32 = 0, mn2: f32 = 0, mn3: f32 = 0;
  let b = row;
  for (let s = 0; s < nsb; s++, b += blockBytes(kind)) {
    // Super-block header (K-quants) or the block's scales.
    let d: f32 = 0, dmin: f32 = 0;
    let h0 = zero, h1 = zero; // Q5_K high bits / Q3_K hmask, loaded once per super-block
    if (kind == Q4_0 || kind == Q5_0 || kind == Q8_0 || kind == IQ4_NL) d = loadF16(b);
    if (kind == Q4_1 || kind == Q5_1) { d = loadF16(b); dmin = loadF16(b + 2); }
    if (kind == Q4_K || kind == Q5_K) { d = loadF16(b); dmin = loadF16(b + 2); }
    if (kind == Q5_K) { h0 = v128.load(b, 16); h1 = v128.load(b, 32); }
    if (kind == Q6_K) d = loadF16(b + 208);
    if (kind == Q3_K) { d = loadF16(b + 108); h0 = v128.load(b); h1 = v128.load(b, 16); }
    if (kind == Q2_K) { d = loadF16(b + 80); dmin = loadF16(b + 82); }

    for (let step = 0; step < SUB; step += NG) {
      const j = visit(kind, step); // sub-block within the super-block
      const g = s * SUB + j; // global 32-group index
      let w0 = zero, w1 = zero, w2 = zero, w3 = zero;
      let wd: f32 = d, wmA: f32 = 0, wmB: f32 = 0;
      // The second group's weights and coefficients when NG = 2.
      let w4 = zero, w5 = zero, w6 = zero, w7 = zero;
      let wdB: f32 = 0, wmC: f32 = 0, wmD: f32 = 0;

      if (kind == Q4_0 || kind == Q4_1) {
        // qs[16]: low nibbles are elements 0..15, high nibbles 16..31.
        const v = v128.load(b + (kind == Q4_0 ? 2 : 4));
        w0 = v128.and(v, M4);
        w1 = v128.and(i16x8.shr_u(v, 8), M4);
        w2 = v128.and(i16x8.shr_u(v, 4), M4);
        w3 = i16x8.shr_u(v, 12);
        wmA = kind == Q4_0 ? -8 * d : dmin;
      } else if (kind == Q5_0 || kind == Q5_1) {
        // qh (u32) holds the fifth bit of element i at bit i.
        const qh = load<u32>(b + (kind == Q5_0 ? 2 : 4));
        const v = v128.load(b + (kind == Q5_0 ? 6 : 8));
        const lo = i16x8.splat(<i16>qh), hi = i16x8.splat(<i16>(qh >> 16));
        const ME = i16x8(1, 4, 16, 64, 256, 1024, 4096, 16384);
        const MO = i16x8(2, 8, 32, 128, 512, 2048, 8192, -32768);
        w0 = v128.or(v128.and(v, M4), bit5(lo, ME));
        w1 = v128.or(v128.and(i16x8.shr_u(v, 8), M4), bit5(lo, MO));
        w2 = v128.or(v128.and(i16x8.shr_u(v, 4), M4), bit5(hi, ME));
        w3 = v128.or(i16x8.shr_u(v, 12), bit5(hi, MO));
        wmA = kind == Q5_0 ? -16 * d : dmin;
      } else if (kind == Q8_0) {
        const v = v128.load(b, 2), u = v128.load(b, 18);
        w0 = evenI8(v); w1 = oddI8(v); w2 = evenI8(u); w3 = oddI8(u);
      } else if (kind == IQ4_NL) {
        const table = i8x16(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);
        const v = v128.load(b, 2);
        const lo = i8x16.swizzle(table, v128.and(v, i8x16.splat(0x0f)));
        const hi = i8x16.swizzle(table, i8x16.shr_u(v, 4));
        w0 = evenI8(lo); w1 = oddI8(lo); w2 = evenI8(hi); w3 = oddI8(hi);
      } else if ((kind == Q4_K || kind == Q5_K) && NG == 1) {
        // 64-element chunk j/2 is 32 bytes of qs: sub-block j in the low nibbles if j is even,
        // in the high ones if odd.
        const qs = b + (kind == Q4_K ? 16 : 48) + (<usize>(j >> 1) << 5);
        const va = v128.load(qs), vb = v128.load(qs, 16);
        const sh = (j & 1) << 2;
        w0 = v128.and(i16x8.shr_u(va, sh), M4);
        w1 = v128.and(i16x8.shr_u(va, sh + 8), M4);
        w2 = v128.and(i16x8.shr_u(vb, sh), M4);
        w3 = v128.and(i16x8.shr_u(vb, sh + 8), M4);
        if (kind == Q5_K) {
          // qh[l] bit j is the fifth bit of element 32j + l.
          w0 = v128.or(w0, i16x8.shl(v128.and(i16x8.shr_u(h0, j), ONE), 4));
          w1 = v128.or(w1, i16x8.shl(v128.and(i16x8.shr_u(h0, j + 8), ONE), 4));
          w2 = v128.or(w2, i16x8.shl(v128.and(i16x8.shr_u(h1, j), ONE), 4));
          w3 = v128.or(w3, i16x8.shl(v128.and(i16x8.shr_u(h1, j + 8), ONE), 4));
        }
        wd = d * <f32>k4Scale(b + 4, j);
        wmA = -dmin * <f32>k4Min(b + 4, j);
      } else if (kind == Q4_K || kind == Q5_K) {
        // NG = 2:
        // 64-element chunk j/2 is 32 bytes of qs: sub-block j in the low nibbles, j+1 in the high
        // ones, so both are unpacked together (NG = 2) from the same two loads.
        const qs = b + (kind == Q4_K ? 16 : 48) + (<usize>(j >> 1) << 5);
        const va = v128.load(qs), vb = v128.load(qs, 16);
        w0 = v128.and(va, M4);
        w1 = v128.and(i16x8.shr_u(va, 8), M4);
        w2 = v128.and(vb, M4);
        w3 = v128.and(i16x8.shr_u(vb, 8), M4);
        w4 = v128.and(i16x8.shr_u(va, 4), M4);
        w5 = i16x8.shr_u(va, 12);
        w6 = v128.and(i16x8.shr_u(vb, 4), M4);
        w7 = i16x8.shr_u(vb, 12);
        if (kind == Q5_K) {
          // qh[l] bit j is the fifth bit of element 32j + l: after shifting by j, bit 0 (even
          // bytes) / 8 (odd bytes) belongs to sub-block j and bit 1 / 9 to sub-block j+1.
          const ha = i16x8.shr_u(h0, j), hb = i16x8.shr_u(h1, j);
          const B4 = i16x8.splat(0x10);
          w0 = v128.or(w0, v128.and(i16x8.shl(ha, 4), B4));
          w1 = v128.or(w1, v128.and(i16x8.shr_u(ha, 4), B4));
          w2 = v128.or(w2, v128.and(i16x8.shl(hb, 4), B4));
          w3 = v128.or(w3, v128.and(i16x8.shr_u(hb, 4), B4));
          w4 = v128.or(w4, v128.and(i16x8.shl(ha, 3), B4));
          w5 = v128.or(w5, v128.and(i16x8.shr_u(ha, 5), B4));
          w6 = v128.or(w6, v128.and(i16x8.shl(hb, 3), B4));
          w7 = v128.or(w7, v128.and(i16x8.shr_u(hb, 5), B4));
        }
        wd = d * <f32>k4Scale(b + 4, j);
        wmA = -dmin * <f32>k4Min(b + 4, j);
        wdB = d * <f32>k4Scale(b + 4, j + 1);
        wmC = -dmin * <f32>k4Min(b + 4, j + 1);
      } else if (kind == Q6_K && NG == 2) {
        // Sub-blocks j and j+2 (j = 0 or 1 within a 128-element half): the low and the high
        // nibbles of the same ql[32j..32j+32], with bits 2j..2j+1 and 2j+4..2j+5 of qh.
        const k = j & 1;
        const ql = b + (<usize>(j >> 2) << 6) + (<usize>k << 5);
        const qh = b + 128 + (<usize>(j >> 2) << 5);
        const la = v128.load(ql), lb = v128.load(ql, 16);
        const ha = i16x8.shr_u(v128.load(qh), k << 1), hb = i16x8.shr_u(v128.load(qh, 16), k << 1);
        const M30 = i16x8.splat(0x30);
        w0 = v128.or(v128.and(la, M4), v128.and(i16x8.shl(ha, 4), M30));
        w1 = v128.or(v128.and(i16x8.shr_u(la, 8), M4), v128.and(i16x8.shr_u(ha, 4), M30));
        w2 = v128.or(v128.and(lb, M4), v128.and(i16x8.shl(hb, 4), M30));
        w3 = v128.or(v128.and(i16x8.shr_u(lb, 8), M4), v128.and(i16x8.shr_u(hb, 4), M30));
        w4 = v128.or(v128.and(i16x8.shr_u(la, 4), M4), v128.and(ha, M30));
        w5 = v128.or(i16x8.shr_u(la, 12), v128.and(i16x8.shr_u(ha, 8), M30));
        w6 = v128.or(v128.and(i16x8.shr_u(lb, 4), M4), v128.and(hb, M30));
        w7 = v128.or(i16x8.shr_u(lb, 12), v128.and(i16x8.shr_u(hb, 8), M30));
        const sp = b + 192 + (j << 1);
        const sc0 = <i32>load<i8>(sp), sc1 = <i32>load<i8>(sp, 1);
        const sc2 = <i32>load<i8>(sp, 4), sc3 = <i32>load<i8>(sp, 5);
        const s0 = i16x8.splat(<i16>sc0), s1 = i16x8.splat(<i16>sc1);
        const s2 = i16x8.splat(<i16>sc2), s3 = i16x8.splat(<i16>sc3);
        w0 = i16x8.mul(w0, s0); w1 = i16x8.mul(w1, s0);
        w2 = i16x8.mul(w2, s1); w3 = i16x8.mul(w3, s1);
        w4 = i16x8.mul(w4, s2); w5 = i16x8.mul(w5, s2);
        w6 = i16x8.mul(w6, s3); w7 = i16x8.mul(w7, s3);
        wdB = d;
        wmA = -32 * d * <f32>sc0;
        wmB = -32 * d * <f32>sc1;
        wmC = -32 * d * <f32>sc2;
        wmD = -32 * d * <f32>sc3;
      } else if (kind == Q6_K) {
        // Half h = j/4 of the super-block uses ql[64h..], qh[32h..]; within it, sub-block k = j%4
        // takes the low (k < 2) or high nibbles of ql[32(k&1)..] and bits 2k..2k+1 of qh.
        const k = j & 3;
        const ql = b + (<usize>(j >> 2) << 6) + (<usize>(k & 1) << 5);
        const qh = b + 128 + (<usize>(j >> 2) << 5);
        const la = v128.load(ql), lb = v128.load(ql, 16);
        const ha = v128.load(qh), hb = v128.load(qh, 16);
        const ns = (k >> 1) << 2;
        const hs = k << 1;
        const M30 = i16x8.splat(0x30);
        w0 = v128.or(v128.and(i16x8.shr_u(la, ns), M4), i16x8.shl(v128.and(i16x8.shr_u(ha, hs), M3), 4));
        w1 = v128.or(v128.and(i16x8.shr_u(la, ns + 8), M4), v128.and(i16x8.shr_u(ha, hs + 4), M30));
        w2 = v128.or(v128.and(i16x8.shr_u(lb, ns), M4), i16x8.shl(v128.and(i16x8.shr_u(hb, hs), M3), 4));
        w3 = v128.or(v128.and(i16x8.shr_u(lb, ns + 8), M4), v128.and(i16x8.shr_u(hb, hs + 4), M30));
        const sc0 = <i32>load<i8>(b + 192 + (j << 1));
        const sc1 = <i32>load<i8>(b + 193 + (j << 1));
        const s0 = i16x8.splat(<i16>sc0), s1 = i16x8.splat(<i16>sc1);
        w0 = i16x8.mul(w0, s0); w1 = i16x8.mul(w1, s0);
        w2 = i16x8.mul(w2, s1); w3 = i16x8.mul(w3, s1);
        wmA = -32 * d * <f32>sc0;
        wmB = -32 * d * <f32>sc1;
      } else if (kind == Q3_K && NG == 2) {
        // Sub-blocks j and j+1 (j even): bits 2k..2k+1 and 2k+2..2k+3 of the same qs bytes
        // (k = j % 4), hmask bits j and j+1.
        const k = j & 3;
        const qs = b + 32 + (<usize>(j >> 2) << 5);
        const qa = i16x8.shr_u(v128.load(qs), k << 1), qb = i16x8.shr_u(v128.load(qs, 16), k << 1);
        const ha = i16x8.shr_u(h0, j), hb = i16x8.shr_u(h1, j);
        const B2 = i16x8.splat(0x04);
        w0 = v128.or(v128.and(qa, M3), v128.and(i16x8.shl(ha, 2), B2));
        w1 = v128.or(v128.and(i16x8.shr_u(qa, 8), M3), v128.and(i16x8.shr_u(ha, 6), B2));
        w2 = v128.or(v128.and(qb, M3), v128.and(i16x8.shl(hb, 2), B2));
        w3 = v128.or(v128.and(i16x8.shr_u(qb, 8), M3), v128.and(i16x8.shr_u(hb, 6), B2));
        w4 = v128.or(v128.and(i16x8.shr_u(qa, 2), M3), v128.and(i16x8.shl(ha, 1), B2));
        w5 = v128.or(v128.and(i16x8.shr_u(qa, 10), M3), v128.and(i16x8.shr_u(ha, 7), B2));
        w6 = v128.or(v128.and(i16x8.shr_u(qb, 2), M3), v128.and(i16x8.shl(hb, 1), B2));
        w7 = v128.or(v128.and(i16x8.shr_u(qb, 10), M3), v128.and(i16x8.shr_u(hb, 7), B2));
        const sc0 = q3Scale(b + 96, j << 1), sc1 = q3Scale(b + 96, (j << 1) + 1);
        const sc2 = q3Scale(b + 96, (j << 1) + 2), sc3 = q3Scale(b + 96, (j << 1) + 3);
        w0 = i16x8.mul(w0, i16x8.splat(<i16>sc0)); w1 = i16x8.mul(w1, i16x8.splat(<i16>sc0));
        w2 = i16x8.mul(w2, i16x8.splat(<i16>sc1)); w3 = i16x8.mul(w3, i16x8.splat(<i16>sc1));
        w4 = i16x8.mul(w4, i16x8.splat(<i16>sc2)); w5 = i16x8.mul(w5, i16x8.splat(<i16>sc2));
        w6 = i16x8.mul(w6, i16x8.splat(<i16>sc3)); w7 = i16x8.mul(w7, i16x8.splat(<i16>sc3));
        wdB = d;
        wmA = -4 * d * <f32>sc0;
        wmB = -4 * d * <f32>sc1;
        wmC = -4 * d * <f32>sc2;
        wmD = -4 * d * <f32>sc3;
      } else if (kind == Q2_K && NG == 2) {
        // Sub-blocks j and j+1 (j even): bits 2k..2k+1 and 2k+2..2k+3 of the same qs bytes.
        const k = j & 3;
        const qs = b + 16 + (<usize>(j >> 2) << 5);
        const qa = i16x8.shr_u(v128.load(qs), k << 1), qb = i16x8.shr_u(v128.load(qs, 16), k << 1);
        w0 = v128.and(qa, M3);
        w1 = v128.and(i16x8.shr_u(qa, 8), M3);
        w2 = v128.and(qb, M3);
        w3 = v128.and(i16x8.shr_u(qb, 8), M3);
        w4 = v128.and(i16x8.shr_u(qa, 2), M3);
        w5 = v128.and(i16x8.shr_u(qa, 10), M3);
        w6 = v128.and(i16x8.shr_u(qb, 2), M3);
        w7 = v128.and(i16x8.shr_u(qb, 10), M3);
        const sp = b + (j << 1);
        const sc0 = <i32>load<u8>(sp), sc1 = <i32>load<u8>(sp, 1);
        const sc2 = <i32>load<u8>(sp, 2), sc3 = <i32>load<u8>(sp, 3);
        w0 = i16x8.mul(w0, i16x8.splat(<i16>(sc0 & 0xf))); w1 = i16x8.mul(w1, i16x8.splat(<i16>(sc0 & 0xf)));
        w2 = i16x8.mul(w2, i16x8.splat(<i16>(sc1 & 0xf))); w3 = i16x8.mul(w3, i16x8.splat(<i16>(sc1 & 0xf)));
        w4 = i16x8.mul(w4, i16x8.splat(<i16>(sc2 & 0xf))); w5 = i16x8.mul(w5, i16x8.splat(<i16>(sc2 & 0xf)));
        w6 = i16x8.mul(w6, i16x8.splat(<i16>(sc3 & 0xf))); w7 = i16x8.mul(w7, i16x8.splat(<i16>(sc3 & 0xf)));
        wdB = d;
        wmA = -dmin * <f32>(sc0 >> 4);
        wmB = -dmin * <f32>(sc1 >> 4);
        wmC = -dmin * <f32>(sc2 >> 4);
        wmD = -dmin * <f32>(sc3 >> 4);
      } else if (kind == Q3_K) {
        // qs[32h..] bits 2k..2k+1 (h = j/4, k = j%4), plus hmask bit j as the third bit; stored
        // values are q − 4 with q in 0..7.
        const k = j & 3;
        const qs = b + 32 + (<usize>(j >> 2) << 5);
        const va = v128.load(qs), vb = v128.load(qs, 16);
        const sh = k << 1;
        w0 = v128.or(v128.and(i16x8.shr_u(va, sh), M3), i16x8.shl(v128.and(i16x8.shr_u(h0, j), ONE), 2));
        w1 = v128.or(v128.and(i16x8.shr_u(va, sh + 8), M3), i16x8.shl(v128.and(i16x8.shr_u(h0, j + 8), ONE), 2));
        w2 = v128.or(v128.and(i16x8.shr_u(vb, sh), M3), i16x8.shl(v128.and(i16x8.shr_u(h1, j), ONE), 2));
        w3 = v128.or(v128.and(i16x8.shr_u(vb, sh + 8), M3), i16x8.shl(v128.and(i16x8.shr_u(h1, j + 8), ONE), 2));
        const sc0 = q3Scale(b + 96, j << 1);
        const sc1 = q3Scale(b + 96, (j << 1) + 1);
        const s0 = i16x8.splat(<i16>sc0), s1 = i16x8.splat(<i16>sc1);
        w0 = i16x8.mul(w0, s0); w1 = i16x8.mul(w1, s0);
        w2 = i16x8.mul(w2, s1); w3 = i16x8.mul(w3, s1);
        wmA = -4 * d * <f32>sc0;
        wmB = -4 * d * <f32>sc1;
      } else if (kind == Q2_K) {
        // qs[32h..] bits 2k..2k+1; scales byte = 4-bit scale | 4-bit min << 4, one per 16 values.
        const k = j & 3;
        const qs = b + 16 + (<usize>(j >> 2) << 5);
        const va = v128.load(qs), vb = v128.load(qs, 16);
        const sh = k << 1;
        w0 = v128.and(i16x8.shr_u(va, sh), M3);
        w1 = v128.and(i16x8.shr_u(va, sh + 8), M3);
        w2 = v128.and(i16x8.shr_u(vb, sh), M3);
        w3 = v128.and(i16x8.shr_u(vb, sh + 8), M3);
        const sc0 = <i32>load<u8>(b + (j << 1));
        const sc1 = <i32>load<u8>(b + (j << 1) + 1);
        const s0 = i16x8.splat(<i16>(sc0 & 0xf)), s1 = i16x8.splat(<i16>(sc1 & 0xf));
        w0 = i16x8.mul(w0, s0); w1 = i16x8.mul(w1, s0);
        w2 = i16x8.mul(w2, s1); w3 = i16x8.mul(w3, s1);
        wmA = -dmin * <f32>(sc0 >> 4);
        wmB = -dmin * <f32>(sc1 >> 4);
      }

      const qo = <usize>g << 6;
      const fo = <usize>g << 2;
      acc0 = fmaI32(acc0, dot32(w0, w1, w2, w3, a0 + qo), wd * load<f32>(a0 + dOff + fo));
      if (NT >= 2) acc1 = fmaI32(acc1, dot32(w0, w1, w2, w3, a1 + qo), wd * load<f32>(a1 + dOff + fo));
      if (NT == 4) {
        acc2 = fmaI32(acc2, dot32(w0, w1, w2, w3, a2 + qo), wd * load<f32>(a2 + dOff + fo));
        acc3 = fmaI32(acc3, dot32(w0, w1, w2, w3, a3 + qo), wd * load<f32>(a3 + dOff + fo));
      }
      if (NG == 2) {
        const qo2 = qo + (<usize>pairDistance(kind) << 6);
        const fo2 = fo + (<usize>pairDistance(kind) << 2);
        acc0 = fmaI32(acc0, dot32(w4, w5, w6, w7, a0 + qo2), wdB * load<f32>(a0 + dOff + fo2));
      }
      if (hasMin(kind)) {
        if (minPer16(kind)) {
          const so = s16Off + (<usize>g << 3);
          mn0 += wmA * load<f32>(a0 + so) + wmB * load<f32>(a0 + so, 4);
          if (NT >= 2) mn1 += wmA * load<f32>(a1 + so) + wmB * load<f32>(a1 + so, 4);
          if (NT == 4) {
            mn2 += wmA * load<f32>(a2 + so) + wmB * load<f32>(a2 + so, 4);
            mn3 += wmA * load<f32>(a3 + so) + wmB * load<f32>(a3 + so, 4);
          }
          if (NG == 2) {
            const so2 = so + (<usize>pairDistance(kind) << 3);
            mn0 += wmC * load<f32>(a0 + so2) + wmD * load<f32>(a0 + so2, 4);
          }
        } else if (NG == 2) {
          // Two separate additions, in group order: exactly what NG = 1 does over two steps, so
          // decode and prefill give bit-identical results.
          const so = s32Off + fo;
          mn0 += wmA * load<f32>(a0 + so);
          mn0 += wmC * load<f32>(a0 + so + (<usize>pairDistance(kind) << 2));
        } else {
          const so = s32Off + fo;
          mn0 += wmA * load<f32>(a0 + so);
          if (NT >= 2) mn1 += wmA * load<f32>(a1 + so);
          if (NT == 4) {
            mn2 += wmA * load<f32>(a2 + so);
            mn3 += wmA * load<f32>(a3 + so);
          }
        }
      }
    }
  }
  store<f32>(out, hsumF32(acc0) + mn0);
  if (NT >= 2) store<f32>(out + outStride, hsumF32(acc1) + mn1);
  if (NT == 4) {
    store<f32>(out + 2 * outStride, hsumF32(acc2) + mn2);
    store<f32>(out + 3 * outStride, hsumF32(acc3) + mn3);
  }
}

/**
 * Rows [r0, r1) of the weight matrix at `w` times `nTokens` quantized activation rows at `act`;
 * out[t·rows + r] (f32) for every token t.
 */
// @ts-ignore: decorator
@inline function quantizedMatmul(
  kind: i32, w: usize, rowBytes: usize, rows: i32, cols: i32, r0: i32, r1: i32, act: usize, nTokens: i32, out: usize,
): void {
  const tokStride = activationStride(cols);
  const outStride = <usize>rows << 2;
  const chunk = tokenChunk(tokStride);
  for (let tc = 0; tc < nTokens; tc += chunk) {
    const te = min(nTokens, tc + chunk);
    for (let r = r0; r < r1; r++) {
      const row = w + <usize>r * rowBytes;
      let t = tc;
      for (; t + TILE <= te; t += TILE) {
        rowTile(kind, TILE, row, cols, act + <usize>t * tokStride, tokStride, out + <usize>t * outStride + (<usize>r << 2), outStride);
      }
      for (; t < te; t++) {
        rowTile(kind, 1, row, cols, act + <usize>t * tokStride, tokStride, out + <usize>t * outStride + (<usize>r << 2), outStride);
      }
    }
  }
}

export function matmulQ4_0(w: usize, rowBytes: usize, rows: i32, cols: i32, r0: i32, r1: i32, act: usize, n: i32, out: usize): void {
  quantizedMatmul(Q4_0, w, rowBytes, rows, cols, r0, r1, act, n, out);
}
export function matmulQ4_1(w: usize, rowBytes: usize, rows: i32, cols: i32, r0: i32, r1: i32, act: usize, n: i32, out: usize): void {
  quantizedMatmul(Q4_1, w, rowBytes, rows, cols, r0, r1, act, n, out);
}
export function matmulQ5_0(w: usize, rowBytes: usize, rows: i32, cols: i32, r0: i32, r1: i32, act: usize, n: i32, out: usize): void {
  quantizedMatmul(Q5_0, w, rowBytes, rows, cols, r0, r1, act, n, out);
}
export function matmulQ5_1(w: usize, rowBytes: usize, rows: i32, cols: i32, r0: i32, r1: i32, act: usize, n: i32, out: usize): void {
  quantizedMatmul(Q5_1, w, rowBytes, rows, cols, r0, r1, act, n, out);
}
export function matmulQ8_0(w: usize, rowBytes: usize, rows: i32, cols: i32, r0: i32, r1: i32, act: usize, n: i32, out: usize): void {
  quantizedMatmul(Q8_0, w, rowBytes, rows, cols, r0, r1, act, n, out);
}
export function matmulIQ4_NL(w: usize, rowBytes: usize, rows: i32, cols: i32, r0: i32, r1: i32, act: usize, n: i32, out: usize): void {
  quantizedMatmul(IQ4_NL, w, rowBytes, rows, cols, r0, r1, act, n, out);
}
export function matmulQ2_K(w: usize, rowBytes: usize, rows: i32, cols: i32, r0: i32, r1: i32, act: usize, n: i32, out: usize): void {
  quantizedMatmul(Q2_K, w, rowBytes, rows, cols, r0, r1, act, n, out);
}
export function matmulQ3_K(w: usize, rowBytes: usize, rows: i32, cols: i32, r0: i32, r1: i32, act: usize, n: i32, out: usize): void {
  quantizedMatmul(Q3_K, w, rowBytes, rows, cols, r0, r1, act, n, out);
}
export function matmulQ4_K(w: usize, rowBytes: usize, rows: i32, cols: i32, r0: i32, r1: i32, act: usize, n: i32, out: usize): void {
  quantizedMatmul(Q4_K, w, rowBytes, rows, cols, r0, r1, act, n, out);
}
export function matmulQ5_K(w: usize, rowBytes: usize, rows: i32, cols: i32, r0: i32, r1: i32, act: usize, n: i32, out: usize): void {
  quantizedMatmul(Q5_K, w, rowBytes, rows, cols, r0, r1, act, n, out);
}
export function matmulQ6_K(w: usize, rowBytes: usize, rows: i32, cols: i32, r0: i32, r1: i32, act: usize, n: i32, out: usize): void {
  quantizedMatmul(Q6_K, w, rowBytes, rows, cols, r0, r1, act, n, out);
}
