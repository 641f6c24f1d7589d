import { describe, expect, it } from 'vitest';
import { formatLlamaBenchTable, formatModelSize, formatParams, llamaBenchTests, parseLlamaBenchTable, testName } from '../src/index.js';

// llama-bench's output (llama.cpp CPU build, markdown printer: model -30, size/params 10, backend -10,
// threads 7, test 13, t/s 20 columns), with its build footer.
const LLAMA_CPP_OUTPUT = `| model                          |       size |     params | backend    | threads |          test |                  t/s |
| ------------------------------ | ---------: | ---------: | ---------- | ------: | ------------: | -------------------: |
| llama 1B Q4_0                  | 606.53 MiB |     1.10 B | CPU        |       2 |         pp512 |        196.21 ± 1.73 |
| llama 1B Q4_0                  | 606.53 MiB |     1.10 B | CPU        |       2 |         tg128 |         51.02 ± 0.37 |

build: c392e509 (4743)
`;

describe('llama-bench table', () => {
  it("parses llama.cpp's output", () => {
    const rows = parseLlamaBenchTable(LLAMA_CPP_OUTPUT);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ model: 'llama 1B Q4_0', test: 'pp512', ts: 196.21, stdev: 1.73 });
    expect(rows[1]).toMatchObject({ test: 'tg128', ts: 51.02, stdev: 0.37 });
    expect(rows[0].cells).toMatchObject({ size: '606.53 MiB', params: '1.10 B', backend: 'CPU', threads: '2' });
  });

  it("prints llama-bench's layout: same columns, widths, alignment and cell formats", () => {
    const text = formatLlamaBenchTable(
      { type: 'llama 1B Q4_0', sizeBytes: 606.53 * 1024 ** 2, params: 1.1e9, backend: 'CPU', threads: 2 },
      [
        { name: 'pp512', nPrompt: 512, nGen: 0, samplesNs: [], samplesTs: [], avgTs: 196.2104, stdevTs: 1.7311 },
        { name: 'tg128', nPrompt: 0, nGen: 128, samplesNs: [], samplesTs: [], avgTs: 51.0199, stdevTs: 0.3701 },
      ],
    );
    expect(text.split('\n')).toEqual(LLAMA_CPP_OUTPUT.split('\n').slice(0, 4));
    // And what we print parses back to the same numbers.
    expect(parseLlamaBenchTable(text).map((r) => [r.test, r.ts, r.stdev])).toEqual([
      ['pp512', 196.21, 1.73],
      ['tg128', 51.02, 0.37],
    ]);
  });

  it('formats sizes and parameter counts as llama-bench does', () => {
    expect(formatModelSize(14_394_048)).toBe('13.73 MiB');
    expect(formatModelSize(3.56 * 1024 ** 3)).toBe('3.56 GiB');
    expect(formatParams(24_406_144)).toBe('24.41 M');
    expect(formatParams(6.74e9)).toBe('6.74 B');
  });

  it("expands -p, -n and -pg into llama-bench's tests", () => {
    expect(llamaBenchTests({ nPrompt: [128, 512], nGen: [128], pg: [[512, 128]] }).map(testName)).toEqual(['pp128', 'pp512', 'tg128', 'pp512+tg128']);
    expect(llamaBenchTests({ nPrompt: [0], nGen: [16] }).map(testName)).toEqual(['tg16']);
    expect(() => parseLlamaBenchTable('no table here')).toThrow(/no llama-bench table/);
  });
});
