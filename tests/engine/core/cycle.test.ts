import { describe, expect, it } from 'vitest';
import { findCycle } from '../../../src/engine/core/cycle';

const graph = (edges: Record<string, string[]>) => (k: string) => edges[k] ?? [];

describe('findCycle', () => {
  it('finds none in a DAG with shared inputs', () => {
    const e = { out: ['a', 'b'], a: ['x'], b: ['x', 'a'], x: [] };
    expect(findCycle(Object.keys(e), graph(e))).toBeNull();
  });

  it('finds a self loop and a three-node cycle, naming an edge of it', () => {
    expect(findCycle(['a'], graph({ a: ['a'] }))).toEqual(['a', 'a']);
    const e = { a: ['b'], b: ['c'], c: ['a'], d: ['a'] };
    const c = findCycle(Object.keys(e), graph(e))!;
    expect(c).not.toBeNull();
    expect(e[c[0] as keyof typeof e]).toContain(c[1]);
  });

  it('walks a chain of 200,000 nodes without overflowing the stack', () => {
    const n = 200_000;
    expect(findCycle([n - 1], (k: number) => (k > 0 ? [k - 1] : []))).toBeNull();
    expect(findCycle([n - 1], (k: number) => (k > 0 ? [k - 1] : [n - 1]))).not.toBeNull();
  });
});
