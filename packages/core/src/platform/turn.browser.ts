/**
 * Yielding to the event loop for one turn, in a browser: a MessageChannel message is a task that
 * runs after pending ones without setTimeout's 4 ms clamp on nested timers.
 */
const channel = new MessageChannel();
const waiting: (() => void)[] = [];
channel.port1.onmessage = () => waiting.shift()?.();

export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(0);
  });
}
