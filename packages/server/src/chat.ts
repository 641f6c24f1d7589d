/**
 * Chat messages → the prompt the model continues: the model's own chat template (core's
 * `applyChatTemplate`: the GGUF's Jinja template rendered as transformers renders it, or
 * llama.cpp's built-in format for a file without one), tokenized with special tokens parsed and
 * BOS kept single, as llama-server does.
 */
import { chatPromptIds, type ChatMessage as TemplateMessage, type LlamaModel } from '@legato/core';
import type { ChatMessage } from './schemas.js';

/** The text of a message: a string, or its text parts joined. */
export function messageText(m: ChatMessage): string {
  if (typeof m.content === 'string') return m.content;
  if (Array.isArray(m.content)) return m.content.map((p) => p.text).join('');
  return '';
}

/** OpenAI's newer `developer` role is the templates' `system`. */
function toTemplate(m: ChatMessage): TemplateMessage {
  const out: TemplateMessage = { role: m.role === 'developer' ? 'system' : m.role, content: m.content ?? null };
  if (m.name !== undefined) out.name = m.name;
  return out;
}

/** The prompt text for `messages`, ending with the opening of the assistant's turn. */
export function renderChat(model: LlamaModel, messages: readonly ChatMessage[]): string {
  return model.applyChatTemplate(messages.map(toTemplate), { addGenerationPrompt: true });
}

/** The prompt's token ids. Throws core's `ChatTemplateError` when the template refuses the conversation. */
export function chatPrompt(model: LlamaModel, messages: readonly ChatMessage[]): number[] {
  return chatPromptIds(model, renderChat(model, messages));
}
