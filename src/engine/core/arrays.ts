/** Typed arrays whose elements are numbers (not the BigInt ones). */
export type NumberArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

/**
 * One fresh array of type `make` holding `parts` end to end. Always its own ArrayBuffer of exactly that length,
 * so `.buffer` is safe to hand on (unlike Buffer.concat, which may return a slice of a shared pool).
 */
export function concatArrays<T extends NumberArray>(make: new (length: number) => T, parts: readonly ArrayLike<number>[]): T {
  const out = new make(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
