/**
 * Chat on top of a context: a conversation rendered with the model's chat template, tokenized as
 * llama-server does (special tokens parsed, one BOS), and generated until the model's end of turn.
 * A `ChatSession` keeps the history, so each turn's prompt begins with the previous turn's — the
 * prefix cache then supplies those positions instead of recomputing them.
 */
import { chatPromptIds, type ApplyChatTemplateOptions, type ChatMessage } from '../chat/index.js';
import { InvalidOptionError } from '../errors.js';
import type { LlamaContext } from './context.js';
import type { Generation, GenerationResult } from './generation.js';
import type { GenerateOptions } from './options.js';

/** Options of one chat turn: generation options (the prompt's tokenization is the template's) and template options. */
export interface ChatOptions extends Omit<GenerateOptions, 'addSpecial' | 'parseSpecial'> {
  /** Passed to `applyChatTemplate` (tools, foldSystemIntoFirstUser, template variables). */
  template?: Omit<ApplyChatTemplateOptions, 'addGenerationPrompt'>;
}

export interface ChatSessionOptions {
  /** A system message that opens the conversation. */
  system?: string;
  /** Template options for every turn. */
  template?: Omit<ApplyChatTemplateOptions, 'addGenerationPrompt'>;
}

function checkMessages(messages: unknown): readonly ChatMessage[] {
  if (!Array.isArray(messages) || messages.length === 0) throw new InvalidOptionError('messages', 'a non-empty array of messages', messages);
  for (const m of messages) {
    if (typeof m !== 'object' || m === null || typeof (m as ChatMessage).role !== 'string') throw new InvalidOptionError('messages', 'objects with a role', m);
    const c = (m as ChatMessage).content;
    if (c !== null && c !== undefined && typeof c !== 'string') throw new InvalidOptionError('messages', 'messages whose content is a string', c);
  }
  return messages as readonly ChatMessage[];
}

/** Renders and starts one assistant reply to `messages` on `ctx`. */
export function startChat(ctx: LlamaContext, messages: readonly ChatMessage[], options: ChatOptions = {}): Generation {
  const { template, ...generate } = options;
  const model = ctx.model;
  const text = model.applyChatTemplate(checkMessages(messages), { ...template, addGenerationPrompt: true });
  return ctx.generate(chatPromptIds(model, text), generate);
}

/**
 * A conversation with history. Each `prompt` adds the user's message and, when the reply ends
 * (including by abort, with the text so far), the assistant's.
 * @example
 * const chat = new ChatSession(model.createContext(), { system: 'You are terse.' });
 * for await (const t of chat.prompt('Hello!')) process.stdout.write(t.text);
 * const second = await chat.prompt('And again?').result();
 */
export class ChatSession {
  private history: ChatMessage[] = [];
  private system: string | undefined;

  constructor(
    readonly context: LlamaContext,
    private readonly options: ChatSessionOptions = {},
  ) {
    this.system = options.system;
  }

  /** The conversation so far (system message first, when there is one). */
  get messages(): readonly ChatMessage[] {
    return this.system === undefined ? this.history : [{ role: 'system', content: this.system }, ...this.history];
  }

  /** Sends a user message; the reply streams from the returned generation. */
  prompt(text: string, options: ChatOptions = {}): Generation {
    if (typeof text !== 'string') throw new InvalidOptionError('text', 'a string', text);
    const user: ChatMessage = { role: 'user', content: text };
    const g = startChat(this.context, [...this.messages, user], { ...options, template: { ...this.options.template, ...options.template } });
    g.result().then(
      (r: GenerationResult) => this.history.push(user, { role: 'assistant', content: r.text }),
      () => undefined, // a failed turn leaves the history as it was
    );
    return g;
  }

  /** Forgets the history (the system message stays). */
  reset(): void {
    this.history = [];
  }

  /** Replaces (or with undefined removes) the system message. */
  setSystem(text: string | undefined): void {
    this.system = text;
  }
}
