/**
 * Min-heap of candidate merges ("bigrams") shared by the SPM and BPE tokenizers. Ordering matches
 * llama.cpp's priority queues: lowest priority first, ties broken by the lower left symbol index.
 * Entries live in growable typed arrays so one heap can serve many encode calls without garbage.
 */
export class BigramHeap {
  private prio = new Float64Array(64);
  private left = new Int32Array(64);
  private right = new Int32Array(64);
  private leftLen = new Int32Array(64);
  private rightLen = new Int32Array(64);
  private n = 0;

  /** Fields of the entry returned by the last `pop()`. */
  popped = { left: 0, right: 0, leftLen: 0, rightLen: 0 };

  get size(): number {
    return this.n;
  }

  clear(): void {
    this.n = 0;
  }

  push(priority: number, left: number, right: number, leftLen: number, rightLen: number): void {
    if (this.n === this.prio.length) this.grow();
    let i = this.n++;
    // Sift up.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(priority, left, this.prio[parent], this.left[parent])) break;
      this.move(parent, i);
      i = parent;
    }
    this.set(i, priority, left, right, leftLen, rightLen);
  }

  /** Removes the minimum entry into `popped`; returns false when empty. */
  pop(): boolean {
    if (this.n === 0) return false;
    const p = this.popped;
    p.left = this.left[0];
    p.right = this.right[0];
    p.leftLen = this.leftLen[0];
    p.rightLen = this.rightLen[0];
    const last = --this.n;
    if (last > 0) {
      const pr = this.prio[last];
      const l = this.left[last];
      const r = this.right[last];
      const ll = this.leftLen[last];
      const rl = this.rightLen[last];
      let i = 0;
      // Sift down.
      for (;;) {
        const a = 2 * i + 1;
        if (a >= last) break;
        const b = a + 1;
        const c = b < last && this.less(this.prio[b], this.left[b], this.prio[a], this.left[a]) ? b : a;
        if (!this.less(this.prio[c], this.left[c], pr, l)) break;
        this.move(c, i);
        i = c;
      }
      this.set(i, pr, l, r, ll, rl);
    }
    return true;
  }

  private less(pa: number, la: number, pb: number, lb: number): boolean {
    return pa < pb || (pa === pb && la < lb);
  }

  private move(from: number, to: number): void {
    this.prio[to] = this.prio[from];
    this.left[to] = this.left[from];
    this.right[to] = this.right[from];
    this.leftLen[to] = this.leftLen[from];
    this.rightLen[to] = this.rightLen[from];
  }

  private set(i: number, priority: number, left: number, right: number, leftLen: number, rightLen: number): void {
    this.prio[i] = priority;
    this.left[i] = left;
    this.right[i] = right;
    this.leftLen[i] = leftLen;
    this.rightLen[i] = rightLen;
  }

  private grow(): void {
    const cap = this.prio.length * 2;
    const g = <T extends Float64Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.prio = g(this.prio, (k) => new Float64Array(k));
    this.left = g(this.left, (k) => new Int32Array(k));
    this.right = g(this.right, (k) => new Int32Array(k));
    this.leftLen = g(this.leftLen, (k) => new Int32Array(k));
    this.rightLen = g(this.rightLen, (k) => new Int32Array(k));
  }
}
