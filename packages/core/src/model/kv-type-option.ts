/**
 * The `kvType` option of engines and contexts: which element type the KV cache stores (llama.cpp's
 * `-ctk/-ctv`), validated against the model's head size.
 */
import { DEFAULT_KV_TYPE, KV_TYPES, isKVType, kvTypeUnsupportedReason, type KVType } from '@legato/quant';
import { InvalidOptionError } from '../errors.js';

/** The KV type to use: `value` if given (validated), else f16 as in llama.cpp. Throws InvalidOptionError. */
export function resolveKVType(value: unknown, headDim: number): KVType {
  if (value === undefined) return DEFAULT_KV_TYPE;
  if (!isKVType(value)) throw new InvalidOptionError('kvType', `one of ${KV_TYPES.join(', ')}`, value);
  const reason = kvTypeUnsupportedReason(value, headDim);
  if (reason !== undefined) throw new InvalidOptionError('kvType', `a type this model supports (${reason})`, value);
  return value;
}
