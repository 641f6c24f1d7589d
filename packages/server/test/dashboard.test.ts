/**
 * The live dashboard in headless Chromium (Debian's chromium through playwright-core, as the
 * report test runs it): the page loads with no console or network errors, every chart is drawn
 * by Vega and fills with data while a load runs, and a screenshot is saved.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LlamaModel } from '@legato/core';
import type { LegatoServer } from '../src/index.js';
import { REPO_ROOT } from '../../../testing/models.js';
import { loadTestModel, post, testServer } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const CHARTS = ['fig-ttft', 'fig-itl', 'fig-itl-position', 'fig-kv', 'fig-queue', 'fig-smoothness', 'fig-spikes'];

let model: LlamaModel;
let server: LegatoServer;
let browser: Browser | undefined;

beforeAll(async () => {
  model = await loadTestModel();
  server = await testServer(model, { maxSequences: 4 });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  model?.dispose();
});

describe('/dashboard in headless Chromium', () => {
  it('loads, draws every chart with data while a load runs, and is screenshotted', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) to run the dashboard test`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
    const page = await browser.newPage({ viewport: { width: 1300, height: 1100 } });
    const problems: string[] = [];
    const external: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => {
      // The event stream is cut when the page closes; anything else failing is a problem.
      if (!r.url().endsWith('/dashboard/events')) problems.push(`requestfailed: ${r.url()}`);
    });
    page.on('request', (r) => {
      if (!r.url().startsWith(server.url)) external.push(r.url());
    });

    const response = await page.goto(`${server.url}/dashboard`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    expect(await page.title()).toContain('Legato');
    await expect.poll(() => page.evaluate(() => Number(document.body.dataset.updates)), { timeout: 10_000 }).toBeGreaterThan(0);

    // A load of concurrent streams with some queueing (4 sequences, 12 clients), in waves.
    const load = (async () => {
      for (let wave = 0; wave < 3; wave++) {
        await Promise.all(Array.from({ length: 12 }, (_, i) =>
          post(`${server.url}/v1/completions`, { prompt: `Once upon a time ${wave} ${i}`, max_tokens: 40, ignore_eos: true, stream: i % 2 === 0 })));
      }
    })();
    // The charts fill while the load runs: the status line counts finished requests.
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 30_000 }).toMatch(/finished [1-9]/);
    await load;
    const updatesAfterLoad = await page.evaluate(() => Number(document.body.dataset.updates));
    await expect.poll(() => page.evaluate(() => Number(document.body.dataset.updates)), { timeout: 5000 }).toBeGreaterThan(updatesAfterLoad);
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 5000 }).toContain('finished 36');

    for (const id of CHARTS) {
      const svg = page.locator(`#${id} svg`).first();
      await expect.poll(() => svg.isVisible()).toBe(true);
      const box = await svg.boundingBox();
      expect(box!.width, id).toBeGreaterThan(300);
      expect(box!.height, id).toBeGreaterThan(150);
      // Drawn marks with data, not an empty frame.
      await expect.poll(() => svg.locator('.role-mark path, .role-mark line, .role-mark rect').count(), { timeout: 5000, message: id }).toBeGreaterThan(0);
    }
    // The histograms hold many bars' worth of data: the ITL histogram has several bins.
    expect(await page.locator('#fig-itl svg .mark-rect path').count()).toBeGreaterThan(3);

    const dir = join(REPO_ROOT, 'reports', 'dashboard');
    await mkdir(dir, { recursive: true });
    const shot = join(dir, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(existsSync(shot)).toBe(true);
    expect(external).toEqual([]);
    expect(problems).toEqual([]);
  });
});
