/** Yielding to the event loop for one turn (I/O included): setImmediate on Node, Deno and Bun (twin: turn.browser.ts). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
