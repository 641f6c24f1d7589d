/** Parsing the KV-cache flags shared by `run`, `serve`, `chat`, `bench` and `lab`. */
import type { GcConfig } from '@legato/kvcache';
import type { KVType } from '@legato/quant';
import { UsageError } from './usage.js';

/** @legato/quant's KV_TYPES, listed here so argument checks and --help load no model code. */
const KV_TYPES: readonly KVType[] = ['f16', 'f32', 'q8_0'];
const isKVType = (v: string): v is KVType => (KV_TYPES as readonly string[]).includes(v);

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1e3, kb: 1e3, kib: 1024, m: 1e6, mb: 1e6, mib: 1024 ** 2, g: 1e9, gb: 1e9, gib: 1024 ** 3 };

/** "256MiB", "1.5GB", "4096" → bytes. */
export function parseBytes(flag: string, v: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(v);
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new UsageError(`--${flag} must be a size like 256MiB or 1GB, got "${v}"`);
  const bytes = Math.floor(Number(m[1]) * unit);
  if (bytes <= 0) throw new UsageError(`--${flag} must be positive, got "${v}"`);
  return bytes;
}

/**
 * `off`, `eager`, `periodic[:N]` (sweep every N decode steps) or `incremental[:budget]` where the
 * budget is blocks per step (`incremental:8`) or microseconds (`incremental:300us`).
 */
export function parseGc(v: string): GcConfig {
  const [policy, arg] = v.split(':', 2);
  switch (policy) {
    case 'off':
    case 'eager':
      if (arg !== undefined) throw new UsageError(`--gc ${policy} takes no argument`);
      return { policy };
    case 'periodic': {
      if (arg === undefined) return { policy };
      const n = Number(arg);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`--gc periodic:N needs a positive integer N, got "${arg}"`);
      return { policy, intervalTokens: n };
    }
    case 'incremental': {
      if (arg === undefined) return { policy };
      const us = /^(\d+)us$/.exec(arg);
      if (us) return { policy, budget: { microseconds: Number(us[1]), blocks: Number.MAX_SAFE_INTEGER } };
      const n = Number(arg);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`--gc incremental:budget needs blocks (8) or microseconds (300us), got "${arg}"`);
      return { policy, budget: { blocks: n } };
    }
    default:
      throw new UsageError(`--gc must be off, eager, periodic[:N] or incremental[:budget], got "${v}"`);
  }
}

export function parseBlockSize(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!['8', '16', '32'].includes(v)) throw new UsageError(`--block-size must be 8, 16 or 32, got "${v}"`);
  return Number(v);
}

/** `--kv-type f32|f16|q8_0` (llama.cpp's `-ctk/-ctv`); undefined leaves the default (f16). */
export function parseKvType(v: string | undefined): KVType | undefined {
  if (v === undefined) return undefined;
  if (!isKVType(v)) throw new UsageError(`--kv-type must be ${KV_TYPES.join(', ')}, got "${v.slice(0, 40)}"`);
  return v;
}

export const KV_FLAGS = {
  'kv-type': { type: 'string' },
  'block-size': { type: 'string' },
  'kv-memory': { type: 'string' },
  gc: { type: 'string' },
  'no-prefix-cache': { type: 'boolean', default: false },
} as const;

export interface KvFlagValues {
  'kv-type'?: string;
  'block-size'?: string;
  'kv-memory'?: string;
  gc?: string;
  'no-prefix-cache'?: boolean;
}

export function kvContextOptions(v: KvFlagValues): {
  kvType?: KVType; blockSize?: number; kvMemoryBytes?: number; gc?: GcConfig; prefixCaching: boolean;
} {
  return {
    kvType: parseKvType(v['kv-type']),
    blockSize: parseBlockSize(v['block-size']),
    kvMemoryBytes: v['kv-memory'] === undefined ? undefined : parseBytes('kv-memory', v['kv-memory']),
    gc: v.gc === undefined ? undefined : parseGc(v.gc),
    prefixCaching: !v['no-prefix-cache'],
  };
}
