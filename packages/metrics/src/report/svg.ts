/**
 * Renders Vega-Lite specs to SVG text in Node: Vega-Lite compiles to Vega, and Vega's
 * headless View (`renderer: 'none'`) emits SVG without a browser or a canvas package
 * (text widths are estimated from font size). Vega is imported on first use, so programs
 * that only collect metrics never load it.
 */
import type { TopLevelSpec } from 'vega-lite';

/**
 * A Vega-Lite specification as JSON (https://vega.github.io/vega-lite/docs/spec.html). Declared
 * here rather than re-exported from vega-lite: vega-lite ships ES modules only, and a reference
 * to its types in this package's declarations breaks CommonJS TypeScript projects (TS1479).
 * Vega-Lite validates a spec when it compiles it.
 */
export interface VegaLiteSpec {
  $schema?: string;
  [key: string]: unknown;
}

/** Renders one Vega-Lite spec to a standalone SVG document string. */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vl.compile(spec as unknown as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
