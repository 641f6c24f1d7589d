/** Flattens SVG text into its elements with attributes and text, via a real XML parser. */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface SvgElement {
  tag: string;
  attrs: Record<string, string>;
  /** Text directly inside the element. */
  text: string;
  /** Class attributes of the ancestors, nearest first. */
  ancestors: string[];
}

/** Throws if the text is not well-formed XML; otherwise every element in document order. */
export function svgElements(svg: string): SvgElement[] {
  const valid = XMLValidator.validate(svg);
  if (valid !== true) throw new Error(`SVG is not well-formed: ${JSON.stringify(valid.err)}`);
  const tree = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', trimValues: false }).parse(svg) as Node[];
  const out: SvgElement[] = [];
  walk(tree, [], out);
  return out;
}

type Node = Record<string, unknown> & { ':@'?: Record<string, string> };

function walk(nodes: Node[], ancestors: string[], out: SvgElement[]): void {
  for (const node of nodes) {
    const tag = Object.keys(node).find((k) => k !== ':@')!;
    if (tag === '#text' || tag === '?xml') continue;
    const children = (node[tag] as Node[]) ?? [];
    const attrs = node[':@'] ?? {};
    const text = children
      .filter((c) => '#text' in c)
      .map((c) => String(c['#text']))
      .join('');
    out.push({ tag, attrs, text, ancestors });
    walk(children, attrs.class ? [attrs.class, ...ancestors] : ancestors, out);
  }
}

/** Elements whose nearest classed ancestor group's class includes `cls`. */
export function inGroup(els: SvgElement[], cls: string): SvgElement[] {
  return els.filter((e) => e.ancestors.length > 0 && e.ancestors[0].split(/\s+/).includes(cls));
}
