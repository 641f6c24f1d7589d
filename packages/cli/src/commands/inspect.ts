/** `legato inspect <model.gguf>`: metadata and a tensor table (name, type, shape, bytes). */
import { parseCommandArgs, requirePositional } from '../usage.js';
import { checkModelPath } from '../open-model.js';

const USAGE = 'legato inspect <model.gguf> [--json]';

function show(v: unknown): string {
  if (Array.isArray(v)) {
    const head = v.slice(0, 8).map((x) => JSON.stringify(x)).join(', ');
    return `[${head}${v.length > 8 ? `, … (${v.length} items)` : ''}]`;
  }
  return typeof v === 'string' ? JSON.stringify(v.length > 200 ? `${v.slice(0, 200)}…` : v) : String(v);
}

export async function inspect(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs('inspect', { args: argv, allowPositionals: true, options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) return void process.stdout.write(`usage: ${USAGE}\n`);
  const path = requirePositional(positionals, 0, 'model path', USAGE);
  checkModelPath(path);
  const [{ readGGUFHeader }, { typeName }] = await Promise.all([import('@legato/core/gguf'), import('@legato/quant')]);
  const h = readGGUFHeader(path);
  if (values.json) {
    const metadata = Object.fromEntries(Object.entries(h.metadata).map(([k, v]) => [k, Array.isArray(v) && v.length > 64 ? { length: v.length, head: v.slice(0, 8) } : v]));
    process.stdout.write(`${JSON.stringify({ version: h.version, alignment: h.alignment, metadata, tensors: h.tensors.map((t) => ({ name: t.name, type: typeName(t.type), shape: t.shape, bytes: t.byteSize })) }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
    return;
  }
  const out: string[] = [`GGUF v${h.version}, ${h.tensors.length} tensors, ${Object.keys(h.metadata).length} metadata keys, alignment ${h.alignment}, ${h.fileSize} bytes`, '', 'metadata:'];
  for (const [k, v] of Object.entries(h.metadata)) out.push(`  ${k} = ${show(v)}`);
  out.push('', 'tensors:');
  const w = Math.max(4, ...h.tensors.map((t) => t.name.length));
  out.push(`  ${'name'.padEnd(w)}  ${'type'.padEnd(6)}  ${'shape'.padEnd(16)}  bytes`);
  let total = 0;
  for (const t of h.tensors) {
    out.push(`  ${t.name.padEnd(w)}  ${typeName(t.type).padEnd(6)}  ${`[${t.shape.join(', ')}]`.padEnd(16)}  ${t.byteSize}`);
    total += t.byteSize;
  }
  out.push(`  ${''.padEnd(w)}  ${''.padEnd(6)}  ${'total'.padEnd(16)}  ${total}`);
  process.stdout.write(`${out.join('\n')}\n`);
}
