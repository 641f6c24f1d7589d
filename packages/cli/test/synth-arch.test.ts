/**
 * `legato synth --arch <arch> --shape <preset>`: a model of each architecture that llama.cpp loads
 * and Legato runs from the command line; the tokenizer is the real one where the shared vocab
 * folder has it (Phi-3 here), and the usage errors name the presets.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama } from 'node-llama-cpp';
import { describe, expect, it } from 'vitest';
import { readGGUFHeader } from '@legato/core/gguf';
import { modelsDir } from '../../../testing/models.js';
import { legato } from './run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'legato-synth-arch-'));
const env = { LEGATO_TEST_MODELS: modelsDir() };

describe('legato synth --arch', () => {
  it.each([
    ['qwen2', 'tiny-qwen2'],
    ['gemma2', 'tiny-gemma2'],
    ['phi3', 'tiny-phi3'],
  ])('%s %s: llama.cpp loads it and legato run generates from it', async (arch, shape) => {
    const out = join(tmp, `${shape}.gguf`);
    const r = legato(['synth', '--arch', arch, '--shape', shape, '--type', 'Q8_0', '-o', out], { env });
    expect(r.code, r.stderr).toBe(0);
    const h = readGGUFHeader(out);
    expect(h.metadata['general.architecture']).toBe(arch);
    if (arch === 'phi3') expect((h.metadata['tokenizer.ggml.tokens'] as string[])[32000]).toBe('<|endoftext|>');
    const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
    const lm = await llama.loadModel({ modelPath: out });
    expect(lm.fileInfo.metadata.general.architecture).toBe(arch);
    await lm.dispose();
    const run = legato(['run', out, '-p', 'Hello there', '-n', '4', '--temp', '0', '--json', '--threads', '1']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).ids).toHaveLength(4);
  });

  it('names the presets of an architecture when the shape is not one of them', () => {
    const r = legato(['synth', '--arch', 'gemma3', '--shape', 'qwen3-0.6b', '-o', join(tmp, 'x.gguf')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('must be one of gemma-3-1b, tiny-gemma3');
  });
});
