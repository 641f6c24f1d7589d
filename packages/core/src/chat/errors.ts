/** Errors of chat-template rendering. */

/**
 * - `raised`: the template refused the conversation with `raise_exception(message)` (Gemma 2 and a
 *   system message); `templateMessage` is the template's own text.
 * - `syntax`: the template does not parse.
 * - `render`: rendering failed otherwise (a filter or value the template cannot use).
 * - `unsupported`: a built-in (non-Jinja) format that cannot express the request, e.g. tools.
 */
export type ChatTemplateErrorKind = 'raised' | 'syntax' | 'render' | 'unsupported';

const clip = (s: string, n = 200) => (s.length > n ? `${s.slice(0, n)}…` : s);

/** A chat template could not render a conversation. */
export class ChatTemplateError extends Error {
  /** The template's own message (`raised`) or the renderer's, at most 200 characters. */
  readonly templateMessage: string;

  constructor(
    readonly kind: ChatTemplateErrorKind,
    message: string,
  ) {
    const m = clip(message);
    super(kind === 'raised' ? `chat template refused the conversation: ${m}` : `chat template ${kind} error: ${m}`);
    this.name = 'ChatTemplateError';
    this.templateMessage = m;
  }
}
