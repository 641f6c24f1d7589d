/**
 * Ordering candidates best first without allocating, with heaps kept in parallel typed arrays.
 * "Best" means higher logit, ties broken by lower token id, which makes every truncation
 * deterministic (llama.cpp leaves tie order to std::partial_sort).
 */

/** True when candidate (la, ia) ranks below (lb, ib). */
function worse(la: number, ia: number, lb: number, ib: number): boolean {
  return la < lb || (la === lb && ia > ib);
}

/** Restores the min-heap (worst at the root) below `pos` within heap[0..size). */
function siftDown(ids: Int32Array, logits: Float32Array, pos: number, size: number): void {
  const id = ids[pos];
  const logit = logits[pos];
  for (;;) {
    let child = 2 * pos + 1;
    if (child >= size) break;
    const right = child + 1;
    if (right < size && worse(logits[right], ids[right], logits[child], ids[child])) child = right;
    if (!worse(logits[child], ids[child], logit, id)) break;
    ids[pos] = ids[child];
    logits[pos] = logits[child];
    pos = child;
  }
  ids[pos] = id;
  logits[pos] = logit;
}

/**
 * Writes the best `m` of the `n` source candidates into outIds/outLogits[0..count), sorted best
 * first, in O(n log m), and returns count (= m unless fewer candidates are available). With
 * `srcIds === null` the source is a dense id-indexed row whose NaN and -Infinity entries are
 * skipped. The output arrays must not alias the source.
 */
export function selectTop(
  srcIds: Int32Array | null,
  srcLogits: Float32Array,
  n: number,
  m: number,
  outIds: Int32Array,
  outLogits: Float32Array,
): number {
  let count = 0;
  let i = 0;
  for (; i < n && count < m; i++) {
    const l = srcLogits[i];
    if (!(l > -Infinity)) continue;
    outIds[count] = srcIds === null ? i : srcIds[i];
    outLogits[count] = l;
    count++;
  }
  if (count === 0) return 0;
  for (let p = (count >> 1) - 1; p >= 0; p--) siftDown(outIds, outLogits, p, count);
  let minLogit = outLogits[0];
  for (; i < n; i++) {
    const l = srcLogits[i];
    // The common case: the candidate cannot beat the worst one kept (also rejects NaN and -Infinity).
    if (!(l >= minLogit)) continue;
    const id = srcIds === null ? i : srcIds[i];
    if (l === minLogit && id > outIds[0]) continue;
    outIds[0] = id;
    outLogits[0] = l;
    siftDown(outIds, outLogits, 0, count);
    minLogit = outLogits[0];
  }
  sortHeap(outIds, outLogits, count);
  return count;
}

/** Sorts ids/logits[0..n) best first, in place (heapsort). */
export function sortInPlace(ids: Int32Array, logits: Float32Array, n: number): void {
  for (let p = (n >> 1) - 1; p >= 0; p--) siftDown(ids, logits, p, n);
  sortHeap(ids, logits, n);
}

/** Turns a min-heap of `count` entries into a best-first array by moving the worst to the back repeatedly. */
function sortHeap(ids: Int32Array, logits: Float32Array, count: number): void {
  for (let end = count - 1; end > 0; end--) {
    const id = ids[0];
    const l = logits[0];
    ids[0] = ids[end];
    logits[0] = logits[end];
    ids[end] = id;
    logits[end] = l;
    siftDown(ids, logits, 0, end);
  }
}
