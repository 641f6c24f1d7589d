/** The Markdown report: the summary tables, one per metric family, runs as rows. */
import type { ReportInput } from './types.js';
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

/** The whole Markdown report; `svgFiles` (relative paths) are linked as images when given. */
export function renderMarkdown(input: ReportInput, svgFiles: readonly { file: string; title: string }[] = []): string {
  const parts = [`# ${input.title}`];
  if (input.description) parts.push(input.description);
  for (const t of reportTables(input)) {
    parts.push(`## ${t.title}`);
    if (t.note) parts.push(`_${t.note}_`);
    parts.push(markdownTable(t));
  }
  if (svgFiles.length > 0) {
    parts.push('## Plots');
    for (const s of svgFiles) parts.push(`![${s.title}](${s.file})`);
  }
  return parts.join('\n\n') + '\n';
}
