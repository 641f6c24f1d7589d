/**
 * Chat templates: a conversation → the prompt text a model was trained on, from the GGUF's
 * `tokenizer.chat_template` (rendered as transformers renders it) or llama.cpp's built-in formats.
 */
export { applyChatTemplate, chatTemplateFromMetadata, foldSystemIntoFirstUser, type ApplyChatTemplateOptions, type ChatMetadata, type ChatTemplateSource } from './template.js';
export { ChatTemplateError, type ChatTemplateErrorKind } from './errors.js';
export type { ChatMessage, ChatContentPart, ChatTool, ChatToolCall } from './types.js';
export { BUILTIN_TEMPLATES, applyBuiltinTemplate, detectChatTemplate, type BuiltinTemplateName } from './builtin.js';
export { chatPromptIds } from './prompt-ids.js';
