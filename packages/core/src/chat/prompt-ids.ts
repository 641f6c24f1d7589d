/**
 * Token ids of a rendered chat prompt, the way llama-server makes them: special tokens in the text
 * are parsed as special, and BOS appears once whether or not the template wrote it.
 */
import type { Tokenizer } from '../tokenizer/index.js';

/**
 * llama.cpp's rule (common/chat.cpp `common_chat_template_direct_apply`, then the server's
 * `tokenize_input_prompts(…, add_special = true, parse_special = true)`): when the vocabulary adds
 * BOS (`tokenizer.ggml.add_bos_token`) and the rendered text starts with the BOS token's text, that
 * text is cut off and the tokenizer adds BOS instead; likewise a trailing EOS text when it adds EOS.
 * So a template that writes `<|begin_of_text|>` or `<bos>` itself yields one BOS, not two, and a
 * template that writes none still gets the one the vocabulary asks for. When the vocabulary does not
 * add BOS, a BOS the template wrote stays and is parsed as the special token.
 */
export function chatPromptIds(model: Tokenizer | { tokenizer: Tokenizer }, rendered: string): number[] {
  const tok = 'tokenizer' in model ? model.tokenizer : model;
  const text = (id: number | undefined) => (id === undefined ? '' : new TextDecoder().decode(tok.tokenToPiece(id)));
  let prompt = rendered;
  const bos = text(tok.bos);
  const eos = text(tok.eos);
  if (tok.addBos && bos && prompt.startsWith(bos)) prompt = prompt.slice(bos.length);
  if (tok.addEos && eos && prompt.endsWith(eos)) prompt = prompt.slice(0, prompt.length - eos.length);
  return tok.encode(prompt, { addSpecial: true, parseSpecial: true });
}
