/**
 * The quantize pool in a browser: the same API as quantize/quantize-pool.ts, converting on the
 * calling thread (quantizing a model is an offline job; piscina is Node-only).
 */
import { getFormat } from '../formats/index.js';
import { rowBytes, typeName } from '../types.js';
import { convertRows } from '../quantize/convert-rows.js';
import type { QuantizePoolOptions, TensorConversion } from '../quantize/quantize-pool.js';

export type { QuantizePoolOptions, TensorConversion } from '../quantize/quantize-pool.js';

export class QuantizePool {
  /** Always 1 here: conversions run on the calling thread. */
  readonly threads = 1;
  private destroyed = false;

  constructor(_options: QuantizePoolOptions = {}) {}

  /** Converts `job.src` into `job.dst`; throws if a type cannot be read or written or the sizes do not match. */
  async convert(job: TensorConversion, onRows?: (rows: number) => void): Promise<void> {
    if (this.destroyed) throw new Error('QuantizePool: used after destroy()');
    const from = getFormat(job.srcType);
    if (!getFormat(job.dstType).quantizeRow) throw new RangeError(`cannot quantize to ${typeName(job.dstType)}`);
    const srcBytes = rowBytes(from.type, job.cols) * job.rows;
    const dstBytes = rowBytes(job.dstType, job.cols) * job.rows;
    if (job.src.byteLength < srcBytes) throw new RangeError(`source holds ${job.src.byteLength} bytes, ${srcBytes} needed`);
    if (job.dst.byteLength < dstBytes) throw new RangeError(`destination holds ${job.dst.byteLength} bytes, ${dstBytes} needed`);
    convertRows({ ...job, rowStart: 0, rowEnd: job.rows });
    onRows?.(job.rows);
  }

  /** Nothing to start. */
  warmUp(): void {}

  /** Always 0: no worker threads. */
  get workerThreadsUsed(): number {
    return 0;
  }

  async destroy(): Promise<void> {
    this.destroyed = true;
  }
}
