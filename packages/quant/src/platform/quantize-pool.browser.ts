/**
 * The quantize pool in a browser: the same API as quantize/quantize-pool.ts, converting on the
 * calling thread (quantizing a model is an offline job; piscina is Node-only).
 */
import { checkConversion, convertRows } from '../quantize/convert-rows.js';
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
    checkConversion(job);
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
