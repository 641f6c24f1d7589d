import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PreTokenizer, preTokenizerConfig } from '../../src/tokenizer/pretokenize.js';
import { TokenizerError } from '../../src/tokenizer/index.js';
import { toCodepoints } from '../../src/tokenizer/unicode.js';

// Reference splits computed with Python's `regex` module from llama.cpp's regex lists
// (fixtures/gen-pretokenize-splits.py): an independent implementation of the same rules.
const fixture = JSON.parse(readFileSync(new URL('./fixtures/pretokenize-splits.json', import.meta.url), 'utf8')) as {
  strings: string[];
  splits: Record<string, string[][]>;
};

function words(pre: PreTokenizer, text: string): string[] {
  const cpts = toCodepoints(text);
  const out: string[] = [];
  let pos = 0;
  for (const len of pre.split(cpts)) {
    out.push(String.fromCodePoint(...cpts.subarray(pos, pos + len)));
    pos += len;
  }
  return out;
}

describe('pre-tokenizer splits match a regex-engine reference', () => {
  for (const [name, expected] of Object.entries(fixture.splits)) {
    it(name, () => {
      const pre = new PreTokenizer(preTokenizerConfig(name).regexes);
      fixture.strings.forEach((s, i) => {
        expect(words(pre, s), JSON.stringify(s)).toEqual(expected[i]);
      });
    });
  }
});

describe('pre-tokenizer details', () => {
  it('splits digits by the pre-type rule', () => {
    const split = (pre: string) => words(new PreTokenizer(preTokenizerConfig(pre).regexes), 'x 1234567');
    expect(split('llama-bpe')).toEqual(['x', ' ', '123', '456', '7']);
    expect(split('qwen2')).toEqual(['x', ' ', '1', '2', '3', '4', '5', '6', '7']);
    expect(split('gpt-2')).toEqual(['x', ' 1234567']);
    expect(split('starcoder')).toEqual(['x', ' ', '1', '2', '3', '4', '5', '6', '7']);
  });

  it('treats U+0085 as whitespace and U+FEFF as not, like llama.cpp', () => {
    const pre = new PreTokenizer(preTokenizerConfig('gpt-2').regexes);
    expect(words(pre, 'a\u0085\u0085b')).toEqual(['a', '\u0085', '\u0085', 'b']);
    expect(words(pre, 'a \ufeff')).toEqual(['a', ' \ufeff']);
  });

  it('rejects an unknown pre-tokenizer, naming it', () => {
    expect(() => preTokenizerConfig('no-such-pre')).toThrow(TokenizerError);
    expect(() => preTokenizerConfig('no-such-pre')).toThrow(/no-such-pre/);
  });

  it('defaults to llama.cpp\'s "default" when the key is absent', () => {
    expect(preTokenizerConfig(undefined)).toBe(preTokenizerConfig('default'));
  });
});
