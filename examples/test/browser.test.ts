/**
 * The browser example in headless Chromium (Debian's chromium through playwright-core): the page,
 * served by examples/browser/serve.mjs, loads stories260K.gguf from a URL with a progress bar,
 * completes a prompt greedily, and its token ids equal Legato's on Node for the same model and
 * prompt. Cross-origin isolated it runs the worker team on Web Workers (2 threads); served without
 * the isolation headers it runs on one thread and says so. Screenshots go to a temp dir.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '@legato/core';
import { modelPath } from '../../testing/models.js';
// @ts-expect-error plain JavaScript scripts without types
import { buildExample } from '../browser/build.mjs';
// @ts-expect-error plain JavaScript scripts without types
import { serveExample } from '../browser/serve.mjs';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const MODEL = modelPath('stories260K.gguf');
const PROMPT = 'Once upon a time';
const MAX_TOKENS = 32;

type Served = { url: string; close(): Promise<void> };
let browser: Browser | undefined;
let nodeIds: number[];
const shots = mkdtempSync(join(tmpdir(), 'legato-browser-shots-'));

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) to run the browser example test`);
  await buildExample();
  const model = await loadModel(MODEL, { threads: 1 });
  try {
    nodeIds = (await model.createContext({ contextSize: 512 }).generate(PROMPT, { maxTokens: MAX_TOKENS, temperature: 0 }).result()).ids;
  } finally {
    model.dispose();
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
});
afterAll(async () => {
  await browser?.close();
});

/** Opens the page, loads the model by URL, completes PROMPT greedily; returns what the page shows. */
async function runPage(served: Served, name: string, context?: BrowserContext): Promise<{ page: Page; problems: string[]; warnings: string[]; modelRequests: string[] }> {
  const page = await (context ?? browser!).newPage({ viewport: { width: 1000, height: 900 } });
  const modelRequests: string[] = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.endsWith('.gguf')) modelRequests.push(r.url());
  });
  const problems: string[] = [];
  const warnings: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
    if (m.type() === 'warning') warnings.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => {
    // Chromium sometimes reports a worker's streamed download as aborted after its body was read
    // to the end (the load itself succeeded, checked below); any other failure is a problem.
    if (!(r.url().endsWith('.gguf') && r.failure()?.errorText === 'net::ERR_ABORTED')) problems.push(`requestfailed: ${r.url()} ${r.failure()?.errorText ?? ''}`);
  });
  await page.goto(`${served.url}?model=models/stories260K.gguf`, { waitUntil: 'load' });
  await page.click('#load-url');
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: 60_000 });
  expect(await page.evaluate(() => document.body.dataset.error ?? '')).toBe('');
  expect(await page.evaluate(() => (document.getElementById('progress') as HTMLProgressElement).value)).toBe(1);
  await page.selectOption('#mode', 'complete');
  await page.fill('#temperature', '0');
  await page.fill('#max-tokens', String(MAX_TOKENS));
  await page.fill('#prompt', PROMPT);
  await page.click('#send');
  await page.waitForFunction(() => ['done', 'error', 'ready'].includes(document.body.dataset.state ?? '') && document.body.dataset.ids !== undefined || document.body.dataset.error, null, { timeout: 60_000 });
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  return { page, problems, warnings, modelRequests };
}

describe('the browser example in headless Chromium', () => {
  it('cross-origin isolated: Web Worker threads, greedy ids equal Node\'s, streamed text and strip shown', async () => {
    const served: Served = await serveExample({ port: 0, models: dirname(MODEL) });
    try {
      const { page, problems } = await runPage(served, 'isolated');
      const state = await page.evaluate(() => ({ ids: document.body.dataset.ids, threads: document.body.dataset.threads, backend: document.body.dataset.backend, isolated: crossOriginIsolated, reply: document.getElementById('reply')!.textContent, tps: document.getElementById('tps')!.textContent }));
      expect(problems).toEqual([]);
      expect(state.isolated).toBe(true);
      expect(JSON.parse(state.ids!)).toEqual(nodeIds);
      expect(state.threads).toBe('2');
      expect(state.backend).toMatch(/^wasm-(relaxed-)?simd×2$/);
      expect(state.reply).toContain(PROMPT);
      expect(state.reply!.length).toBeGreaterThan(PROMPT.length + 20);
      expect(state.tps).toMatch(/^[\d.]+ tok\/s$/);

      // A chat turn through ChatSession (the model's template) streams a reply too.
      await page.selectOption('#mode', 'chat');
      await page.fill('#prompt', 'Tell me a story.');
      await page.evaluate(() => { delete document.body.dataset.ids; });
      await page.click('#send');
      await page.waitForFunction(() => document.body.dataset.ids !== undefined || document.body.dataset.error, null, { timeout: 60_000 });
      const chat = await page.evaluate(() => ({ ids: document.body.dataset.ids, prompt: document.body.dataset.promptIds, error: document.body.dataset.error }));
      expect(chat.error).toBeUndefined();
      expect(JSON.parse(chat.ids!).length).toBeGreaterThan(0);
      expect(JSON.parse(chat.prompt!).length).toBeGreaterThan(5);
      await page.close();
    } finally {
      await served.close();
    }
  });

  it('a second visit loads the model from the Origin Private File System instead of downloading it', async () => {
    const served: Served = await serveExample({ port: 0, models: dirname(MODEL) });
    const context = await browser!.newContext();
    try {
      const first = await runPage(served, 'opfs-first', context);
      expect(first.problems).toEqual([]);
      expect(await first.page.evaluate(() => document.body.dataset.cached)).toBe('false');
      expect(first.modelRequests.length).toBe(1);
      await first.page.close();
      const second = await runPage(served, 'opfs-second', context);
      const state = await second.page.evaluate(() => ({ cached: document.body.dataset.cached, ids: document.body.dataset.ids, status: document.getElementById('status')!.textContent }));
      expect(second.problems).toEqual([]);
      expect(state.cached).toBe('true');
      expect(state.status).toContain('from the browser cache');
      expect(second.modelRequests).toEqual([]);
      expect(JSON.parse(state.ids!)).toEqual(nodeIds);
    } finally {
      await context.close();
      await served.close();
    }
  });

  it('without isolation headers: one thread, said so, same ids', async () => {
    const served: Served = await serveExample({ port: 0, models: dirname(MODEL), isolation: false });
    try {
      const { page, problems, warnings } = await runPage(served, 'not-isolated');
      const state = await page.evaluate(() => ({ ids: document.body.dataset.ids, threads: document.body.dataset.threads, backend: document.body.dataset.backend, isolated: crossOriginIsolated, note: document.getElementById('backend')!.textContent }));
      expect(problems).toEqual([]);
      expect(state.isolated).toBe(false);
      expect(state.threads).toBe('1');
      expect(state.backend).toContain('single-thread fallback');
      expect(state.note).toContain('not cross-origin isolated');
      expect(warnings.some((w) => w.includes('Legato runs on one thread'))).toBe(true);
      expect(JSON.parse(state.ids!)).toEqual(nodeIds);
      await page.close();
    } finally {
      await served.close();
    }
  });
});
