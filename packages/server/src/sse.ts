/**
 * Server-sent events over a raw Node response: `data: <json>\n\n` frames, `data: [DONE]` at the
 * end as OpenAI streams do, backpressure honoured (a slow reader makes `send` wait for 'drain',
 * never buffers without bound in the socket), and a disconnect noticed at once through `onClose`.
 */
import type { ServerResponse } from 'node:http';

export class SseStream {
  private closedFlag = false;
  private readonly closeListeners: (() => void)[] = [];

  constructor(private readonly res: ServerResponse) {
    res.on('close', () => {
      this.closedFlag = true;
      for (const f of this.closeListeners.splice(0)) f();
    });
  }

  /** Writes the status line and headers (`extra` carries CORS and other headers already decided). */
  open(extra: Record<string, string | string[] | number | undefined> = {}): void {
    const headers: Record<string, string | string[] | number> = {};
    for (const [k, v] of Object.entries(extra)) if (v !== undefined) headers[k] = v;
    this.res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    });
    // Headers go out now, so the client sees the stream open before the first token.
    this.res.flushHeaders();
  }

  /** True once the client went away or the stream was ended. */
  get closed(): boolean {
    return this.closedFlag || this.res.writableEnded;
  }

  /** Calls `f` when the connection closes (immediately if it already has). */
  onClose(f: () => void): void {
    if (this.closedFlag) f();
    else this.closeListeners.push(f);
  }

  /** Sends one event; resolves when the socket accepted it (false if the client is gone). */
  async send(data: unknown): Promise<boolean> {
    return this.write(`data: ${JSON.stringify(data)}\n\n`);
  }

  /** Sends `data: [DONE]` and ends the response. */
  async done(): Promise<void> {
    await this.write('data: [DONE]\n\n');
    if (!this.res.writableEnded) this.res.end();
  }

  /** Ends the response without [DONE] (an error event was the last frame). */
  end(): void {
    if (!this.res.writableEnded) this.res.end();
  }

  private async write(frame: string): Promise<boolean> {
    if (this.closed) return false;
    if (this.res.write(frame)) return true;
    // The socket's buffer is full: wait until the reader catches up or leaves.
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.res.off('drain', done);
        resolve();
      };
      this.res.on('drain', done);
      this.onClose(done);
    });
    return !this.closed;
  }
}
