/**
 * The HTML report: one self-contained page with the tables and the plots as inline SVG,
 * no scripts and no external resources, so it opens anywhere, offline. It leads with what a
 * person looks at: the conclusions as a ✓/✗ list, then the stutter plot; the tables follow.
 */
import type { ReportConclusion, ReportInput } from './types.js';
import { reportTables, type Table } from './tables.js';
import { LEAD_FIGURES } from './markdown.js';

/** A rendered plot for the page. */
export interface HtmlFigure {
  name: string;
  title: string;
  svg: string;
}

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .85rem; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
p.note { color: #555; font-size: .85rem; margin: .2rem 0; }
figure { margin: 1rem 0 2rem; } figcaption { color: #444; font-size: .9rem; margin-bottom: .3rem; }
figure svg { max-width: 100%; height: auto; }
ul.conclusions { list-style: none; padding-left: 0; } ul.conclusions li { margin: .4rem 0; }
ul.conclusions .mark { display: inline-block; width: 1.4rem; font-weight: bold; }
li.holds .mark { color: #1a7f37; } li.fails .mark { color: #cf222e; } li.undecided .mark { color: #9a6700; }
ul.conclusions .evidence { display: block; margin-left: 1.4rem; color: #555; font-size: .85rem; }
`;

const MARK_CLASS: Record<ReportConclusion['mark'], string> = { '✓': 'holds', '✗': 'fails', '?': 'undecided' };

/** The conclusions as an HTML list: mark, claim, evidence. */
export function htmlConclusions(list: readonly ReportConclusion[]): string {
  const items = list.map(
    (c) =>
      `<li class="${MARK_CLASS[c.mark]}"><span class="mark">${escapeHtml(c.mark)}</span><strong>${escapeHtml(c.claim)}</strong>` +
      `${c.evidence ? `<span class="evidence">${escapeHtml(c.evidence)}</span>` : ''}</li>`,
  );
  return `<ul class="conclusions">\n${items.join('\n')}\n</ul>`;
}

/** Renders a table as HTML. */
export function htmlTable(t: Table): string {
  const head = t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = t.rows
    .map((r) => `<tr>${r.map((c, i) => `<td${t.numeric[i] ? ' class="num"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** The whole page. */
export function renderHtml(input: ReportInput, figures: readonly HtmlFigure[]): string {
  const parts: string[] = [];
  parts.push(`<h1>${escapeHtml(input.title)}</h1>`);
  if (input.conclusions && input.conclusions.length > 0) parts.push('<h2>Conclusions</h2>', htmlConclusions(input.conclusions));
  if (input.description) parts.push(...input.description.split(/\n{2,}/).map((p) => `<p>${escapeHtml(p)}</p>`));
  const table = (t: Table) => {
    parts.push(`<h2>${escapeHtml(t.title)}</h2>`);
    if (t.note) parts.push(`<p class="note">${escapeHtml(t.note)}</p>`);
    parts.push(htmlTable(t));
  };
  const figure = (f: HtmlFigure) =>
    parts.push(`<figure id="fig-${escapeHtml(f.name)}"><figcaption>${escapeHtml(f.title)}</figcaption>\n${stripXmlProlog(f.svg)}\n</figure>`);
  for (const t of input.leadTables ?? []) table(t);
  const lead = figures.filter((f) => LEAD_FIGURES[f.name] !== undefined);
  const rest = figures.filter((f) => LEAD_FIGURES[f.name] === undefined);
  for (const f of lead) {
    parts.push(`<h2>${escapeHtml(LEAD_FIGURES[f.name])}</h2>`);
    figure(f);
  }
  for (const t of reportTables(input)) table(t);
  if (rest.length > 0) parts.push('<h2>Plots</h2>');
  for (const f of rest) figure(f);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)}</title>
<style>${STYLE}</style>
</head>
<body>
${parts.join('\n')}
</body>
</html>
`;
}

// An XML declaration is invalid inside HTML.
function stripXmlProlog(svg: string): string {
  return svg.replace(/^\s*<\?xml[^>]*\?>\s*/, '');
}
