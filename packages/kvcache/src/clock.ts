/**
 * The GC's garbage-free monotonic clock: Node's histogram-based one (platform/clock.node.ts), or
 * `performance.now()` laps in a browser (platform/clock.browser.ts); package.json's `imports`
 * picks one by the `browser` condition.
 */
export { MAX_LAP_NS, MonotonicClock, gcClock } from '#platform/clock';
