/**
 * Writes a report directory: report.json (raw timelines + summaries), report.md (tables),
 * one SVG per plot, and report.html gathering tables and plots on one page.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReportInput } from './types.js';
import { reportJsonText } from './json.js';
import { renderMarkdown } from './markdown.js';
import { renderHtml, type HtmlFigure } from './html.js';
import { reportCharts } from './charts.js';
import { renderSvg } from './svg.js';

/** Paths of the files a report wrote. */
export interface WrittenReport {
  json: string;
  markdown: string;
  html: string;
  svgs: string[];
}

/** Renders every plot of a report to SVG text. */
export async function renderFigures(input: ReportInput): Promise<HtmlFigure[]> {
  const figures: HtmlFigure[] = [];
  // One at a time: each render holds its whole scenegraph in memory.
  for (const c of reportCharts(input)) figures.push({ name: c.name, title: c.title, svg: await renderSvg(c.spec) });
  return figures;
}

/** Writes the JSON, Markdown, SVG and HTML files of a report into `dir` (created if needed). */
export async function writeReport(dir: string, input: ReportInput): Promise<WrittenReport> {
  await mkdir(dir, { recursive: true });
  const figures = await renderFigures(input);
  const svgs: string[] = [];
  for (const f of figures) {
    const path = join(dir, `${f.name}.svg`);
    await writeFile(path, f.svg);
    svgs.push(path);
  }
  const json = join(dir, 'report.json');
  const markdown = join(dir, 'report.md');
  const html = join(dir, 'report.html');
  await writeFile(json, reportJsonText(input));
  await writeFile(markdown, renderMarkdown(input, figures.map((f) => ({ file: `${f.name}.svg`, title: f.title }))));
  await writeFile(html, renderHtml(input, figures));
  return { json, markdown, html, svgs };
}
