/**
 * Chat-template rendering on @huggingface/jinja, made to agree with Python Jinja2 as transformers
 * configures it (`ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)`, its own
 * `tojson`, `raise_exception`, `strftime_now`). The library's lexer and parser are used as they are;
 * where its interpreter prints or filters differently from Python, a subclass corrects it:
 *
 * - `tojson` is Python's `json.dumps(…, ensure_ascii=False)`: keys sorted by code point (the library
 *   uses `localeCompare`), floats in Python's form (`1e-07`, not `1e-7`), `indent` as a string or 0.
 * - `{{ value }}` and `|string` print as Python's `str`: `True`/`False`/`None`, lists and dicts as
 *   `['a', None]`, not JSON.
 * - filters the library lacks or gets wrong: `sum`, `min`, `max`, `round`, `center`, `truncate`,
 *   `wordcount`, `batch`, `format`, `map('<filter>')`, `title`, `capitalize`.
 * - `str.strip(chars)` / `lstrip(chars)` / `rstrip(chars)` honour their argument.
 * - `~`, `join` and `list` use Python's `str` of each value; `list` of a string is its characters.
 *
 * The library's private methods are replaced on the subclass's prototype only, so other users of
 * @huggingface/jinja in the same process are unaffected.
 */
import { Environment, Interpreter, parse, tokenize } from '@huggingface/jinja';
import { type JinjaValue, isMapping, isSequence, pyFloatRepr, pyJsonDumps, pyStr, pyStrftime } from './python.js';

type Program = ReturnType<typeof parse>;
type Node = { type: string; [k: string]: unknown };
type Args = [JinjaValue[], Map<string, JinjaValue>];

/** Thrown by the template's own `raise_exception(message)`. */
export class TemplateRaise extends Error {
  constructor(readonly templateMessage: string) {
    super(templateMessage);
    this.name = 'TemplateRaise';
  }
}

// The library's value classes are not exported; its environment converts JS values for us.
const scratch = new Environment();
function toValue(v: unknown): JinjaValue {
  scratch.variables.delete('_');
  return scratch.set('_', v) as unknown as JinjaValue;
}
const FloatCtor = toValue(0.5).constructor as new (v: number) => JinjaValue;
const floatValue = (x: number): JinjaValue => new FloatCtor(x);
const stringValue = (s: string): JinjaValue => toValue(s);

const NOT_OUTPUT = new Set(['Set', 'Macro', 'Comment', 'Break', 'Continue', 'If', 'For', 'CallStatement', 'FilterStatement']);

const num = (v: JinjaValue | undefined, what: string): number => {
  if (v && (v.type === 'IntegerValue' || v.type === 'FloatValue' || v.type === 'BooleanValue')) return Number(v.value);
  throw new Error(`${what} must be a number, got ${v?.type ?? 'nothing'}`);
};
const arg = (args: Args, i: number, name: string): JinjaValue | undefined => args[0][i] ?? args[1].get(name);
const isNumeric = (v: JinjaValue) => v.type === 'IntegerValue' || v.type === 'FloatValue' || v.type === 'BooleanValue';
const attrOf = (v: JinjaValue, path: string | undefined): JinjaValue => {
  if (path === undefined) return v;
  let cur: JinjaValue | undefined = v;
  for (const part of path.split('.')) {
    cur = cur && isMapping(cur) ? (cur.value as Map<string, JinjaValue>).get(part) : cur && isSequence(cur) ? (cur.value as JinjaValue[])[Number(part)] : undefined;
  }
  return cur ?? toValue(undefined);
};

/** Jinja2's `title`: first letter of each word upper-cased, the rest lower-cased. */
function pyTitle(s: string): string {
  return s
    .split(/([-\s({[<]+)/u)
    .map((w) => (w ? w[0].toUpperCase() + w.slice(1).toLowerCase() : w))
    .join('');
}

function pyStripChars(s: string, chars: string, left: boolean, right: boolean): string {
  const set = new Set(Array.from(chars));
  const cs = Array.from(s);
  let a = 0;
  let b = cs.length;
  if (left) while (a < b && set.has(cs[a])) a++;
  if (right) while (b > a && set.has(cs[b - 1])) b--;
  return cs.slice(a, b).join('');
}

/** Python `%`-formatting for the conversions templates use: %s %r %d %i %f %%. */
function pyPercentFormat(fmt: string, values: JinjaValue[]): string {
  let i = 0;
  return fmt.replace(/%(\.\d+)?([srdif%])/g, (_m, prec: string | undefined, conv: string) => {
    if (conv === '%') return '%';
    const v = values[i++];
    if (v === undefined) throw new Error('not enough arguments for format string');
    if (conv === 's') return pyStr(v);
    if (conv === 'r') return v.type === 'StringValue' ? `'${v.value as string}'` : pyStr(v);
    if (conv === 'f') return num(v, 'format %f').toFixed(prec ? Number(prec.slice(1)) : 6);
    return String(Math.trunc(num(v, 'format %d')));
  });
}

type FilterImpl = (self: PyInterpreter, operand: JinjaValue, args: Args, env: Environment) => JinjaValue | undefined;

/** Filters that replace or add to the library's. Returning undefined defers to the library. */
const FILTERS: Record<string, FilterImpl> = {
  tojson: (_s, v, a) => {
    const indent = arg(a, 0, 'indent');
    const seps = a[1].get('separators');
    return stringValue(
      pyJsonDumps(v, {
        indent: indent === undefined || indent.type === 'NullValue' ? null : indent.type === 'StringValue' ? (indent.value as string) : num(indent, 'indent'),
        separators: seps && isSequence(seps) ? ((seps.value as JinjaValue[]).map((x) => String(x.value)) as [string, string]) : null,
        sortKeys: Boolean(a[1].get('sort_keys')?.value),
        ensureAscii: Boolean(a[1].get('ensure_ascii')?.value),
      }),
    );
  },
  string: (_s, v) => stringValue(pyStr(v)),
  join: (_s, v, a) => {
    if (!isSequence(v)) return undefined;
    const sep = arg(a, 0, 'd');
    const attribute = arg(a, 1, 'attribute')?.value as string | undefined;
    return stringValue((v.value as JinjaValue[]).map((x) => pyStr(attrOf(x, attribute))).join(sep ? pyStr(sep) : ''));
  },
  list: (_s, v) => {
    if (v.type === 'StringValue') return toValue(Array.from(v.value as string));
    if (isMapping(v)) return toValue(Array.from((v.value as Map<string, JinjaValue>).keys()));
    return undefined;
  },
  title: (_s, v) => (v.type === 'StringValue' ? stringValue(pyTitle(v.value as string)) : undefined),
  capitalize: (_s, v) => {
    if (v.type !== 'StringValue') return undefined;
    const s = v.value as string;
    return stringValue(s.slice(0, 1).toUpperCase() + s.slice(1).toLowerCase());
  },
  sum: (_s, v, a) => {
    if (!isSequence(v)) return undefined;
    const attribute = arg(a, 0, 'attribute');
    let total = num(arg(a, 1, 'start') ?? toValue(0), 'start');
    let float = arg(a, 1, 'start')?.type === 'FloatValue';
    for (const item of v.value as JinjaValue[]) {
      const x = attrOf(item, attribute?.value as string | undefined);
      total += num(x, 'sum item');
      float ||= x.type === 'FloatValue';
    }
    return float ? floatValue(total) : toValue(total);
  },
  min: (_s, v, a) => extreme(v, a, -1),
  max: (_s, v, a) => extreme(v, a, 1),
  round: (_s, v, a) => {
    if (!isNumeric(v)) return undefined;
    const precision = num(arg(a, 0, 'precision') ?? toValue(0), 'precision');
    const method = (arg(a, 1, 'method')?.value as string | undefined) ?? 'common';
    const f = 10 ** precision;
    const x = Number(v.value) * f;
    // 'common' is Python's round(): halves go to the even neighbour.
    const fl = Math.floor(x);
    const half = x - fl === 0.5 ? (fl % 2 === 0 ? fl : fl + 1) : Math.round(x);
    const r = method === 'ceil' ? Math.ceil(x) : method === 'floor' ? Math.floor(x) : half;
    return floatValue(r / f);
  },
  center: (_s, v, a) => {
    if (v.type !== 'StringValue') return undefined;
    const s = v.value as string;
    const width = num(arg(a, 0, 'width') ?? toValue(80), 'width');
    const n = Array.from(s).length;
    if (width <= n) return v;
    // CPython's str.center puts the odd space on the right unless both the pad and width are odd.
    const pad = width - n;
    const left = Math.floor(pad / 2) + (pad & width & 1);
    return stringValue(' '.repeat(left) + s + ' '.repeat(pad - left));
  },
  truncate: (_s, v, a) => {
    if (v.type !== 'StringValue') return undefined;
    const s = v.value as string;
    const length = num(arg(a, 0, 'length') ?? toValue(255), 'length');
    const killwords = Boolean(arg(a, 1, 'killwords')?.value);
    const end = (arg(a, 2, 'end')?.value as string | undefined) ?? '...';
    const leeway = num(arg(a, 3, 'leeway') ?? toValue(5), 'leeway');
    if (s.length <= length + leeway) return v;
    if (killwords) return stringValue(s.slice(0, length - end.length) + end);
    const cut = s.slice(0, length - end.length);
    const at = cut.lastIndexOf(' ');
    return stringValue((at >= 0 ? cut.slice(0, at) : cut) + end);
  },
  wordcount: (_s, v) => (v.type === 'StringValue' ? toValue(((v.value as string).match(/\w+/gu) ?? []).length) : undefined),
  batch: (_s, v, a) => {
    if (!isSequence(v)) return undefined;
    const size = num(arg(a, 0, 'linecount'), 'linecount');
    const fill = arg(a, 1, 'fill_with');
    const items = v.value as JinjaValue[];
    const out: JinjaValue[][] = [];
    for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
    if (fill && out.length > 0) while (out[out.length - 1].length < size) out[out.length - 1].push(fill);
    return toValue(out.map((b) => b.map(plain)));
  },
  format: (_s, v, a) => (v.type === 'StringValue' ? stringValue(pyPercentFormat(v.value as string, a[0])) : undefined),
  map: (self, v, a, env) => {
    // The library supports map(attribute=…) only; map('<filter>') applies a filter to each item.
    const name = a[0][0];
    if (!isSequence(v) || a[1].has('attribute') || name?.type !== 'StringValue' || a[0].length > 1) return undefined;
    const node = { type: 'Identifier', value: name.value as string };
    return toValue((v.value as JinjaValue[]).map((item) => plain(self.filter(item, node, env))));
  },
};

function extreme(v: JinjaValue, a: Args, dir: 1 | -1): JinjaValue | undefined {
  if (!isSequence(v)) return undefined;
  const items = v.value as JinjaValue[];
  if (items.length === 0) return toValue(undefined);
  const caseSensitive = Boolean(arg(a, 0, 'case_sensitive')?.value);
  const attribute = arg(a, 1, 'attribute')?.value as string | undefined;
  const key = (x: JinjaValue) => {
    const k = attrOf(x, attribute);
    return k.type === 'StringValue' && !caseSensitive ? (k.value as string).toLowerCase() : (k.value as number | string);
  };
  let best = items[0];
  for (const x of items.slice(1)) if ((key(x) > key(best) ? 1 : key(x) < key(best) ? -1 : 0) === dir) best = x;
  return best;
}

/** A runtime value back to a JS value the library's converter accepts (keeps floats' kind where it can). */
function plain(v: JinjaValue): unknown {
  if (isSequence(v)) return (v.value as JinjaValue[]).map(plain);
  if (isMapping(v)) return Object.fromEntries(Array.from((v.value as Map<string, JinjaValue>).entries()).map(([k, x]) => [k, plain(x)]));
  return v.value;
}

// The library's own implementations, reached through the prototype (they are TypeScript-private).
const base = Interpreter.prototype as unknown as {
  applyFilter(this: Interpreter, operand: JinjaValue, filter: Node, env: Environment): JinjaValue;
  evaluateBlock(this: Interpreter, statements: Node[], env: Environment): JinjaValue;
  evaluateCallExpression(this: Interpreter, expr: Node, env: Environment): JinjaValue;
  evaluateBinaryExpression(this: Interpreter, node: Node, env: Environment): JinjaValue;
  evaluateArguments(this: Interpreter, args: Node[], env: Environment): Args;
  evaluate(this: Interpreter, node: Node, env: Environment): JinjaValue;
};

/** The library's interpreter with Python's printing and the filters above. */
// The library's .d.ts files import "./runtime" without an extension, which NodeNext resolution does
// not follow, so the class is given the shape this module uses.
const InterpreterBase = Interpreter as unknown as new (env: Environment) => { run(program: Program): unknown };

class PyInterpreter extends InterpreterBase {
  filter(operand: JinjaValue, node: Node, env: Environment): JinjaValue {
    const isCall = node.type === 'CallExpression';
    const callee = (isCall ? node.callee : node) as Node;
    const impl = callee.type === 'Identifier' ? FILTERS[callee.value as string] : undefined;
    if (impl) {
      const args: Args = isCall ? base.evaluateArguments.call(this, node.args as Node[], env) : [[], new Map()];
      const out = impl(this, operand, args, env);
      if (out) return out;
    }
    return base.applyFilter.call(this, operand, node, env);
  }
}

const proto = PyInterpreter.prototype as unknown as typeof base & { filter: PyInterpreter['filter'] };
proto.applyFilter = function (operand, node, env) {
  return (this as PyInterpreter).filter(operand, node, env);
};
proto.evaluateBlock = function (statements, env) {
  let out = '';
  for (const statement of statements) {
    const v = this.evaluate(statement as never, env) as unknown as JinjaValue;
    if (v.type === 'UndefinedValue') continue;
    if (v.type === 'NullValue') {
      if (!NOT_OUTPUT.has(statement.type)) out += 'None';
      continue;
    }
    out += pyStr(v);
  }
  return stringValue(out);
};
// `~` joins Python str() forms: 'x' ~ true ~ none is 'xTrueNone'.
proto.evaluateBinaryExpression = function (node, env) {
  if ((node.operator as Node).value === '~') {
    const l = base.evaluate.call(this, node.left as Node, env);
    const r = base.evaluate.call(this, node.right as Node, env);
    return stringValue(pyStr(l) + pyStr(r));
  }
  return base.evaluateBinaryExpression.call(this, node, env);
};
proto.evaluateCallExpression = function (expr, env) {
  const callee = expr.callee as Node;
  const method = callee.type === 'MemberExpression' && !callee.computed ? ((callee.property as Node).value as string) : '';
  const args = expr.args as Node[];
  if ((method === 'strip' || method === 'lstrip' || method === 'rstrip') && args.length === 1) {
    const self = base.evaluate.call(this, callee.object as Node, env);
    const chars = base.evaluate.call(this, args[0], env);
    if (self.type === 'StringValue' && chars.type === 'StringValue') {
      return stringValue(pyStripChars(self.value as string, chars.value as string, method !== 'rstrip', method !== 'lstrip'));
    }
  }
  return base.evaluateCallExpression.call(this, expr, env);
};

/** Globals of transformers' environment besides the conversation's variables. */
export interface RenderGlobals {
  /** What `strftime_now(fmt)` formats; the current time by default. */
  now?: () => Date;
}

function range(...a: number[]): number[] {
  const [start, stop, step] = a.length === 1 ? [0, a[0], 1] : [a[0], a[1], a[2] ?? 1];
  if (step === 0) throw new Error('range() arg 3 must not be zero');
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
  return out;
}

/** A parsed chat template, ready to render many times. */
export class CompiledTemplate {
  private readonly program: Program;

  /** Parses `source` with trim_blocks and lstrip_blocks, as transformers does; throws on bad syntax. */
  constructor(readonly source: string) {
    this.program = parse(tokenize(source, { lstrip_blocks: true, trim_blocks: true }));
  }

  /** Renders with `variables` (messages, add_generation_prompt, bos_token, …) over transformers' globals. */
  render(variables: Record<string, unknown>, globals: RenderGlobals = {}): string {
    const g = new Environment();
    const builtins: Record<string, unknown> = {
      false: false,
      true: true,
      none: null,
      False: false,
      True: true,
      None: null,
      range,
      raise_exception: (message: unknown) => {
        throw new TemplateRaise(String(message));
      },
      strftime_now: (format: unknown) => pyStrftime(globals.now?.() ?? new Date(), String(format)),
    };
    for (const [k, v] of Object.entries(builtins)) g.set(k, v);
    const env = new Environment(g);
    for (const [k, v] of Object.entries(variables)) if (v !== undefined) env.set(k, v);
    return (new PyInterpreter(env).run(this.program) as unknown as JinjaValue).value as string;
  }
}

export { pyFloatRepr };
