/**
 * `legato chat-template <model.gguf> --messages conversation.json`: prints the prompt text the
 * model's chat template makes of a conversation — exactly, with no newline added — so anyone can
 * check a rendering against transformers' `apply_chat_template(..., tokenize=False)`. Only the GGUF
 * header is read, never the weights.
 */
import { existsSync, readFileSync } from 'node:fs';
import { InputError, UsageError, clip, parseCommandArgs, requirePositional } from '../usage.js';
import { checkModelPath } from '../open-model.js';

const USAGE =
  'legato chat-template <model.gguf> --messages conversation.json [--no-generation-prompt] [--template file.jinja|NAME] [--fold-system] [--ids]';

const HELP = `usage: ${USAGE}

  --messages FILE         JSON: an array of {role, content, ...} messages, or an object
                          {messages, tools?, add_generation_prompt?}
  --no-generation-prompt  do not open an assistant turn at the end
  --template FILE|NAME    render with this Jinja file, or one of llama.cpp's built-in formats
                          (chatml, llama2, llama3, gemma, phi3, mistral-v1/v3/v7, ...), instead
                          of the file's tokenizer.chat_template
  --fold-system           if the template refuses a system message, merge it into the first
                          user turn and render again
  --ids                   print the prompt's token ids (special tokens parsed, one BOS) instead
`;

interface Conversation {
  messages: unknown[];
  tools?: unknown[];
  addGenerationPrompt?: boolean;
}

function readJson(path: string, what: string): unknown {
  if (!existsSync(path)) throw new InputError(`${what} file not found: ${clip(path)}`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new InputError(`${what} file ${clip(path)} is not valid JSON: ${clip((e as Error).message)}`);
  }
}

function readConversation(path: string): Conversation {
  const data = readJson(path, 'messages');
  if (Array.isArray(data)) return { messages: data };
  if (data && typeof data === 'object' && Array.isArray((data as { messages?: unknown }).messages)) {
    const o = data as { messages: unknown[]; tools?: unknown; add_generation_prompt?: unknown };
    if (o.tools !== undefined && !Array.isArray(o.tools)) throw new InputError(`${clip(path)}: "tools" must be an array`);
    if (o.add_generation_prompt !== undefined && typeof o.add_generation_prompt !== 'boolean') {
      throw new InputError(`${clip(path)}: "add_generation_prompt" must be true or false`);
    }
    return { messages: o.messages, tools: o.tools as unknown[] | undefined, addGenerationPrompt: o.add_generation_prompt as boolean | undefined };
  }
  throw new InputError(`${clip(path)} must hold an array of messages or an object with "messages"`);
}

export async function chatTemplate(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs('chat-template', {
    args: argv,
    allowPositionals: true,
    options: {
      messages: { type: 'string' },
      'no-generation-prompt': { type: 'boolean', default: false },
      template: { type: 'string' },
      'fold-system': { type: 'boolean', default: false },
      ids: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void process.stdout.write(HELP);
  const path = requirePositional(positionals, 0, 'model path', USAGE);
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${clip(positionals[1])}; usage: ${USAGE}`);
  if (values.messages === undefined) throw new UsageError(`--messages is required; usage: ${USAGE}`);
  checkModelPath(path);
  const conversation = readConversation(values.messages);

  const [core, { readGGUFHeader }] = await Promise.all([import('@legato/core'), import('@legato/core/gguf')]);
  const meta = readGGUFHeader(path).metadata;
  let format = core.chatTemplateFromMetadata(meta);
  if (values.template !== undefined) {
    const t = values.template;
    const isFile = existsSync(t);
    if (!isFile && !(core.BUILTIN_CHAT_TEMPLATES as readonly string[]).includes(t)) {
      throw new InputError(`--template: no such file, and not a built-in format (${core.BUILTIN_CHAT_TEMPLATES.join(', ')}): ${clip(t)}`);
    }
    const source = isFile ? readFileSync(t, 'utf8') : t;
    // The model's BOS/EOS texts stay; only the template changes.
    const chosen = core.chatTemplateFromMetadata({ ...meta, 'tokenizer.chat_template': source });
    format = { ...chosen, bosToken: format.bosToken, eosToken: format.eosToken };
  }

  let text: string;
  try {
    text = core.applyChatTemplate(format, conversation.messages as never, {
      addGenerationPrompt: values['no-generation-prompt'] ? false : (conversation.addGenerationPrompt ?? true),
      tools: conversation.tools as never,
      foldSystemIntoFirstUser: values['fold-system'],
    });
  } catch (e) {
    if (e instanceof core.ChatTemplateError || e instanceof TypeError) {
      const hint = e instanceof core.ChatTemplateError && e.kind === 'raised' ? ' (--fold-system merges a system message into the first user turn)' : '';
      throw new InputError(`${e.message}${hint}`);
    }
    throw e;
  }
  if (values.ids) {
    const tok = core.Tokenizer.fromMetadata(meta);
    process.stdout.write(`${core.chatPromptIds(tok, text).join(' ')}\n`);
  } else {
    process.stdout.write(text);
  }
}
