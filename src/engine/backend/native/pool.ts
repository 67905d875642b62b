// Output buffers of the native kernels, reused. A ResNet step allocates hundreds of MB in tensors of a
// few MB each; fresh ArrayBuffers make V8 collect garbage ~30 times a step (external memory pressure),
// which measured about a fifth of the step's time. A buffer comes back here when its tensor is disposed,
// but only if nothing else can still see it: readSync()/read() hand the very array to callers, and some
// cpu kernels return views (subarrays) of their input; both mark the buffer "exposed" and it is left to
// the garbage collector instead.

const MIN_BYTES = 1 << 14; // smaller ones are cheap to allocate and not worth tracking
const LIMIT_BYTES = 256 << 20; // free buffers kept at most

const free = new Map<number, ArrayBuffer[]>();
let freeBytes = 0;
const owned = new WeakSet<ArrayBuffer>(); // from alloc(), seen by nobody else

/**
 * An output buffer the addon overwrites completely: reused if one of that size is free, else fresh and not
 * zero-filled first (Node's unsafe allocation with its own ArrayBuffer, never a shared pool slab).
 */
export function alloc(n: number): Float32Array {
  const bytes = n * 4;
  if (bytes < MIN_BYTES) return n === 0 ? new Float32Array(0) : new Float32Array(Buffer.allocUnsafeSlow(bytes).buffer, 0, n);
  let buf = free.get(bytes)?.pop();
  if (buf != null) freeBytes -= bytes;
  else buf = Buffer.allocUnsafeSlow(bytes).buffer as ArrayBuffer;
  owned.add(buf);
  return new Float32Array(buf, 0, n);
}

/** Someone outside the kernels may keep a reference to this storage: never reuse it. */
export function expose(values: unknown): void {
  if (ArrayBuffer.isView(values)) owned.delete(values.buffer as ArrayBuffer);
}

/** The tensor owning `values` is gone: keep its buffer for the next alloc() of that size. */
export function release(values: unknown): void {
  if (!(values instanceof Float32Array)) return;
  const buf = values.buffer as ArrayBuffer;
  if (!owned.has(buf) || values.byteOffset !== 0 || values.byteLength !== buf.byteLength) return;
  owned.delete(buf);
  if (freeBytes + buf.byteLength > LIMIT_BYTES) return;
  const list = free.get(buf.byteLength);
  if (list) list.push(buf);
  else free.set(buf.byteLength, [buf]);
  freeBytes += buf.byteLength;
}

/** Free buffers now held (tests, diagnostics). */
export function pooledBytes(): number {
  return freeBytes;
}
