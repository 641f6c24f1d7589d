/**
 * The Markdown report, in the order a person reads it: the conclusions as a ✓/✗ list, the
 * description, the report's own tables, the stutter plot, then the summary tables (one per
 * metric family, runs as rows) and the other plots.
 */
import type { ReportConclusion, ReportInput } from './types.js';
import { reportTables, type Table } from './tables.js';

/** Renders a table as GitHub-flavoured Markdown. */
export function markdownTable(t: Table): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [
    `| ${t.columns.map(cell).join(' | ')} |`,
    `| ${t.numeric.map((n) => (n ? '---:' : '---')).join(' | ')} |`,
    ...t.rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ];
  return lines.join('\n');
}

/** The conclusions as a Markdown list: mark, claim in bold, evidence. */
export function markdownConclusions(list: readonly ReportConclusion[]): string {
  const text = (s: string) => s.replace(/\n/g, ' ');
  return list.map((c) => `- ${c.mark} **${text(c.claim)}**${c.evidence ? ` — ${text(c.evidence)}` : ''}`).join('\n');
}

/** Plots led with, before the tables: figure name → section heading. */
export const LEAD_FIGURES: Readonly<Record<string, string>> = { 'itl-by-position': 'Inter-token latency by output position' };

/**
 * The whole Markdown report; `svgFiles` (relative paths, named by the figure's file name) are
 * linked as images when given.
 */
export function renderMarkdown(input: ReportInput, svgFiles: readonly { file: string; title: string }[] = []): string {
  const parts = [`# ${input.title}`];
  if (input.conclusions && input.conclusions.length > 0) parts.push('## Conclusions', markdownConclusions(input.conclusions));
  if (input.description) parts.push(input.description);
  const table = (t: Table) => {
    parts.push(`## ${t.title}`);
    if (t.note) parts.push(`_${t.note}_`);
    parts.push(markdownTable(t));
  };
  for (const t of input.leadTables ?? []) table(t);
  const heading = (s: { file: string }) => LEAD_FIGURES[s.file.replace(/\.svg$/, '')];
  const lead = (s: { file: string }) => heading(s) !== undefined;
  for (const s of svgFiles.filter(lead)) parts.push(`## ${heading(s)}`, `_${s.title}_`, `![${s.title}](${s.file})`);
  for (const t of reportTables(input)) table(t);
  const rest = svgFiles.filter((s) => !lead(s));
  if (rest.length > 0) {
    parts.push('## Plots');
    for (const s of rest) parts.push(`![${s.title}](${s.file})`);
  }
  return parts.join('\n\n') + '\n';
}
