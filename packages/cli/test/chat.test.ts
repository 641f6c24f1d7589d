/** `legato chat` as a user meets it: lines piped on stdin, slash commands, Ctrl-C during a reply. */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelPath, REPO_ROOT } from '../../../testing/models.js';

function start(args: string[]) {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', resolve(REPO_ROOT, 'packages/cli/src/bin.ts'), 'chat', ...args], { cwd: REPO_ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<number>((res) => child.on('close', (code) => res(code ?? -1)));
  return { child, out: () => stdout, err: () => stderr, done };
}

async function until(cond: () => boolean, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('legato chat', () => {
  it('turns from piped stdin, history, /reset and /system, stats after each reply', async () => {
    const c = start([modelPath('stories260K.gguf'), '--temp', '0', '-n', '8', '--stats', '--backend', 'reference']);
    c.child.stdin.end('Hello there\nHello there\n/reset\nHello there\n/system Be brief.\n/exit\n');
    expect(await c.done).toBe(0);
    const stats = [...c.err().matchAll(/\[(\d+) prompt tokens \((\d+) cached\)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(stats).toHaveLength(3);
    // The second turn carries the first in its prompt (history) and reuses it from the cache;
    // after /reset the prompt is the first one again.
    expect(stats[1][0]).toBeGreaterThan(stats[0][0]);
    expect(stats[1][1]).toBeGreaterThan(0);
    expect(stats[2][0]).toBe(stats[0][0]);
    const replies = c.out().split('\n').filter(Boolean);
    expect(replies[0]).toBe(replies[2]); // same conversation, same greedy reply
    expect(c.err()).toContain('(conversation reset)');
    expect(c.err()).toContain('(system message set)');
  });

  it('Ctrl-C stops the reply, not the program', async () => {
    const c = start([modelPath('stories260K.gguf'), '--temp', '0', '-n', '1500', '--ctx', '2048', '--backend', 'reference']);
    c.child.stdin.write('Tell me a very long story\n');
    await until(() => c.out().length > 20);
    c.child.kill('SIGINT');
    await until(() => c.err().includes('(stopped)'));
    c.child.stdin.end('/system x\n/exit\n');
    expect(await c.done).toBe(0);
    expect(c.err()).toContain('(system message set)');
  });
});
