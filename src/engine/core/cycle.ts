/**
 * A dependency cycle among `keys`, or null: iterative three-colour DFS (a grey node reached again closes a cycle),
 * so a deep chain cannot overflow the stack. Returns [a, b] where a depends on b and b is on the path to a.
 */
export function findCycle<K>(keys: Iterable<K>, deps: (k: K) => readonly K[]): [K, K] | null {
  const state = new Map<K, 1 | 2>();
  for (const start of keys) {
    if (state.has(start)) continue;
    const stack: [K, readonly K[], number][] = [[start, deps(start), 0]];
    state.set(start, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      if (top[2] >= top[1].length) {
        state.set(top[0], 2);
        stack.pop();
        continue;
      }
      const next = top[1][top[2]++];
      if (state.get(next) === 1) return [top[0], next];
      if (!state.has(next)) {
        state.set(next, 1);
        stack.push([next, deps(next), 0]);
      }
    }
  }
  return null;
}
