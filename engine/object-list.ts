// An empty array that V8 already stores as a list of objects.

/**
 * `[]` starts as a list of small integers; the first object pushed changes its hidden class, and code
 * the JIT optimised before that (the backtest loop, for the thousands of candles before the first
 * signal) bails out and is compiled again. An array that starts in the object form never changes.
 */
export function objectList<T extends object>(): T[] {
  const list: (T | null)[] = [null];
  list.length = 0;
  return list as T[];
}
