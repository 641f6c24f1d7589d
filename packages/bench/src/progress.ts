/**
 * A progress bar on stderr for long runs. It draws only when the stream is a terminal, so
 * logs, pipes and `--json` output stay clean; redraws are throttled.
 */

/** The stream a bar writes to (process.stderr, or a test double). */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

/** Options for {@link ProgressBar}. */
export interface ProgressOptions {
  stream?: ProgressStream;
  /** Minimum ms between redraws. Default 100. */
  throttleMs?: number;
  /** Force drawing (or not) regardless of isTTY. */
  enabled?: boolean;
  now?: () => number;
}

/** `label [#######.......]  45/100  12.3 s` */
export class ProgressBar {
  private readonly stream: ProgressStream;
  private readonly enabled: boolean;
  private readonly throttle: number;
  private readonly now: () => number;
  private readonly started: number;
  private last = -Infinity;
  private drawn = false;
  private label = '';

  /** @param total the count that means done (may be changed later, e.g. once it is known) */
  constructor(public total: number, opts: ProgressOptions = {}) {
    this.stream = opts.stream ?? process.stderr;
    this.enabled = opts.enabled ?? this.stream.isTTY === true;
    this.throttle = opts.throttleMs ?? 100;
    this.now = opts.now ?? (() => performance.now());
    this.started = this.now();
  }

  /** Sets progress to `done` of the total (and optionally a new label); redraws if due. */
  update(done: number, label?: string): void {
    if (label !== undefined) this.label = label;
    if (!this.enabled) return;
    const t = this.now();
    if (t - this.last < this.throttle && done < this.total) return;
    this.last = t;
    this.stream.write(`\r${this.render(done, t)}\x1b[K`);
    this.drawn = true;
  }

  /** The bar's text for `done` (no control characters). */
  render(done: number, t = this.now()): string {
    const total = Math.max(1, this.total);
    const frac = Math.min(1, Math.max(0, done / total));
    const width = Math.max(10, Math.min(40, (this.stream.columns ?? 80) - 40 - this.label.length));
    const fill = Math.round(frac * width);
    const secs = ((t - this.started) / 1000).toFixed(1);
    const count = `${String(Math.min(done, this.total)).padStart(String(this.total).length)}/${this.total}`;
    return `${this.label ? `${this.label} ` : ''}[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${count} ${secs} s`;
  }

  /** Clears the bar's line (call before printing results). */
  done(): void {
    if (this.enabled && this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}
