/**
 * An independent, deliberately literal transcription of ggml's reference C code (ggml-impl.h
 * fp16 bit tricks, ggml-quants.c dequantize_row_* and quantize_row_{q8_0,q4_0}_ref), used only as
 * the oracle in tests. It keeps ggml's structure — pointer-walking output, the kmask/aux word
 * shuffle for Q3_K scales, get_scale_min_k4 — and rounds every float operation to f32 the way C
 * does, so it shares no code and little shape with src/formats.
 */
import { GGMLType } from '../../src/types.js';

const F = Math.fround;
const word = new DataView(new ArrayBuffer(4));

function fp32FromBits(u: number): number {
  word.setUint32(0, u >>> 0, true);
  return word.getFloat32(0, true);
}

function fp32ToBits(f: number): number {
  word.setFloat32(0, f, true);
  return word.getUint32(0, true);
}

/** ggml_compute_fp16_to_fp32 (portable version). */
export function ggmlFp16ToFp32(h: number): number {
  const w = (h << 16) >>> 0;
  const sign = (w & 0x80000000) >>> 0;
  const two_w = (w + w) >>> 0;
  const exp_offset = (0xe0 << 23) >>> 0;
  const exp_scale = 2 ** -112;
  const normalized_value = F(fp32FromBits((two_w >>> 4) + exp_offset) * exp_scale);
  const magic_mask = (126 << 23) >>> 0;
  const magic_bias = 0.5;
  const denormalized_value = F(fp32FromBits((two_w >>> 17) | magic_mask) - magic_bias);
  const denormalized_cutoff = 1 << 27;
  const result = (sign | (two_w < denormalized_cutoff ? fp32ToBits(denormalized_value) : fp32ToBits(normalized_value))) >>> 0;
  return fp32FromBits(result);
}

/** ggml_compute_fp32_to_fp16 (portable version). */
export function ggmlFp32ToFp16(fIn: number): number {
  const f = F(fIn);
  const scale_to_inf = 2 ** 112;
  const scale_to_zero = 2 ** -110;
  let base = F(F(Math.abs(f) * scale_to_inf) * scale_to_zero);
  const w = fp32ToBits(f);
  const shl1_w = (w + w) >>> 0;
  const sign = (w & 0x80000000) >>> 0;
  let bias = (shl1_w & 0xff000000) >>> 0;
  if (bias < 0x71000000) bias = 0x71000000;
  base = F(fp32FromBits(((bias >>> 1) + 0x07800000) >>> 0) + base);
  const bits = fp32ToBits(base);
  const exp_bits = (bits >>> 13) & 0x00007c00;
  const mantissa_bits = bits & 0x00000fff;
  const nonsign = exp_bits + mantissa_bits;
  return ((sign >>> 16) | (shl1_w > 0xff000000 ? 0x7e00 : nonsign)) & 0xffff;
}

function fp16At(x: Uint8Array, o: number): number {
  return ggmlFp16ToFp32(x[o] | (x[o + 1] << 8));
}

function i8(v: number): number {
  return v > 127 ? v - 256 : v;
}

/** C's roundf: halves away from zero. */
function roundf(v: number): number {
  return Math.sign(v) * Math.floor(Math.abs(v) + 0.5);
}

// ------------------------------------------------------------------ quantizers

/** quantize_row_q8_0_ref */
export function ggmlQuantizeRowQ8_0(x: Float32Array): Uint8Array {
  const QK8_0 = 32;
  const nb = x.length / QK8_0;
  const y = new Uint8Array(nb * 34);
  for (let i = 0; i < nb; i++) {
    let amax = 0;
    for (let j = 0; j < QK8_0; j++) {
      const v = x[i * QK8_0 + j];
      amax = amax > Math.abs(v) ? amax : Math.abs(v);
    }
    const d = F(amax / ((1 << 7) - 1));
    const id = d ? F(1 / d) : 0;
    const h = ggmlFp32ToFp16(d);
    y[i * 34] = h & 0xff;
    y[i * 34 + 1] = h >> 8;
    for (let j = 0; j < QK8_0; ++j) {
      const x0 = F(x[i * QK8_0 + j] * id);
      y[i * 34 + 2 + j] = roundf(x0) & 0xff;
    }
  }
  return y;
}

/** quantize_row_q4_0_ref */
export function ggmlQuantizeRowQ4_0(x: Float32Array): Uint8Array {
  const qk = 32;
  const nb = x.length / qk;
  const y = new Uint8Array(nb * 18);
  for (let i = 0; i < nb; i++) {
    let amax = 0;
    let max = 0;
    for (let j = 0; j < qk; j++) {
      const v = x[i * qk + j];
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = F(max / -8);
    const id = d ? F(1 / d) : 0;
    const h = ggmlFp32ToFp16(d);
    y[i * 18] = h & 0xff;
    y[i * 18 + 1] = h >> 8;
    for (let j = 0; j < qk / 2; ++j) {
      const x0 = F(x[i * qk + 0 + j] * id);
      const x1 = F(x[i * qk + qk / 2 + j] * id);
      // (int8_t)(x0 + 8.5f): conversion truncates toward zero
      const xi0 = Math.min(15, Math.trunc(F(x0 + 8.5)));
      const xi1 = Math.min(15, Math.trunc(F(x1 + 8.5)));
      y[i * 18 + 2 + j] = xi0 | (xi1 << 4);
    }
  }
  return y;
}

// ------------------------------------------------------------------ dequantizers

const kvalues_iq4nl = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];

function get_scale_min_k4(j: number, x: Uint8Array, q: number): [number, number] {
  if (j < 4) return [x[q + j] & 63, x[q + j + 4] & 63];
  return [(x[q + j + 4] & 0xf) | ((x[q + j - 4] >> 6) << 4), (x[q + j + 4] >> 4) | ((x[q + j - 0] >> 6) << 4)];
}

/** dequantize_row_* for `type`, over k elements of blocks starting at x[0]. */
export function ggmlDequantize(type: GGMLType, x: Uint8Array, k: number): Float32Array {
  const y = new Float32Array(k);
  let yi = 0;
  switch (type) {
    case GGMLType.Q4_0:
      for (let i = 0; i < k / 32; i++) {
        const b = i * 18;
        const d = fp16At(x, b);
        for (let j = 0; j < 16; ++j) {
          y[i * 32 + j] = F(((x[b + 2 + j] & 0x0f) - 8) * d);
          y[i * 32 + j + 16] = F(((x[b + 2 + j] >> 4) - 8) * d);
        }
      }
      return y;
    case GGMLType.Q4_1:
      for (let i = 0; i < k / 32; i++) {
        const b = i * 20;
        const d = fp16At(x, b);
        const m = fp16At(x, b + 2);
        for (let j = 0; j < 16; ++j) {
          y[i * 32 + j] = F(F((x[b + 4 + j] & 0x0f) * d) + m);
          y[i * 32 + j + 16] = F(F((x[b + 4 + j] >> 4) * d) + m);
        }
      }
      return y;
    case GGMLType.Q5_0:
      for (let i = 0; i < k / 32; i++) {
        const b = i * 22;
        const d = fp16At(x, b);
        const qh = (x[b + 2] | (x[b + 3] << 8) | (x[b + 4] << 16) | (x[b + 5] << 24)) >>> 0;
        for (let j = 0; j < 16; ++j) {
          const xh_0 = ((qh >>> (j + 0)) << 4) & 0x10;
          const xh_1 = (qh >>> (j + 12)) & 0x10;
          y[i * 32 + j] = F((((x[b + 6 + j] & 0x0f) | xh_0) - 16) * d);
          y[i * 32 + j + 16] = F((((x[b + 6 + j] >> 4) | xh_1) - 16) * d);
        }
      }
      return y;
    case GGMLType.Q5_1:
      for (let i = 0; i < k / 32; i++) {
        const b = i * 24;
        const d = fp16At(x, b);
        const m = fp16At(x, b + 2);
        const qh = (x[b + 4] | (x[b + 5] << 8) | (x[b + 6] << 16) | (x[b + 7] << 24)) >>> 0;
        for (let j = 0; j < 16; ++j) {
          const xh_0 = ((qh >>> (j + 0)) << 4) & 0x10;
          const xh_1 = (qh >>> (j + 12)) & 0x10;
          y[i * 32 + j] = F(F(((x[b + 8 + j] & 0x0f) | xh_0) * d) + m);
          y[i * 32 + j + 16] = F(F(((x[b + 8 + j] >> 4) | xh_1) * d) + m);
        }
      }
      return y;
    case GGMLType.Q8_0:
      for (let i = 0; i < k / 32; i++) {
        const d = fp16At(x, i * 34);
        for (let j = 0; j < 32; ++j) y[i * 32 + j] = F(i8(x[i * 34 + 2 + j]) * d);
      }
      return y;
    case GGMLType.IQ4_NL:
      for (let i = 0; i < k / 32; i++) {
        const b = i * 18;
        const d = fp16At(x, b);
        for (let j = 0; j < 16; ++j) {
          y[yi + j] = F(d * kvalues_iq4nl[x[b + 2 + j] & 0xf]);
          y[yi + j + 16] = F(d * kvalues_iq4nl[x[b + 2 + j] >> 4]);
        }
        yi += 32;
      }
      return y;
    case GGMLType.Q2_K:
      for (let i = 0; i < k / 256; i++) {
        const b = i * 84;
        const scales = b;
        const d = fp16At(x, b + 80);
        const min = fp16At(x, b + 82);
        let q = b + 16;
        let is = 0;
        for (let n = 0; n < 256; n += 128) {
          let shift = 0;
          for (let j = 0; j < 4; ++j) {
            let sc = x[scales + is++];
            let dl = F(d * (sc & 0xf));
            let ml = F(min * (sc >> 4));
            for (let l = 0; l < 16; ++l) y[yi++] = F(F(dl * ((x[q + l] >> shift) & 3)) - ml);
            sc = x[scales + is++];
            dl = F(d * (sc & 0xf));
            ml = F(min * (sc >> 4));
            for (let l = 0; l < 16; ++l) y[yi++] = F(F(dl * ((x[q + l + 16] >> shift) & 3)) - ml);
            shift += 2;
          }
          q += 32;
        }
      }
      return y;
    case GGMLType.Q3_K: {
      const kmask1 = 0x03030303;
      const kmask2 = 0x0f0f0f0f;
      const aux = new Uint32Array(4);
      const scales = new Int8Array(aux.buffer);
      for (let i = 0; i < k / 256; i++) {
        const b = i * 110;
        const d_all = fp16At(x, b + 108);
        let q = b + 32;
        const hm = b;
        let m = 1;
        const dv = new DataView(x.buffer, x.byteOffset + b + 96, 12);
        aux[0] = dv.getUint32(0, true);
        aux[1] = dv.getUint32(4, true);
        aux[2] = dv.getUint32(8, true);
        const tmp = aux[2];
        aux[2] = ((aux[0] >>> 4) & kmask2) | (((tmp >>> 4) & kmask1) << 4);
        aux[3] = ((aux[1] >>> 4) & kmask2) | (((tmp >>> 6) & kmask1) << 4);
        aux[0] = (aux[0] & kmask2) | (((tmp >>> 0) & kmask1) << 4);
        aux[1] = (aux[1] & kmask2) | (((tmp >>> 2) & kmask1) << 4);
        let is = 0;
        for (let n = 0; n < 256; n += 128) {
          let shift = 0;
          for (let j = 0; j < 4; ++j) {
            let dl = F(d_all * (scales[is++] - 32));
            for (let l = 0; l < 16; ++l) {
              y[yi++] = F(dl * (((x[q + l + 0] >> shift) & 3) - (x[hm + l + 0] & m ? 0 : 4)));
            }
            dl = F(d_all * (scales[is++] - 32));
            for (let l = 0; l < 16; ++l) {
              y[yi++] = F(dl * (((x[q + l + 16] >> shift) & 3) - (x[hm + l + 16] & m ? 0 : 4)));
            }
            shift += 2;
            m <<= 1;
          }
          q += 32;
        }
      }
      return y;
    }
    case GGMLType.Q4_K:
      for (let i = 0; i < k / 256; i++) {
        const b = i * 144;
        let q = b + 16;
        const d = fp16At(x, b);
        const min = fp16At(x, b + 2);
        let is = 0;
        for (let j = 0; j < 256; j += 64) {
          let [sc, m] = get_scale_min_k4(is + 0, x, b + 4);
          const d1 = F(d * sc);
          const m1 = F(min * m);
          [sc, m] = get_scale_min_k4(is + 1, x, b + 4);
          const d2 = F(d * sc);
          const m2 = F(min * m);
          for (let l = 0; l < 32; ++l) y[yi++] = F(F(d1 * (x[q + l] & 0xf)) - m1);
          for (let l = 0; l < 32; ++l) y[yi++] = F(F(d2 * (x[q + l] >> 4)) - m2);
          q += 32;
          is += 2;
        }
      }
      return y;
    case GGMLType.Q5_K:
      for (let i = 0; i < k / 256; i++) {
        const b = i * 176;
        let ql = b + 48;
        const qh = b + 16;
        const d = fp16At(x, b);
        const min = fp16At(x, b + 2);
        let is = 0;
        let u1 = 1;
        let u2 = 2;
        for (let j = 0; j < 256; j += 64) {
          let [sc, m] = get_scale_min_k4(is + 0, x, b + 4);
          const d1 = F(d * sc);
          const m1 = F(min * m);
          [sc, m] = get_scale_min_k4(is + 1, x, b + 4);
          const d2 = F(d * sc);
          const m2 = F(min * m);
          for (let l = 0; l < 32; ++l) y[yi++] = F(F(d1 * ((x[ql + l] & 0xf) + (x[qh + l] & u1 ? 16 : 0))) - m1);
          for (let l = 0; l < 32; ++l) y[yi++] = F(F(d2 * ((x[ql + l] >> 4) + (x[qh + l] & u2 ? 16 : 0))) - m2);
          ql += 32;
          is += 2;
          u1 <<= 2;
          u2 <<= 2;
        }
      }
      return y;
    case GGMLType.Q6_K:
      for (let i = 0; i < k / 256; i++) {
        const b = i * 210;
        const d = fp16At(x, b + 208);
        let ql = b;
        let qh = b + 128;
        let sc = b + 192;
        for (let n = 0; n < 256; n += 128) {
          for (let l = 0; l < 32; ++l) {
            const is = Math.floor(l / 16);
            const q1 = ((x[ql + l + 0] & 0xf) | (((x[qh + l] >> 0) & 3) << 4)) - 32;
            const q2 = ((x[ql + l + 32] & 0xf) | (((x[qh + l] >> 2) & 3) << 4)) - 32;
            const q3 = ((x[ql + l + 0] >> 4) | (((x[qh + l] >> 4) & 3) << 4)) - 32;
            const q4 = ((x[ql + l + 32] >> 4) | (((x[qh + l] >> 6) & 3) << 4)) - 32;
            y[yi + l + 0] = F(F(d * i8(x[sc + is + 0])) * q1);
            y[yi + l + 32] = F(F(d * i8(x[sc + is + 2])) * q2);
            y[yi + l + 64] = F(F(d * i8(x[sc + is + 4])) * q3);
            y[yi + l + 96] = F(F(d * i8(x[sc + is + 6])) * q4);
          }
          yi += 128;
          ql += 64;
          qh += 32;
          sc += 8;
        }
      }
      return y;
    default:
      throw new Error(`no ggml port for type ${type}`);
  }
}
