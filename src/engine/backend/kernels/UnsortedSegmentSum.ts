// UnsortedSegmentSum for the wasm backend, which has none; tfjs needs it for the gradient of gather.
import * as tf from '../tf';
import { asWasmBackend, input, type KernelArgs } from './wasmBackend';

const NAME = 'UnsortedSegmentSum';

function unsortedSegmentSum({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const b = asWasmBackend(backend, NAME);
  const x = input(inputs, 'x', NAME);
  const segmentIds = input(inputs, 'segmentIds', NAME);
  const { numSegments } = attrs as unknown as tf.UnsortedSegmentSumAttrs;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`${NAME}: x must be float32 or int32, got ${x.dtype}`);
  if (segmentIds.dtype !== 'int32') throw new Error(`${NAME}: segmentIds must be int32, got ${segmentIds.dtype}`);
  if (!Number.isInteger(numSegments) || numSegments < 0) throw new Error(`${NAME}: bad numSegments ${numSegments}`);
  const idsRank = segmentIds.shape.length;
  if (!tf.util.arraysEqual(x.shape.slice(0, idsRank), segmentIds.shape)) {
    throw new Error(`${NAME}: segmentIds shape [${segmentIds.shape}] must prefix x shape [${x.shape}]`);
  }
  const tail = x.shape.slice(idsRank);
  const inner = tf.util.sizeFromShape(tail);
  const count = tf.util.sizeFromShape(segmentIds.shape);

  const out = b.makeOutput([numSegments, ...tail], x.dtype);
  const ov = b.typedArrayFromHeap(out); // views after the allocation
  const xv = b.typedArrayFromHeap(x);
  const ids = b.typedArrayFromHeap(segmentIds);
  ov.fill(0);
  for (let i = 0; i < count; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue; // dropped, as TensorFlow and the cpu backend do
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) ov[dst + j] += xv[src + j];
  }
  return out;
}

export const unsortedSegmentSumConfig: tf.KernelConfig = {
  kernelName: NAME,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum,
};
