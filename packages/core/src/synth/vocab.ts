/**
 * A synthetic SentencePiece vocabulary of any size, so synthesized models carry a real, loadable
 * tokenizer without shipping one: 3 control tokens, 256 byte-fallback tokens, then single
 * characters and letter n-grams (with and without the ▁ word marker) by descending score. Every
 * multi-character piece is the concatenation of two shorter pieces, so SPM merges can reach it.
 */
export interface SynthVocab {
  tokens: string[];
  scores: number[];
  types: number[];
}

const NORMAL = 1, UNKNOWN = 2, CONTROL = 3, BYTE = 6;

export function synthesizeVocab(size: number): SynthVocab {
  const tokens: string[] = ['<unk>', '<s>', '</s>'];
  const types: number[] = [UNKNOWN, CONTROL, CONTROL];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(BYTE);
  }
  const seen = new Set(tokens);
  const add = (p: string): boolean => {
    if (tokens.length >= size || seen.has(p)) return tokens.length < size;
    seen.add(p);
    tokens.push(p);
    types.push(NORMAL);
    return tokens.length < size;
  };
  const letters = 'etaoinshrdlcumwfgypbvkjxqz';
  const chars = `▁${letters}${letters.toUpperCase()}0123456789.,!?'"-:;()\n`;
  for (const ch of chars) add(ch);
  // Grow n-grams breadth-first: each new piece = an existing piece + one letter.
  let frontier = ['▁', ...letters];
  while (tokens.length < size && frontier.length) {
    const next: string[] = [];
    for (const p of frontier) {
      for (const l of letters) {
        const q = p + l;
        next.push(q);
        if (!add(q)) break;
      }
      if (tokens.length >= size) break;
    }
    frontier = next;
  }
  const scores = tokens.map((_, i) => (types[i] === NORMAL ? -i : 0));
  return { tokens, scores, types };
}
