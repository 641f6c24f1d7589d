/**
 * llama.cpp's built-in chat formats (`llm_chat_apply_template` in src/llama-chat.cpp), the ones it
 * uses when a template is given by name (`--chat-template llama3`), when it cannot run a file's
 * Jinja template, and — as `chatml` — when a file has none. Only role and content are rendered;
 * nothing here is Jinja.
 */
import { ChatTemplateError } from './errors.js';
import type { ChatMessage } from './types.js';

/** The built-in formats Legato renders. */
export const BUILTIN_TEMPLATES = [
  'chatml',
  'llama2',
  'llama2-sys',
  'llama2-sys-bos',
  'llama2-sys-strip',
  'llama3',
  'gemma',
  'phi3',
  'mistral-v1',
  'mistral-v3',
  'mistral-v3-tekken',
  'mistral-v7',
  'mistral-v7-tekken',
] as const;
export type BuiltinTemplateName = (typeof BUILTIN_TEMPLATES)[number];

export const isBuiltinTemplateName = (s: string): s is BuiltinTemplateName => (BUILTIN_TEMPLATES as readonly string[]).includes(s);

/**
 * The family llama.cpp's `llm_chat_detect_template` assigns to a template name or text, or
 * undefined. The branch order is llama.cpp's, since an earlier test shadows a later one (a Phi-4
 * template contains `<|im_start|>` too). Names of families Legato does not render are returned as
 * llama.cpp spells them, so that a caller can say which one it is.
 */
export function detectChatTemplate(tmpl: string): string | undefined {
  if (isBuiltinTemplateName(tmpl)) return tmpl;
  const has = (s: string) => tmpl.includes(s);
  if (has('<|im_start|>')) return has('<|im_sep|>') ? 'phi4' : has('<end_of_utterance>') ? 'smolvlm' : 'chatml';
  if (tmpl.startsWith('mistral') || has('[INST]')) {
    if (has('[SYSTEM_PROMPT]')) return 'mistral-v7';
    if (has("' [INST] ' + system_message") || has('[AVAILABLE_TOOLS]')) {
      if (has(' [INST]')) return 'mistral-v1';
      if (has('"[INST]"')) return 'mistral-v3-tekken';
      return 'mistral-v3';
    }
    if (has('content.strip()')) return 'llama2-sys-strip';
    if (has("bos_token + '[INST]")) return 'llama2-sys-bos';
    if (has('<<SYS>>')) return 'llama2-sys';
    return 'llama2';
  }
  if (has('<|assistant|>') && has('<|end|>')) return 'phi3';
  if (has('[gMASK]<sop>')) return 'chatglm4';
  if (has('<|assistant|>') && has('<|user|>')) return has('<|tool_declare|>') ? 'exaone-moe' : has('</s>') ? 'falcon3' : 'glmedge';
  if (has("<|{{ item['role'] }}|>") && has('<|begin_of_image|>')) return 'glmedge';
  if (has('<|user|>') && has('<|endoftext|>')) return 'zephyr';
  if (has("bos_token + message['role']")) return 'monarch';
  if (has('<start_of_turn>')) return 'gemma';
  if (has("'\\n\\nAssistant: ' + eos_token")) return 'orion';
  if (has('GPT4 Correct ')) return 'openchat';
  if (has('USER: ') && has('ASSISTANT: ')) return has('SYSTEM: ') ? 'vicuna-orca' : 'vicuna';
  if (has('### Instruction:') && has('<|EOT|>')) return 'deepseek';
  if (has('<|START_OF_TURN_TOKEN|>') && has('<|USER_TOKEN|>')) return 'command-r';
  if (has('<|start_header_id|>') && has('<|end_header_id|>')) return 'llama3';
  // llama.cpp knows about forty more families after these; Legato renders none of them.
  return undefined;
}

// Multi-part content: llama.cpp's legacy path joins the text parts with newlines and drops the rest.
export function contentText(content: ChatMessage['content']): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  return content.filter((p) => p.type === 'text').map((p) => p.text ?? '').join('\n');
}

// llama.cpp's trim(): isspace() on bytes, i.e. ASCII whitespace only.
const trim = (s: string) => s.replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, '');

/** `llm_chat_apply_template(tmpl, chat, add_ass)`: the prompt llama.cpp builds, byte for byte. */
export function applyBuiltinTemplate(name: BuiltinTemplateName, messages: readonly ChatMessage[], addAssistant: boolean): string {
  const chat = messages.map((m) => ({ role: m.role, content: contentText(m.content) }));
  let s = '';
  switch (name) {
    case 'chatml':
      for (const m of chat) s += `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`;
      if (addAssistant) s += '<|im_start|>assistant\n';
      return s;
    case 'mistral-v7':
    case 'mistral-v7-tekken': {
      const sp = name === 'mistral-v7' ? ' ' : '';
      for (const m of chat) {
        if (m.role === 'system') s += `[SYSTEM_PROMPT]${sp}${m.content}[/SYSTEM_PROMPT]`;
        else if (m.role === 'user') s += `[INST]${sp}${m.content}[/INST]`;
        else s += `${sp}${m.content}</s>`;
      }
      return s;
    }
    case 'mistral-v1':
    case 'mistral-v3':
    case 'mistral-v3-tekken': {
      const lead = name === 'mistral-v1' ? ' ' : '';
      const trail = name === 'mistral-v3-tekken' ? '' : ' ';
      let inside = false;
      for (const m of chat) {
        if (!inside) {
          s += `${lead}[INST]${trail}`;
          inside = true;
        }
        if (m.role === 'system') s += `${m.content}\n\n`;
        else if (m.role === 'user') s += `${m.content}${lead}[/INST]`;
        else {
          s += `${trail}${name === 'mistral-v3' ? trim(m.content) : m.content}</s>`;
          inside = false;
        }
      }
      return s;
    }
    case 'llama2':
    case 'llama2-sys':
    case 'llama2-sys-bos':
    case 'llama2-sys-strip': {
      const system = name !== 'llama2';
      let inside = true; // the first [INST] is written before the loop; BOS comes from the tokenizer
      s = '[INST] ';
      for (const m of chat) {
        const content = name === 'llama2-sys-strip' ? trim(m.content) : m.content;
        if (!inside) {
          inside = true;
          s += name === 'llama2-sys-bos' ? '<s>[INST] ' : '[INST] ';
        }
        if (m.role === 'system') s += system ? `<<SYS>>\n${content}\n<</SYS>>\n\n` : `${content}\n`;
        else if (m.role === 'user') s += `${content} [/INST]`;
        else {
          s += `${content}</s>`;
          inside = false;
        }
      }
      return s;
    }
    case 'phi3':
      for (const m of chat) s += `<|${m.role}|>\n${m.content}<|end|>\n`;
      if (addAssistant) s += '<|assistant|>\n';
      return s;
    case 'gemma': {
      // Gemma has no system role: llama.cpp prepends the system text to the next user turn.
      let system = '';
      for (const m of chat) {
        if (m.role === 'system') {
          system += trim(m.content);
          continue;
        }
        const role = m.role === 'assistant' ? 'model' : m.role;
        s += `<start_of_turn>${role}\n`;
        if (system && role !== 'model') {
          s += `${system}\n\n`;
          system = '';
        }
        s += `${trim(m.content)}<end_of_turn>\n`;
      }
      if (addAssistant) s += '<start_of_turn>model\n';
      return s;
    }
    case 'llama3':
      for (const m of chat) s += `<|start_header_id|>${m.role}<|end_header_id|>\n\n${trim(m.content)}<|eot_id|>`;
      if (addAssistant) s += '<|start_header_id|>assistant<|end_header_id|>\n\n';
      return s;
    default: {
      const never: never = name;
      throw new ChatTemplateError('unsupported', `unknown built-in template ${String(never)}`);
    }
  }
}
