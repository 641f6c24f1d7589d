/**
 * Quantizes a GGUF model file to a target type the way llama-quantize does: the same per-tensor
 * types (llama.cpp's mix rules, in @legato/quant), the same tensor order, metadata copied with its
 * types plus `general.quantization_version` and `general.file_type`. Tensors stream one at a time
 * (read, convert on the worker pool, write), so memory holds about two tensors, not the model.
 */
import { open, type FileHandle } from 'node:fs/promises';
import {
  chooseTensorTypes,
  compareTensorNames,
  getFormat,
  LLAMA_FTYPE,
  parseQuantTarget,
  QuantizePool,
  QUANT_TARGETS,
  rowBytes,
  TensorTypeError,
  typeName,
  type GGMLType,
  type QuantTarget,
} from '@legato/quant';
import { readGGUFHeader, type GGUFTensorInfo } from '../gguf/header.js';
import type { TypedValue } from '../gguf/value-types.js';
import { gv, writeGGUF, type GGUFWriteTensor } from '../gguf/write.js';

export interface QuantizeFileOptions {
  /** A target name (`Q4_K_M`, `q8_0`, aliases `Q4_K`/`Q5_K` …; see QUANT_TARGETS). */
  target: QuantTarget | string;
  /** Worker threads; default os.availableParallelism(); 1 = in-process. */
  threads?: number;
  /** Type for token_embd.weight, bypassing the rules (llama-quantize --token-embedding-type). */
  tokenEmbeddingType?: GGMLType;
  /** Type for output.weight, bypassing the rules (llama-quantize --output-tensor-type). */
  outputTensorType?: GGMLType;
  /** Every quantized tensor gets the target's base type (llama-quantize --pure). */
  pure?: boolean;
  onProgress?: (p: QuantizeProgress) => void;
  signal?: AbortSignal;
}

export interface QuantizeProgress {
  /** Tensor being written (0-based, in output order) and how many there are. */
  readonly tensorIndex: number;
  readonly tensorCount: number;
  readonly tensor: string;
  /** Elements finished over the whole model, and their total. */
  readonly doneElements: number;
  readonly totalElements: number;
}

export interface QuantizedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly from: GGMLType;
  readonly to: GGMLType;
}

export interface QuantizeFileResult {
  readonly target: QuantTarget;
  /** Every tensor in output order, with its old and new type. */
  readonly tensors: readonly QuantizedTensor[];
  readonly inputBytes: number;
  readonly outputBytes: number;
  readonly elements: number;
  readonly seconds: number;
  readonly threads: number;
}

/** A model that cannot be quantized as asked (bad target, unreadable tensor type, misfit rows). */
export class QuantizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuantizeError';
  }
}

/** gguf split keys describe the input's shards, not the single output file; llama.cpp drops them. */
const DROPPED_KEYS = ['split.no', 'split.count', 'split.tensors.count'];

/** Quantizes `input` into `output` (overwritten). Throws QuantizeError or GGUFError. */
export async function quantizeFile(input: string, output: string, options: QuantizeFileOptions): Promise<QuantizeFileResult> {
  const t0 = performance.now();
  const target = parseQuantTarget(options.target);
  if (!target) throw new QuantizeError(`unknown quantization type "${options.target}" (supported: ${QUANT_TARGETS.join(', ')})`);
  const header = readGGUFHeader(input);
  // llama.cpp writes tensors in its loader's order; the mix rules count layers in that order too.
  const infos = [...header.tensors].sort((a, b) => compareTensorNames(a.name, b.name));
  let types: GGMLType[];
  try {
    types = chooseTensorTypes(target, infos, {
      tokenEmbeddingType: options.tokenEmbeddingType,
      outputTensorType: options.outputTensorType,
      pure: options.pure,
    });
  } catch (e) {
    if (e instanceof TensorTypeError) throw new QuantizeError(e.message);
    throw e;
  }
  infos.forEach((t, i) => checkConvertible(t, types[i]));

  const metadata = new Map<string, TypedValue>(header.typedMetadata);
  for (const k of DROPPED_KEYS) metadata.delete(k);
  // gguf_set_val replaces a key by removing it and appending it, so both land at the end.
  metadata.delete('general.quantization_version');
  metadata.set('general.quantization_version', gv.u32(2));
  metadata.delete('general.file_type');
  metadata.set('general.file_type', gv.u32(LLAMA_FTYPE[target]));

  const totalElements = infos.reduce((s, t) => s + t.nElements, 0);
  const outBytes = infos.map((t, i) => (t.type === types[i] ? 0 : rowBytes(types[i], t.shape[0]) * (t.nElements / t.shape[0])));
  // One reusable pair of shared buffers, sized for the largest tensor: the writer asks for one
  // tensor's bytes at a time and has written them before it asks for the next.
  const srcBuf = new Uint8Array(new SharedArrayBuffer(Math.max(1, ...infos.map((t) => t.byteSize))));
  const dstBuf = new Uint8Array(new SharedArrayBuffer(Math.max(1, ...outBytes)));
  const pool = new QuantizePool({ threads: options.threads });
  if (outBytes.some((b) => b > 0)) pool.warmUp();
  const fh = await open(input, 'r');
  let done = 0;
  let outputBytes = 0;
  try {
    const tensors: GGUFWriteTensor[] = infos.map((t, i) => ({
      name: t.name,
      type: types[i],
      shape: t.shape,
      data: async () => {
        options.signal?.throwIfAborted();
        const src = srcBuf.subarray(0, t.byteSize);
        await readFully(fh, src, header.dataOffset + t.offset, input, t.name);
        const progress = (elements: number): void => {
          done += elements;
          options.onProgress?.({ tensorIndex: i, tensorCount: infos.length, tensor: t.name, doneElements: done, totalElements });
        };
        if (t.type === types[i]) {
          // Already the right type: llama.cpp copies such tensors unchanged.
          progress(t.nElements);
          outputBytes += t.byteSize;
          return src;
        }
        const cols = t.shape[0];
        const rows = t.nElements / cols;
        const dst = dstBuf.subarray(0, outBytes[i]);
        await pool.convert({ src, srcType: t.type, dst, dstType: types[i], rows, cols }, (r) => progress(r * cols));
        outputBytes += dst.byteLength;
        return dst;
      },
    }));
    await writeGGUF(output, { metadata, tensors });
  } finally {
    await fh.close();
    await pool.destroy();
  }
  return {
    target,
    tensors: infos.map((t, i) => ({ name: t.name, shape: t.shape, from: t.type, to: types[i] })),
    inputBytes: header.dataSize,
    outputBytes,
    elements: totalElements,
    seconds: (performance.now() - t0) / 1000,
    threads: pool.threads,
  };
}

function checkConvertible(t: GGUFTensorInfo, to: GGMLType): void {
  if (t.type === to) return;
  let readable = true;
  try {
    getFormat(t.type);
  } catch {
    readable = false;
  }
  if (!readable) {
    throw new QuantizeError(`tensor ${t.name} is ${typeName(t.type)}, which Legato cannot dequantize (needed to make it ${typeName(to)})`);
  }
  let writable = false;
  try {
    writable = getFormat(to).quantizeRow !== undefined;
  } catch {
    writable = false;
  }
  if (!writable) throw new QuantizeError(`tensor ${t.name} would become ${typeName(to)}, which Legato cannot write`);
}

async function readFully(fh: FileHandle, into: Uint8Array, position: number, file: string, tensor: string): Promise<void> {
  let got = 0;
  while (got < into.byteLength) {
    const { bytesRead } = await fh.read(into, got, into.byteLength - got, position + got);
    if (bytesRead === 0) throw new QuantizeError(`${file}: file ends inside tensor ${tensor}`);
    got += bytesRead;
  }
}
