/**
 * Rendering a conversation into a prompt string, as Hugging Face's
 * `apply_chat_template(messages, tools=…, add_generation_prompt=…, tokenize=False)` does, with the
 * template a GGUF file carries (`tokenizer.chat_template`) or llama.cpp's built-in fallback.
 */
import { type BuiltinTemplateName, applyBuiltinTemplate, contentText, detectChatTemplate, isBuiltinTemplateName } from './builtin.js';
import { ChatTemplateError } from './errors.js';
import { CompiledTemplate, TemplateRaise } from './jinja.js';
import { pyStrftime } from './python.js';
import type { ChatMessage, ChatTool } from './types.js';

/** GGUF metadata as key → value (what `readGGUFHeader(path).metadata` returns). */
export type ChatMetadata = Record<string, unknown>;

/** Where a model's chat format comes from. */
export type ChatTemplateSource =
  | {
      kind: 'jinja';
      source: string;
      /** `tokenizer.chat_template.tool_use`, used instead when tools are given (transformers and llama.cpp do). */
      toolUseSource?: string;
      bosToken: string;
      eosToken: string;
    }
  | { kind: 'builtin'; name: BuiltinTemplateName; reason: string; bosToken: string; eosToken: string };

export interface ApplyChatTemplateOptions {
  /** End with the opening of an assistant turn (`add_generation_prompt`). Default true. */
  addGenerationPrompt?: boolean;
  /** Tools offered to the model; passed to the template only when given, as transformers does. */
  tools?: readonly ChatTool[];
  /** `bos_token` / `eos_token` strings; by default the model's, from the metadata ('' for a bare template). */
  bosToken?: string;
  eosToken?: string;
  /**
   * When the template refuses the conversation (`raise_exception`, e.g. Gemma 2 on a system
   * message), merge the system messages into the first user turn ("system\n\nuser") and render
   * again. Default false: the refusal is a `ChatTemplateError`.
   */
  foldSystemIntoFirstUser?: boolean;
  /** Further template variables (e.g. `enable_thinking` for Qwen3). They cannot replace the ones above. */
  variables?: Record<string, unknown>;
  /** The clock behind `strftime_now` and `date_string`; the current time by default. */
  now?: () => Date;
}

const KEY_TEMPLATE = 'tokenizer.chat_template';

function tokenText(meta: ChatMetadata, which: 'bos' | 'eos'): string {
  const tokens = meta['tokenizer.ggml.tokens'];
  if (!Array.isArray(tokens)) return '';
  let id = meta[`tokenizer.ggml.${which}_token_id`];
  // SentencePiece vocabularies without the key use llama.cpp's defaults, <s> = 1 and </s> = 2.
  if (id === undefined && meta['tokenizer.ggml.model'] === 'llama') id = which === 'bos' ? 1 : 2;
  const n = typeof id === 'bigint' ? Number(id) : id;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < tokens.length && typeof tokens[n] === 'string' ? tokens[n] : '';
}

/**
 * The chat format of a model, as llama.cpp chooses it: the file's `tokenizer.chat_template` when it
 * has one; llama.cpp's `chatml` when it has none (llama.cpp's default for every such file, except
 * Mistral-Small-2503 — a `tekken` vocabulary with 40 layers — which gets `mistral-v7-tekken`).
 * A template that @huggingface/jinja cannot parse falls back to the built-in format llama.cpp's
 * `llm_chat_detect_template` recognises in its text, as llama.cpp does without `--jinja`.
 */
export function chatTemplateFromMetadata(meta: ChatMetadata): ChatTemplateSource {
  const bosToken = tokenText(meta, 'bos');
  const eosToken = tokenText(meta, 'eos');
  const toolUse = meta[`${KEY_TEMPLATE}.tool_use`];
  const toolUseSource = typeof toolUse === 'string' && toolUse.length > 0 ? toolUse : undefined;
  // llama.cpp: a file with only a tool_use template renders everything with it.
  const src = meta[KEY_TEMPLATE] ?? toolUseSource;
  if (typeof src === 'string' && src.length > 0) {
    const family = detectChatTemplate(src);
    if (family !== undefined && isBuiltinTemplateName(family) && src === family) return { kind: 'builtin', name: family, reason: 'named in the file', bosToken, eosToken };
    try {
      new CompiledTemplate(src);
      return { kind: 'jinja', source: src, ...(toolUseSource !== undefined && toolUseSource !== src ? { toolUseSource } : {}), bosToken, eosToken };
    } catch (e) {
      if (family !== undefined && isBuiltinTemplateName(family)) {
        return { kind: 'builtin', name: family, reason: `the file's template does not parse (${clipError(e)}); llama.cpp detects ${family}`, bosToken, eosToken };
      }
      throw new ChatTemplateError('syntax', `${KEY_TEMPLATE}: ${clipError(e)}`);
    }
  }
  const arch = meta['general.architecture'];
  const layers = typeof arch === 'string' ? meta[`${arch}.block_count`] : undefined;
  if (meta['tokenizer.ggml.pre'] === 'tekken' && Number(layers) === 40) {
    return { kind: 'builtin', name: 'mistral-v7-tekken', reason: 'no template; a tekken vocabulary with 40 layers (Mistral-Small-2503)', bosToken, eosToken };
  }
  return { kind: 'builtin', name: 'chatml', reason: `no ${KEY_TEMPLATE} in the file`, bosToken, eosToken };
}

const clipError = (e: unknown) => {
  const m = e instanceof Error ? e.message : String(e);
  return m.length > 160 ? `${m.slice(0, 160)}…` : m;
};

/** Messages with every system message merged into the first user turn (the usual remedy for Gemma). */
export function foldSystemIntoFirstUser(messages: readonly ChatMessage[]): ChatMessage[] {
  const system = messages.filter((m) => m.role === 'system').map((m) => contentText(m.content));
  if (system.length === 0) return messages.slice();
  const text = system.join('\n\n');
  const rest = messages.filter((m) => m.role !== 'system');
  const first = rest.findIndex((m) => m.role === 'user');
  if (first < 0) {
    rest.unshift({ role: 'user', content: text });
  } else {
    const c = rest[first].content;
    // Multi-part content keeps its parts: the system text becomes a first text part.
    rest[first] = { ...rest[first], content: Array.isArray(c) ? [{ type: 'text', text: `${text}\n\n` }, ...c] : `${text}\n\n${(c as string | null) ?? ''}` };
  }
  return rest;
}

const compiled = new Map<string, CompiledTemplate>();
function compile(source: string): CompiledTemplate {
  let t = compiled.get(source);
  if (!t) {
    try {
      t = new CompiledTemplate(source);
    } catch (e) {
      throw new ChatTemplateError('syntax', clipError(e));
    }
    if (compiled.size > 32) compiled.clear();
    compiled.set(source, t);
  }
  return t;
}

function validate(messages: readonly ChatMessage[]): void {
  if (!Array.isArray(messages)) throw new TypeError('messages must be an array of { role, content }');
  messages.forEach((m, i) => {
    if (m === null || typeof m !== 'object' || typeof m.role !== 'string') throw new TypeError(`messages[${i}] must be an object with a string role`);
    const c: unknown = m.content;
    if (c !== null && c !== undefined && typeof c !== 'string' && !(Array.isArray(c) && c.every((p) => p !== null && typeof p === 'object'))) {
      throw new TypeError(`messages[${i}].content must be a string, null or an array of parts`);
    }
  });
}

function renderOnce(source: ChatTemplateSource, messages: readonly ChatMessage[], opts: ApplyChatTemplateOptions): string {
  const addGenerationPrompt = opts.addGenerationPrompt ?? true;
  if (source.kind === 'builtin') {
    if (opts.tools && opts.tools.length > 0) {
      throw new ChatTemplateError('unsupported', `the built-in ${source.name} format cannot render tools (it has no Jinja template)`);
    }
    return applyBuiltinTemplate(source.name, messages, addGenerationPrompt);
  }
  const template = compile(opts.tools !== undefined && source.toolUseSource !== undefined ? source.toolUseSource : source.source);
  const now = opts.now ?? (() => new Date());
  const vars: Record<string, unknown> = {
    ...opts.variables,
    messages,
    add_generation_prompt: addGenerationPrompt,
    bos_token: opts.bosToken ?? source.bosToken,
    eos_token: opts.eosToken ?? source.eosToken,
    // Llama 3.x computes this from strftime_now when it is absent; passing it changes nothing there.
    date_string: pyStrftime(now(), '%d %b %Y'),
  };
  if (opts.tools !== undefined) vars.tools = opts.tools;
  try {
    return template.render(vars, { now });
  } catch (e) {
    if (e instanceof TemplateRaise) throw new ChatTemplateError('raised', e.templateMessage);
    throw new ChatTemplateError('render', clipError(e));
  }
}

/**
 * The prompt text for `messages`: what transformers' `apply_chat_template(..., tokenize=False)`
 * returns for a Jinja template, or what llama.cpp's `llama_chat_apply_template` returns for a
 * built-in one. `template` is GGUF metadata (the file's template or fallback), a resolved
 * {@link ChatTemplateSource}, a Jinja source, or a built-in name such as `'llama3'`.
 *
 * Throws `ChatTemplateError` when the template refuses the conversation, does not parse or fails to
 * render, and `TypeError` for malformed messages.
 */
export function applyChatTemplate(
  template: ChatMetadata | ChatTemplateSource | string,
  messages: readonly ChatMessage[],
  options: ApplyChatTemplateOptions = {},
): string {
  validate(messages);
  const source: ChatTemplateSource =
    typeof template === 'string'
      ? isBuiltinTemplateName(template)
        ? { kind: 'builtin', name: template, reason: 'named', bosToken: '', eosToken: '' }
        : { kind: 'jinja', source: template, bosToken: '', eosToken: '' }
      : isTemplateSource(template)
        ? template
        : chatTemplateFromMetadata(template);
  try {
    return renderOnce(source, messages, options);
  } catch (e) {
    if (options.foldSystemIntoFirstUser && e instanceof ChatTemplateError && e.kind === 'raised' && messages.some((m) => m.role === 'system')) {
      return renderOnce(source, foldSystemIntoFirstUser(messages), options);
    }
    throw e;
  }
}

function isTemplateSource(x: object): x is ChatTemplateSource {
  const k = (x as { kind?: unknown }).kind;
  return (k === 'jinja' || k === 'builtin') && typeof (x as { bosToken?: unknown }).bosToken === 'string';
}
