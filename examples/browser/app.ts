/**
 * The page: picks a model (URL or local file), loads it in the Legato worker with a progress bar,
 * and streams replies with a live tokens/s and inter-token-latency strip. State for tests is kept
 * in `document.body.dataset` (state, ids, backend).
 */
import type { FromWorker, ToWorker } from './protocol.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'legato' });
const send = (m: ToWorker): void => worker.postMessage(m);
const body = document.body.dataset;

const progress = $<HTMLProgressElement>('progress');
const status = $<HTMLDivElement>('status');
const reply = $<HTMLDivElement>('reply');
const itlCanvas = $<HTMLCanvasElement>('itl');
/** Token times on the worker's clock (differences only: a worker has its own time origin). */
let tokenTimes: number[] = [];
let firstSent = 0;
let firstToken = 0;

function setState(state: string): void {
  body.state = state;
  $<HTMLButtonElement>('send').disabled = state !== 'ready' && state !== 'done';
  $<HTMLButtonElement>('stop').disabled = state !== 'generating';
}

function mib(n: number): string {
  return `${(n / 2 ** 20).toFixed(1)} MiB`;
}

function load(source: string | File): void {
  setState('loading');
  status.className = 'muted';
  status.textContent = `Loading ${typeof source === 'string' ? source : source.name}…`;
  progress.value = 0;
  const threads = Number($<HTMLInputElement>('threads').value) || undefined;
  send({ type: 'load', source, threads, cache: $<HTMLInputElement>('cache').checked });
}

/** The strip: tokens/s over the reply so far, the last ITL, and a bar per token's ITL. */
function drawStrip(): void {
  const n = tokenTimes.length;
  if (n === 0) return;
  $('ttft').textContent = `TTFT ${(firstToken - firstSent).toFixed(0)} ms`;
  if (n < 2) return;
  const itls = tokenTimes.slice(1).map((t, i) => t - tokenTimes[i]);
  const span = tokenTimes[n - 1] - tokenTimes[0];
  $('tps').textContent = `${(((n - 1) * 1000) / span).toFixed(1)} tok/s`;
  $('itl-now').textContent = `ITL ${itls[itls.length - 1].toFixed(1)} ms`;
  const g = itlCanvas.getContext('2d');
  if (!g) return;
  const { width: w, height: h } = itlCanvas;
  g.clearRect(0, 0, w, h);
  const shown = itls.slice(-Math.floor(w / 3));
  const max = Math.max(...shown, 1);
  shown.forEach((v, i) => {
    const bh = Math.max(1, (v / max) * (h - 2));
    g.fillStyle = v > 2 * (span / (n - 1)) ? '#d9534f' : '#4a78c2';
    g.fillRect(i * 3, h - bh, 2, bh);
  });
}

worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  switch (m.type) {
    case 'progress':
      progress.value = m.fraction;
      status.textContent = `Loading… ${mib(m.loadedBytes)} of ${mib(m.totalBytes)}`;
      break;
    case 'loaded':
      progress.value = 1;
      status.textContent = `Loaded ${m.label} (${m.architecture}) in ${(m.loadMs / 1000).toFixed(1)} s${m.cached ? ', from the browser cache' : ''}.`;
      body.cached = String(m.cached);
      $('backend').textContent = `backend ${m.backend}, ${m.threads} thread${m.threads === 1 ? '' : 's'}; `
        + (m.isolated ? 'cross-origin isolated' : 'not cross-origin isolated: one thread');
      body.backend = m.backend;
      body.threads = String(m.threads);
      setState('ready');
      break;
    case 'token':
      if (tokenTimes.length === 0) firstToken = performance.now();
      tokenTimes.push(m.time);
      reply.append(m.text);
      drawStrip();
      break;
    case 'done':
      body.ids = JSON.stringify(m.ids);
      body.promptIds = JSON.stringify(m.promptIds);
      $('tps').textContent = `${m.decodeTokensPerSecond.toFixed(1)} tok/s`;
      $('ttft').textContent = `TTFT ${m.ttftMs.toFixed(0)} ms`;
      reply.append('\n');
      setState('done');
      break;
    case 'error':
      status.textContent = m.message;
      status.className = 'error';
      setState(model() ? 'ready' : 'error');
      body.error = m.message;
      break;
  }
};

const model = (): boolean => body.backend !== undefined;

$('load-url').addEventListener('click', () => load(new URL($<HTMLInputElement>('model-url').value, location.href).href));
$('model-file').addEventListener('change', (e) => {
  const f = (e.target as HTMLInputElement).files?.[0];
  if (f) load(f);
});
$('send').addEventListener('click', () => {
  const text = $<HTMLTextAreaElement>('prompt').value;
  const mode = $<HTMLSelectElement>('mode').value as 'chat' | 'complete';
  const u = document.createElement('div');
  u.className = 'user';
  u.textContent = mode === 'chat' ? `> ${text}` : text;
  reply.append(u);
  tokenTimes = [];
  firstSent = performance.now();
  delete body.ids;
  setState('generating');
  send({
    type: 'generate', mode, text,
    maxTokens: Number($<HTMLInputElement>('max-tokens').value) || 128,
    temperature: Number($<HTMLInputElement>('temperature').value),
  });
});
$('stop').addEventListener('click', () => send({ type: 'stop' }));
$('reset').addEventListener('click', () => {
  reply.textContent = '';
  send({ type: 'reset' });
});

const params = new URLSearchParams(location.search);
if (params.get('model')) $<HTMLInputElement>('model-url').value = params.get('model') ?? '';
setState('idle');
