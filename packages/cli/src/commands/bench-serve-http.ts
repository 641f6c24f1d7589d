/**
 * `legato bench serve --url http://host:port`: drives any OpenAI-compatible server (Legato's,
 * llama-server, vLLM) with streaming requests and reports what `vllm bench serve` reports —
 * TTFT, TPOT, ITL and E2E latency (mean, P50, P90, P99), request and output-token throughput,
 * goodput under SLOs — plus an ITL histogram, smoothness and the HTML report. The same client
 * for every server, so they are compared by one yardstick.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  datasetRequests,
  defaultReportDir,
  firstModel,
  formatServeSummary,
  httpTarget,
  parseGoodputSlo,
  ProgressBar,
  randomRequests,
  runLoad,
  serverBase,
  type HttpLoadRequest,
  type ServeResult,
} from '@legato/bench';
import { histogram, logEdges, MetricsCollector, vllmItl, writeReport, type Summary } from '@legato/metrics';
import { floatOption, info, intOption, parseCommandArgs, UsageError } from '../usage.js';

export const HTTP_USAGE =
  'legato bench serve --url http://host:port [--model name] [--endpoint completions|chat] [--concurrency N | --rate R [--arrival poisson|gamma] [--burstiness k]] ' +
  '[--num-prompts 32] [--input-len 64 --output-len 64 [--range-ratio 0] [--vocab-size 256] | --dataset file.jsonl [--output-len 64]] ' +
  '[--goodput ttft:MS tpot:MS e2el:MS] [--api-key key] [--temperature 0] [--no-ignore-eos] [--seed 0] [--label name] [--out dir] [--json]';

export async function benchServeHttp(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs('bench', {
    args: argv,
    allowPositionals: true, // vLLM's --goodput takes several objectives after one flag
    options: {
      url: { type: 'string' },
      model: { type: 'string', short: 'm' },
      endpoint: { type: 'string' },
      concurrency: { type: 'string' },
      'max-concurrency': { type: 'string' },
      rate: { type: 'string' },
      'request-rate': { type: 'string' },
      arrival: { type: 'string' },
      burstiness: { type: 'string' },
      'num-prompts': { type: 'string' },
      'input-len': { type: 'string' },
      'output-len': { type: 'string' },
      'range-ratio': { type: 'string' },
      'vocab-size': { type: 'string' },
      dataset: { type: 'string' },
      goodput: { type: 'string', multiple: true },
      'api-key': { type: 'string' },
      temperature: { type: 'string' },
      'no-ignore-eos': { type: 'boolean', default: false },
      seed: { type: 'string' },
      label: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void process.stdout.write(`usage: ${HTTP_USAGE}\n`);
  const url = values.url;
  if (!url || !/^https?:\/\/[^\s/]+/.test(url)) throw new UsageError(`--url must be http(s)://host:port, got "${url ?? ''}"`);
  for (const p of positionals) if (!/^(ttft|tpot|e2el):/.test(p)) throw new UsageError(`unexpected argument "${p}" (see legato bench serve --help)`);
  const endpoint = values.endpoint ?? 'completions';
  if (endpoint !== 'completions' && endpoint !== 'chat') throw new UsageError(`--endpoint must be completions or chat, got "${endpoint}"`);
  const concurrency = intOption('concurrency', values.concurrency ?? values['max-concurrency'], 1);
  const rateText = values.rate ?? values['request-rate'] ?? 'inf';
  const rate = rateText === 'inf' ? Infinity : floatOption('rate', rateText)!;
  if (!(rate > 0)) throw new UsageError(`--rate must be > 0 or inf, got "${rateText}"`);
  const arrival = values.arrival ?? 'poisson';
  if (arrival !== 'poisson' && arrival !== 'gamma') throw new UsageError(`--arrival must be poisson or gamma, got "${arrival}"`);
  let burstiness = floatOption('burstiness', values.burstiness) ?? (arrival === 'gamma' ? 0.5 : 1);
  if (arrival === 'poisson') {
    if (values.burstiness !== undefined && burstiness !== 1) throw new UsageError('--burstiness needs --arrival gamma (Poisson arrivals have burstiness 1)');
    burstiness = 1;
  }
  if (!(burstiness > 0)) throw new UsageError(`--burstiness must be > 0, got "${values.burstiness}"`);
  if (values.arrival !== undefined && rate === Infinity) throw new UsageError('--arrival needs --rate (with no rate every request is sent at once)');
  let slo;
  try {
    slo = parseGoodputSlo([...(values.goodput ?? []), ...positionals]);
  } catch (e) {
    throw new UsageError(`--goodput: ${(e as Error).message}`);
  }
  const count = intOption('num-prompts', values['num-prompts'], 1) ?? 32;
  const outputLen = intOption('output-len', values['output-len'], 1) ?? 64;
  const seed = intOption('seed', values.seed) ?? 0;
  const temperature = floatOption('temperature', values.temperature) ?? 0;
  let requests: HttpLoadRequest[];
  if (values.dataset !== undefined) {
    if (values['input-len'] !== undefined) throw new UsageError('--input-len and --dataset exclude each other');
    try {
      requests = datasetRequests(values.dataset, count, outputLen);
    } catch (e) {
      throw new UsageError(`--dataset ${values.dataset}: ${(e as Error).message}`);
    }
  } else {
    if (endpoint === 'chat') throw new UsageError('--endpoint chat needs text prompts: pass --dataset');
    const rangeRatio = floatOption('range-ratio', values['range-ratio']) ?? 0;
    if (!(rangeRatio >= 0 && rangeRatio < 1)) throw new UsageError(`--range-ratio must be in [0, 1), got "${values['range-ratio']}"`);
    // Random token ids below --vocab-size: 256 is inside every real vocabulary.
    const vocabSize = intOption('vocab-size', values['vocab-size'], 4) ?? 256;
    requests = randomRequests({ count, inputLen: intOption('input-len', values['input-len'], 1) ?? 64, outputLen, rangeRatio, vocabSize, seed });
  }

  const apiKey = values['api-key'] ?? process.env.OPENAI_API_KEY;
  await waitForHealth(url);
  const model = values.model ?? (await firstModel(url, apiKey));
  const target = httpTarget({ url, model, endpoint, apiKey, temperature, ignoreEos: !values['no-ignore-eos'] });
  const bar = new ProgressBar(count);
  const metrics = new MetricsCollector({ tokensPerRequest: requests.reduce((m, r) => Math.max(m, r.outputTokens), 1) });
  const result = await runLoad(target, requests, { rate, burstiness, maxConcurrency: concurrency, seed, slo, onProgress: (p) => bar.update(p.done, 'requests') }, metrics);
  bar.done();

  const label = values.label ?? model;
  const text = [formatServeSummary(result.summary), '', formatPercentiles(result), '', formatItlHistogram(result), '', formatSmoothness(result)].join('\n');
  const dir = values.out ?? defaultReportDir('bench-serve-http');
  const files = await writeReport(dir, {
    title: `legato bench serve — ${label} at ${url}`,
    description: text,
    runs: [{ name: label, ...result.collected }],
    meta: { url, model, endpoint, num_prompts: count, output_len: outputLen, request_rate: rateText, arrival, burstiness, max_concurrency: concurrency ?? 'none', dataset: values.dataset ?? 'random', seed },
  });
  const json = { url, model, label, endpoint, ...jsonSummary(result), report: files.html };
  await writeFile(join(dir, 'serve.json'), `${JSON.stringify({ ...json, requests: result.requests }, null, 1)}\n`);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(json)}\n`);
    info(`report: ${files.html}`);
  } else process.stdout.write(`${text}\n\nreport: ${files.html}\n`);
  const failed = result.requests.filter((r) => r.error);
  if (failed.length > 0) info(`${failed.length} request(s) failed, e.g.: ${failed[0].error}`);
}

/** Waits while the server answers /health with 503 (loading); a server without /health is taken as ready. */
async function waitForHealth(url: string, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let said = false;
  for (;;) {
    const status = await fetch(`${serverBase(url)}/health`).then((r) => r.status, (e: unknown) => {
      throw new UsageError(`cannot reach ${url}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`);
    });
    if (status !== 503) return;
    if (Date.now() > deadline) throw new UsageError(`${url} still answers 503 (loading) after ${timeoutMs / 1000} s`);
    if (!said) info(`waiting for ${url} to finish loading…`);
    said = true;
    await new Promise((r) => setTimeout(r, 500));
  }
}

const f = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : 'nan');

/** Mean / P50 / P90 / P99 of each latency, one row each (ms). */
function formatPercentiles(r: ServeResult): string {
  const rows: [string, Summary][] = [['TTFT', r.summary.ttft], ['TPOT', r.summary.tpot], ['ITL', r.summary.itl], ['E2E', r.summary.e2e]];
  const head = `${'ms'.padEnd(6)}${['mean', 'P50', 'P90', 'P99'].map((h) => h.padStart(10)).join('')}`;
  return [head, ...rows.map(([k, s]) => `${k.padEnd(6)}${[s.mean, s.p50, s.p90, s.p99].map((x) => f(x).padStart(10)).join('')}`)].join('\n');
}

/** The inter-chunk gaps in log-spaced bins, as a text bar chart. */
function formatItlHistogram(r: ServeResult): string {
  const gaps = vllmItl(r.collected.timeline).filter((g) => g > 0);
  if (gaps.length === 0) return 'ITL histogram: no gaps';
  let lo = Infinity;
  let hi = 0;
  for (const g of gaps) {
    lo = Math.min(lo, g);
    hi = Math.max(hi, g);
  }
  const h = histogram(gaps, logEdges({ min: lo, max: hi, bins: 12 }));
  const max = Math.max(...h.counts);
  const lines = ['ITL histogram (ms, log bins):'];
  for (let i = 0; i < h.counts.length; i++) {
    const bar = '#'.repeat(max > 0 ? Math.round((40 * h.counts[i]) / max) : 0);
    lines.push(`${f(h.edges[i]).padStart(9)} – ${f(h.edges[i + 1]).padEnd(9)} ${String(h.counts[i]).padStart(6)} ${bar}`);
  }
  return lines.join('\n');
}

function formatSmoothness(r: ServeResult): string {
  const s = r.summary;
  const m = r.collected.summary;
  return `smoothness ${f(m.smoothness.score)} (worst stream ${f(m.smoothness.worst)}); ITL spikes ${m.spikes.count} (${f(m.spikes.perThousandGaps)} per 1000 gaps, max ${f(m.spikes.maxGapMs)} ms); ` +
    `output ${f(s.outputThroughput)} tok/s over ${s.completed} requests`;
}

function jsonSummary(r: ServeResult): Record<string, unknown> {
  const s = r.summary;
  const pick = (x: Summary) => ({ mean: x.mean, p50: x.p50, p90: x.p90, p99: x.p99 });
  return {
    completed: s.completed,
    failed: s.failed,
    duration_s: s.durationMs / 1000,
    request_throughput: s.requestThroughput,
    output_throughput: s.outputThroughput,
    total_token_throughput: s.totalTokenThroughput,
    goodput: s.goodput,
    ttft_ms: pick(s.ttft),
    tpot_ms: pick(s.tpot),
    itl_ms: pick(s.itl),
    e2e_ms: pick(s.e2e),
    smoothness: r.collected.summary.smoothness.score,
    spikes: r.collected.summary.spikes,
  };
}
