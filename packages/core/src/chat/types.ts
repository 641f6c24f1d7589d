/** The conversation a chat template renders, in the OpenAI / Hugging Face message shape. */

/** A tool call made by the assistant; `arguments` may be an object or a JSON string, as templates differ. */
export interface ChatToolCall {
  id?: string;
  type?: 'function' | (string & {});
  function: { name: string; arguments: Record<string, unknown> | string };
  [key: string]: unknown;
}

/** A tool offered to the model (`tools` in `apply_chat_template`). */
export interface ChatTool {
  type: 'function' | (string & {});
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
  [key: string]: unknown;
}

/** A part of a multi-part content (OpenAI style); built-in formats render only the text parts. */
export interface ChatContentPart {
  type: 'text' | (string & {});
  text?: string;
  [key: string]: unknown;
}

/** One message. Extra fields are passed to the template untouched. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool' | (string & {});
  content: string | null | readonly ChatContentPart[];
  /** Name of the tool that produced a `tool` message (some templates print it). */
  name?: string;
  tool_calls?: ChatToolCall[];
  tool_call_id?: string;
  [key: string]: unknown;
}
