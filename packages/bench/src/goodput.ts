/**
 * Goodput as vLLM's `bench serve --goodput` defines it: the requests per second that met every
 * service-level objective given. Per request, TTFT = first token − send, TPOT = (E2E − TTFT) /
 * (output tokens − 1) (0 for a single token), E2E = last token − send; a request is good when each
 * given metric is at or below its objective. Failed requests are never good.
 */

/** Objectives in ms; only the ones given are checked. */
export interface GoodputSlo {
  ttftMs?: number;
  tpotMs?: number;
  e2eMs?: number;
}

/** One finished request's latencies (ms). */
export interface RequestLatency {
  ttftMs: number;
  tpotMs: number;
  e2eMs: number;
  /** False for a failed request. Default true. */
  ok?: boolean;
}

/** Goodput of a run. */
export interface Goodput {
  /** Requests meeting every objective. */
  good: number;
  /** Requests considered (failed ones included). */
  total: number;
  /** good / total. */
  fraction: number;
  /** good per second of run. */
  requestsPerSecond: number;
}

/** vLLM's per-request latencies from send time, token times and output length (ms). */
export function requestLatency(send: number, tokenTimes: ArrayLike<number>, finish = tokenTimes.length > 0 ? tokenTimes[tokenTimes.length - 1] : send): RequestLatency {
  const n = tokenTimes.length;
  const ttft = n > 0 ? tokenTimes[0] - send : NaN;
  const e2e = finish - send;
  return { ttftMs: ttft, tpotMs: n > 1 ? (e2e - ttft) / (n - 1) : 0, e2eMs: e2e, ok: n > 0 };
}

/** Whether one request meets every given objective. */
export function meetsSlo(r: RequestLatency, slo: GoodputSlo): boolean {
  if (r.ok === false) return false;
  if (slo.ttftMs !== undefined && !(r.ttftMs <= slo.ttftMs)) return false;
  if (slo.tpotMs !== undefined && !(r.tpotMs <= slo.tpotMs)) return false;
  if (slo.e2eMs !== undefined && !(r.e2eMs <= slo.e2eMs)) return false;
  return true;
}

/** Goodput over `durationMs` of run. */
export function computeGoodput(requests: readonly RequestLatency[], slo: GoodputSlo, durationMs: number): Goodput {
  let good = 0;
  for (const r of requests) if (meetsSlo(r, slo)) good++;
  return {
    good,
    total: requests.length,
    fraction: requests.length > 0 ? good / requests.length : NaN,
    requestsPerSecond: durationMs > 0 ? (good * 1000) / durationMs : NaN,
  };
}

/** Parses vLLM's `--goodput` arguments: "ttft:500", "tpot:50", "e2el:5000" (ms). */
export function parseGoodputSlo(specs: readonly string[]): GoodputSlo {
  const slo: GoodputSlo = {};
  for (const spec of specs.flatMap((s) => s.split(/[\s,]+/)).filter(Boolean)) {
    const m = /^(ttft|tpot|e2el):(\d+(?:\.\d+)?)$/.exec(spec);
    if (!m) throw new RangeError(`goodput objective must be ttft:MS, tpot:MS or e2el:MS, got "${spec}"`);
    const v = Number(m[2]);
    if (m[1] === 'ttft') slo.ttftMs = v;
    else if (m[1] === 'tpot') slo.tpotMs = v;
    else slo.e2eMs = v;
  }
  return slo;
}
