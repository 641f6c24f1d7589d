// A quantization worker: a piscina task converts a row range of one tensor, reading the source
// from a SharedArrayBuffer and writing into another, so no tensor data travels in messages.
// Plain JavaScript, so it loads the same way beside the TypeScript sources and beside a built
// dist/; the task names the module that holds `convertRows` (the bundle, or convert-rows.ts
// from sources, in which case it also names tsx's loader API to register first).
import { threadId } from 'node:worker_threads';

/** @type {Promise<(r: object) => void> | undefined} */
let loaded;

/** @param {{ impl: string, tsx?: string }} task */
function load({ impl, tsx }) {
  loaded ??= (async () => {
    if (tsx) (await import(tsx)).register();
    const mod = await import(impl);
    const convertRows = mod.convertRows ?? mod.default?.convertRows;
    if (typeof convertRows !== 'function') throw new Error(`legato quantize worker: ${impl} has no convertRows`);
    return convertRows;
  })();
  return loaded;
}

/**
 * A task with `warmUp` set only loads the module (so that loading overlaps other work).
 * @param {{ impl: string, tsx?: string, warmUp?: boolean, src: SharedArrayBuffer, srcOffset: number, srcLength: number,
 *   srcType: number, dst: SharedArrayBuffer, dstOffset: number, dstLength: number, dstType: number,
 *   cols: number, rowStart: number, rowEnd: number }} task
 * @returns {Promise<number>} the id of the thread that did the work
 */
export default async function convert(task) {
  const convertRows = await load(task);
  if (task.warmUp) return threadId;
  convertRows({
    src: new Uint8Array(task.src, task.srcOffset, task.srcLength),
    srcType: task.srcType,
    dst: new Uint8Array(task.dst, task.dstOffset, task.dstLength),
    dstType: task.dstType,
    cols: task.cols,
    rowStart: task.rowStart,
    rowEnd: task.rowEnd,
  });
  return threadId;
}
