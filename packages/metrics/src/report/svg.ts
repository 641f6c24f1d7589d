/**
 * Renders Vega-Lite specs to SVG text in Node: Vega-Lite compiles to Vega, and Vega's
 * headless View (`renderer: 'none'`) emits SVG without a browser or a canvas package
 * (text widths are estimated from font size). Vega is imported on first use, so programs
 * that only collect metrics never load it.
 */
import type { TopLevelSpec } from 'vega-lite';

/** Renders one Vega-Lite spec to a standalone SVG document string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
