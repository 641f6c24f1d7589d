/**
 * Chat messages → the prompt text the model continues. The one place the server renders a chat,
 * so switching to core's `applyChatTemplate` (the model's own Jinja template, being built in
 * packages/core/src/chat/) is a one-line change here.
 *
 * Until then this is a plain transcript, the shape llama.cpp falls back to for a model without a
 * template: each message on its own line as "Role: content", ending with "Assistant:" for the
 * model to continue.
 */
import type { LlamaModel } from '@legato/core';
import type { ChatMessage } from './schemas.js';

/** The text of a message: a string, or its text parts joined. */
export function messageText(m: ChatMessage): string {
  if (typeof m.content === 'string') return m.content;
  if (Array.isArray(m.content)) return m.content.map((p) => p.text).join('');
  return '';
}

const ROLE_NAMES: Record<ChatMessage['role'], string> = {
  system: 'System',
  developer: 'System',
  user: 'User',
  assistant: 'Assistant',
  tool: 'Tool',
};

/**
 * Renders `messages` as the prompt for `model`. The result is tokenized with BOS added and
 * special-token text parsed, as llama-server does for chat prompts.
 */
export function renderChat(model: LlamaModel, messages: readonly ChatMessage[]): string {
  void model; // the template-based renderer reads the model's chat template from its metadata
  const lines = messages.map((m) => `${ROLE_NAMES[m.role]}: ${messageText(m)}`);
  lines.push('Assistant:');
  return lines.join('\n');
}
