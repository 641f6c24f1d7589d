/**
 * Python's text forms of template values — `json.dumps` (transformers' `tojson`), `repr` and `str` —
 * written over @huggingface/jinja's runtime values (which it does not export as types, so they are
 * read by their `type` tag). Chat templates are rendered by Python Jinja2 in transformers, so these
 * are the forms a rendering must reproduce byte for byte.
 */

/** The shape of an @huggingface/jinja runtime value that these functions read. */
export interface JinjaValue {
  type: string;
  value: unknown;
}

const MAPPING_TYPES = new Set(['ObjectValue', 'KeywordArgumentsValue', 'NamespaceValue']);
const SEQUENCE_TYPES = new Set(['ArrayValue', 'TupleValue']);

export const isMapping = (v: JinjaValue): boolean => MAPPING_TYPES.has(v.type);
export const isSequence = (v: JinjaValue): boolean => SEQUENCE_TYPES.has(v.type);

/**
 * `repr(float)`: the shortest digits that round-trip (as JavaScript also finds them), laid out the
 * Python way — positional for exponents in [-4, 16), else `d.ddde±XX` — and always with a `.0` or
 * an exponent so that a float never reads as an int.
 */
export function pyFloatRepr(x: number, json = false): string {
  if (Number.isNaN(x)) return json ? 'NaN' : 'nan';
  if (!Number.isFinite(x)) return json ? (x > 0 ? 'Infinity' : '-Infinity') : x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const [mantissa, expText] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const e = Number(expText);
  if (e < -4 || e >= 16) {
    const frac = digits.length > 1 ? `.${digits.slice(1)}` : '';
    return `${sign}${digits[0]}${frac}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
  if (e >= digits.length - 1) return `${sign}${digits}${'0'.repeat(e - digits.length + 1)}.0`;
  return `${sign}${digits.slice(0, e + 1)}.${digits.slice(e + 1)}`;
}

/** Options of Python's `json.dumps` that transformers' `tojson` filter passes through. */
export interface PyJsonOptions {
  indent?: number | string | null;
  separators?: readonly [string, string] | null;
  sortKeys?: boolean;
  ensureAscii?: boolean;
}

function jsonString(s: string, ensureAscii: boolean): string {
  // JSON.stringify escapes exactly Python's set (\" \\ \n \r \t \b \f, other C0 controls as \u00xx)
  // apart from lone surrogates, which Python cannot encode anyway.
  const out = JSON.stringify(s);
  return ensureAscii ? out.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : out;
}

// Python orders str keys by code point; JavaScript's default sort compares UTF-16 units.
function compareCodePoints(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** `json.dumps(value, ensure_ascii=…, indent=…, separators=…, sort_keys=…)` of a runtime value. */
export function pyJsonDumps(v: JinjaValue, opts: PyJsonOptions = {}): string {
  const indent = opts.indent === undefined || opts.indent === null ? null : typeof opts.indent === 'number' ? ' '.repeat(Math.max(0, opts.indent)) : opts.indent;
  const [itemSep, keySep] = opts.separators ?? (indent === null ? [', ', ': '] : [',', ': ']);
  const ensureAscii = opts.ensureAscii ?? false;
  const encode = (x: JinjaValue, depth: number): string => {
    switch (x.type) {
      case 'NullValue':
      case 'UndefinedValue': // Jinja2 would refuse to serialise Undefined; null is the lenient choice.
        return 'null';
      case 'BooleanValue':
        return x.value ? 'true' : 'false';
      case 'IntegerValue':
        return String(x.value);
      case 'FloatValue':
        return pyFloatRepr(x.value as number, true);
      case 'StringValue':
        return jsonString(x.value as string, ensureAscii);
    }
    let items: string[];
    let open: string;
    let close: string;
    if (isSequence(x)) {
      items = (x.value as JinjaValue[]).map((e) => encode(e, depth + 1));
      [open, close] = ['[', ']'];
    } else if (isMapping(x)) {
      let entries = Array.from((x.value as Map<string, JinjaValue>).entries());
      if (opts.sortKeys) entries = entries.sort(([a], [b]) => compareCodePoints(a, b));
      items = entries.map(([k, e]) => `${jsonString(k, ensureAscii)}${keySep}${encode(e, depth + 1)}`);
      [open, close] = ['{', '}'];
    } else {
      throw new TypeError(`Object of type ${x.type} is not JSON serializable`);
    }
    if (items.length === 0) return open + close;
    if (indent === null) return open + items.join(itemSep) + close;
    const inner = `\n${indent.repeat(depth + 1)}`;
    return `${open}${inner}${items.join(itemSep + inner)}\n${indent.repeat(depth)}${close}`;
  };
  return encode(v, 0);
}

/** Python's `repr(str)`: single quotes unless the text has one and no double quote. */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\' || ch === quote) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || (c >= 0x7f && c < 0xa0)) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

/** Python's `repr` of a runtime value (how a list or dict prints inside `{{ }}`). */
export function pyRepr(v: JinjaValue): string {
  switch (v.type) {
    case 'StringValue':
      return pyStrRepr(v.value as string);
    case 'NullValue':
      return 'None';
    case 'UndefinedValue':
      return '';
    case 'BooleanValue':
      return v.value ? 'True' : 'False';
    case 'IntegerValue':
      return String(v.value);
    case 'FloatValue':
      return pyFloatRepr(v.value as number);
    case 'TupleValue': {
      const items = (v.value as JinjaValue[]).map(pyRepr);
      return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
    }
    case 'ArrayValue':
      return `[${(v.value as JinjaValue[]).map(pyRepr).join(', ')}]`;
  }
  if (isMapping(v)) {
    const items = Array.from((v.value as Map<string, JinjaValue>).entries()).map(([k, e]) => `${pyStrRepr(k)}: ${pyRepr(e)}`);
    return v.type === 'NamespaceValue' ? `<Namespace {${items.join(', ')}}>` : `{${items.join(', ')}}`;
  }
  return String(v.value);
}

/** Python's `str` of a runtime value: what `{{ value }}` and the `string` filter print. */
export function pyStr(v: JinjaValue): string {
  return v.type === 'StringValue' ? (v.value as string) : pyRepr(v);
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/**
 * Python's `datetime.strftime` for the directives chat templates use (`strftime_now("%d %b %Y")` in
 * Llama 3.x), in the C locale. Unknown directives are left as written, as glibc does.
 */
export function pyStrftime(d: Date, format: string): string {
  const p2 = (n: number) => String(n).padStart(2, '0');
  const dayOfYear = Math.floor((Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) - Date.UTC(d.getFullYear(), 0, 1)) / 86_400_000) + 1;
  const h12 = d.getHours() % 12 === 0 ? 12 : d.getHours() % 12;
  const table: Record<string, () => string> = {
    d: () => p2(d.getDate()),
    '-d': () => String(d.getDate()),
    e: () => String(d.getDate()).padStart(2, ' '),
    m: () => p2(d.getMonth() + 1),
    '-m': () => String(d.getMonth() + 1),
    Y: () => String(d.getFullYear()),
    y: () => p2(d.getFullYear() % 100),
    b: () => MONTHS[d.getMonth()].slice(0, 3),
    h: () => MONTHS[d.getMonth()].slice(0, 3),
    B: () => MONTHS[d.getMonth()],
    a: () => DAYS[d.getDay()].slice(0, 3),
    A: () => DAYS[d.getDay()],
    H: () => p2(d.getHours()),
    I: () => p2(h12),
    M: () => p2(d.getMinutes()),
    S: () => p2(d.getSeconds()),
    p: () => (d.getHours() < 12 ? 'AM' : 'PM'),
    j: () => String(dayOfYear).padStart(3, '0'),
    w: () => String(d.getDay()),
    '%': () => '%',
  };
  return format.replace(/%(-?[a-zA-Z%])/g, (m, k: string) => table[k]?.() ?? m);
}
