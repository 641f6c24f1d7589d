/**
 * Every real template × conversation in ../shared/models/templates renders byte-identically to
 * transformers (Python Jinja2), and every expected refusal is a ChatTemplateError. The extra
 * fixtures (fixtures/oracle.py, same Python set-up) add a tool-call round trip through all nine
 * templates and small templates for each Python behaviour the wrapper corrects.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelPath } from '../../../../testing/models.js';
import { ChatTemplateError, applyChatTemplate, type ChatMessage, type ChatTool } from '../../src/chat/index.js';
import { CompiledTemplate } from '../../src/chat/jinja.js';

interface Conversation { id: string; messages: ChatMessage[]; tools?: ChatTool[]; variables?: Record<string, unknown>; add_generation_prompt: boolean }
type Outcome = { text: string } | { error: string };

const dir = modelPath('templates');
const conversations: Conversation[] = JSON.parse(readFileSync(join(dir, 'conversations.json'), 'utf8'));
const expected: Record<string, { special_tokens: { bos_token: string; eos_token: string }; renders: Record<string, Outcome> }> =
  JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
const fixtures = join(import.meta.dirname, 'fixtures');
const extraConversations: Conversation[] = JSON.parse(readFileSync(join(fixtures, 'conversations-extra.json'), 'utf8'));
const extra: { templates: Record<string, Record<string, Outcome>>; probes: Record<string, Outcome> } = JSON.parse(
  readFileSync(join(fixtures, 'extra-expected.json'), 'utf8'),
);
const probes: [string, string, Record<string, unknown>][] = JSON.parse(readFileSync(join(fixtures, 'probes.json'), 'utf8'));

// The fixtures were made with strftime_now() fixed to "07 Dec 2026".
const now = () => new Date(2026, 11, 7, 12, 0, 0);

function render(name: string, c: Conversation): string {
  const { bos_token, eos_token } = expected[name].special_tokens;
  return applyChatTemplate(readFileSync(join(dir, `${name}.jinja`), 'utf8'), c.messages, {
    addGenerationPrompt: c.add_generation_prompt,
    tools: c.tools,
    variables: c.variables,
    bosToken: bos_token,
    eosToken: eos_token,
    now,
  });
}

function check(name: string, c: Conversation, want: Outcome): void {
  if ('text' in want) {
    expect(render(name, c)).toBe(want.text);
  } else {
    let err: unknown;
    try {
      render(name, c);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ChatTemplateError);
    const e = err as ChatTemplateError;
    if (want.error.startsWith('TemplateError: ')) {
      expect(e.kind).toBe('raised');
      expect(e.templateMessage).toBe(want.error.slice('TemplateError: '.length));
    }
  }
}

describe('real chat templates render as transformers does', () => {
  it('has all 9 templates and 6 conversations', () => {
    expect(Object.keys(expected)).toHaveLength(9);
    expect(conversations).toHaveLength(6);
  });
  for (const name of Object.keys(expected)) {
    describe(name, () => {
      for (const c of conversations) it(c.id, () => check(name, c, expected[name].renders[c.id]));
      for (const c of extraConversations) it(c.id, () => check(name, c, extra.templates[name][c.id]));
    });
  }
});

describe('Python behaviours of the wrapper (probes rendered by Jinja2)', () => {
  for (const [name, src, ctx] of probes) {
    it(name, () => {
      const want = extra.probes[name];
      if ('text' in want) expect(new CompiledTemplate(src).render(ctx)).toBe(want.text);
      else expect(() => new CompiledTemplate(src).render(ctx)).toThrow();
    });
  }
});

describe("the 33 templates of llama.cpp's test table render as Jinja2 renders them", () => {
  const table: { conversation: ChatMessage[]; cases: { name: string; template: string; bos_token: string; eos_token: string }[] } = JSON.parse(
    readFileSync(join(fixtures, 'llamacpp-chat-cases.json'), 'utf8'),
  );
  const rendered = (extra as unknown as { llamacpp_table: Record<string, Outcome> }).llamacpp_table;
  for (const c of table.cases) {
    const want = rendered[c.name];
    if (!want) continue;
    it(c.name, () => {
      const run = () => applyChatTemplate(c.template, table.conversation, { bosToken: c.bos_token, eosToken: c.eos_token });
      if ('text' in want) expect(run()).toBe(want.text);
      else expect(run).toThrowError(ChatTemplateError);
    });
  }
});

describe('Gemma 2 refuses a system message; foldSystemIntoFirstUser is the remedy', () => {
  const name = 'google-gemma-2-2b-it';
  const src = () => readFileSync(join(dir, `${name}.jinja`), 'utf8');
  const c = conversations.find((x) => x.id === 'multi-turn')!;

  it('is a typed error carrying the template message', () => {
    expect(() => applyChatTemplate(src(), c.messages, { bosToken: '<bos>' })).toThrowError(ChatTemplateError);
    try {
      applyChatTemplate(src(), c.messages, { bosToken: '<bos>' });
    } catch (e) {
      expect((e as ChatTemplateError).kind).toBe('raised');
      expect((e as ChatTemplateError).templateMessage).toBe('System role not supported');
    }
  });

  it('folds the system text into the first user turn and renders', () => {
    const out = applyChatTemplate(src(), c.messages, { bosToken: '<bos>', foldSystemIntoFirstUser: true });
    expect(out).toBe(
      '<bos><start_of_turn>user\nYou are helpful.\n\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n4.<end_of_turn>\n' +
        '<start_of_turn>user\nAnd times 3?<end_of_turn>\n<start_of_turn>model\n',
    );
  });

  it('folds into multi-part user content as a first text part', async () => {
    const { foldSystemIntoFirstUser } = await import('../../src/chat/index.js');
    const folded = foldSystemIntoFirstUser([
      { role: 'system', content: 'S' },
      { role: 'user', content: [{ type: 'text', text: 'U' }] },
    ]);
    expect(folded).toEqual([{ role: 'user', content: [{ type: 'text', text: 'S\n\n' }, { type: 'text', text: 'U' }] }]);
  });

  it('leaves a conversation the template accepts untouched', () => {
    const qwen = readFileSync(join(dir, 'Qwen-Qwen2.5-7B-Instruct.jinja'), 'utf8');
    const sys = conversations.find((x) => x.id === 'system-user')!;
    expect(applyChatTemplate(qwen, sys.messages, { foldSystemIntoFirstUser: true })).toBe((expected['Qwen-Qwen2.5-7B-Instruct'].renders['system-user'] as { text: string }).text);
  });
});

describe('errors', () => {
  it('a template that does not parse is a syntax ChatTemplateError', () => {
    try {
      applyChatTemplate('{% if %}', [{ role: 'user', content: 'x' }]);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ChatTemplateError);
      expect((e as ChatTemplateError).kind).toBe('syntax');
    }
  });
  it('a long template message is clipped to 200 characters', () => {
    const e = (() => {
      try {
        applyChatTemplate('{{ raise_exception(long) }}', [{ role: 'user', content: 'x' }], { variables: { long: 'x'.repeat(1000) } });
      } catch (err) {
        return err as ChatTemplateError;
      }
    })();
    expect(e?.kind).toBe('raised');
    expect(e!.templateMessage.length).toBeLessThanOrEqual(201);
  });
  it('malformed messages are a TypeError', () => {
    expect(() => applyChatTemplate('x', [{ content: 'x' } as never])).toThrow(TypeError);
    expect(() => applyChatTemplate('x', 'hi' as never)).toThrow(TypeError);
  });
  it('strftime_now uses the given clock with Python directives', () => {
    expect(applyChatTemplate('{{ strftime_now("%d %b %Y %A %B %H:%M") }}', [], { now: () => new Date(2025, 0, 5, 9, 7) })).toBe('05 Jan 2025 Sunday January 09:07');
  });
});
