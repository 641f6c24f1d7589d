import { describe, expect, it } from 'vitest';
import { ProgressBar, type ProgressStream } from '../src/index.js';

function stream(isTTY: boolean): ProgressStream & { out: string } {
  const s = { isTTY, columns: 100, out: '', write: (x: string) => void (s.out += x) };
  return s;
}

describe('ProgressBar', () => {
  it('draws on a terminal, throttled, and clears its line at the end', () => {
    let now = 0;
    const s = stream(true);
    const bar = new ProgressBar(40, { stream: s, throttleMs: 100, now: () => now });
    bar.update(10, 'periodic:50');
    now = 50;
    bar.update(20); // throttled: too soon
    now = 200;
    bar.update(20);
    const frames = s.out.split('\r').filter(Boolean);
    expect(frames).toHaveLength(2);
    expect(frames[0]).toMatch(/^periodic:50 \[#{10}\.{30}\] 10\/40 0\.0 s/);
    expect(frames[1]).toMatch(/\[#{20}\.{20}\] 20\/40 0\.2 s/);
    now = 210;
    bar.update(40); // the last update always draws
    expect(s.out.split('\r').filter(Boolean).pop()).toMatch(/\[#{40}\] 40\/40/);
    bar.done();
    expect(s.out.endsWith('\r\x1b[K')).toBe(true);
  });

  it('writes nothing when the stream is not a terminal', () => {
    const s = stream(false);
    const bar = new ProgressBar(5, { stream: s });
    bar.update(3, 'x');
    bar.done();
    expect(s.out).toBe('');
  });
});
