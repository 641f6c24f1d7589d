import { describe, expect, it } from 'vitest';
import { StopStringMatcher } from '../../src/sample/stop.js';
import { SamplingOptionsError } from '../../src/sample/options.js';

/** Feeds pieces and returns everything emitted plus whether it stopped. */
function run(stops: string[], pieces: string[]): { text: string; stopped: boolean; emits: string[] } {
  const m = new StopStringMatcher(stops);
  const emits: string[] = [];
  let stopped = false;
  for (const p of pieces) {
    const r = m.push(p);
    emits.push(r.emit);
    if (r.stopped) {
      stopped = true;
      break;
    }
  }
  if (!stopped) emits.push(m.flush());
  return { text: emits.join(''), stopped, emits };
}

describe('StopStringMatcher', () => {
  it('cuts exactly before a stop string inside one piece', () => {
    expect(run(['</s>'], ['Hello</s>world'])).toMatchObject({ text: 'Hello', stopped: true });
  });

  it('holds back a partial match across pieces and never emits any part of the stop', () => {
    const r = run(['###'], ['abc#', '#', '#tail']);
    expect(r.stopped).toBe(true);
    expect(r.text).toBe('abc');
    expect(r.emits).toEqual(['abc', '', '']);
  });

  it('releases held text when the partial match is broken', () => {
    const r = run(['###'], ['abc##', 'x', 'yz']);
    expect(r.stopped).toBe(false);
    expect(r.emits).toEqual(['abc', '##x', 'yz', '']);
  });

  it('flush returns what is still held at the end', () => {
    const m = new StopStringMatcher(['STOP']);
    expect(m.push('go ST')).toEqual({ emit: 'go ', stopped: false });
    expect(m.flush()).toBe('ST');
    expect(m.flush()).toBe('');
  });

  it('stops at the earliest of several stop strings and keeps later pushes empty', () => {
    const m = new StopStringMatcher(['world', 'lo w', 'xyz']);
    // The trailing "l" could start "lo w", so it waits.
    expect(m.push('hel')).toEqual({ emit: 'he', stopped: false });
    // Both "lo w" and "world" are present; the earlier one decides the cut.
    expect(m.push('lo world')).toEqual({ emit: 'l', stopped: true });
    expect(m.stopped).toBe(true);
    expect(m.push('more')).toEqual({ emit: '', stopped: true });
    expect(m.flush()).toBe('');
  });

  it('holds the longest suffix that could still start a stop string', () => {
    // "aab" – suffix "ab" is a prefix of "abc"; "b" alone is not, "aab" is not.
    const m = new StopStringMatcher(['abc']);
    expect(m.push('xaab')).toEqual({ emit: 'xa', stopped: false });
    expect(m.push('c!')).toEqual({ emit: '', stopped: true });
  });

  it('handles a stop string split over many single-character pieces', () => {
    const text = 'The answer is 42.\nUser: hi';
    const r = run(['\nUser:'], [...text]);
    expect(r).toMatchObject({ text: 'The answer is 42.', stopped: true });
  });

  it('with no stop strings emits everything immediately', () => {
    expect(run([], ['a', 'b'])).toEqual({ text: 'ab', stopped: false, emits: ['a', 'b', ''] });
  });

  it('rejects an empty stop string', () => {
    expect(() => new StopStringMatcher(['ok', ''])).toThrow(SamplingOptionsError);
  });
});
