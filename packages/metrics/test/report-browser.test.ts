import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { writeReport } from '../src/report/write.js';
import { sampleReport } from './synthetic.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let dir: string;
let browser: Browser | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'legato-report-'));
});
afterAll(async () => {
  await browser?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('HTML report in headless Chromium', () => {
  it('renders without console or page errors and shows every plot', async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) to run the report rendering test`);
    }
    const out = await writeReport(dir, sampleReport());
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`requestfailed: ${r.url()}`));

    const response = await page.goto(pathToFileURL(out.html).href, { waitUntil: 'load' });
    expect(response?.ok()).toBe(true);

    expect(await page.title()).toBe(sampleReport().title);
    const figures = page.locator('figure');
    expect(await figures.count()).toBe(5);
    for (const name of ['itl-histogram', 'itl-by-position', 'ttft-distribution', 'kv-utilisation', 'queue-depth']) {
      const svg = page.locator(`#fig-${name} > svg`);
      await expect.poll(() => svg.isVisible()).toBe(true);
      const box = await svg.boundingBox();
      expect(box!.width).toBeGreaterThan(300);
      expect(box!.height).toBeGreaterThan(150);
      // Drawn marks, not an empty frame: the browser laid out the chart's paths.
      expect(await svg.locator('.role-mark path, .role-mark line').count()).toBeGreaterThan(0);
    }
    // Tables are there with a row per run.
    const ttftRows = page.locator('h2:text-is("TTFT (ms)") + table tbody tr');
    expect(await ttftRows.count()).toBe(2);
    await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
    expect(problems).toEqual([]);
  });
});
