// CandleMerge: several series with different starts, ends and gaps, stepped in open-time order.
import { describe, expect, it } from 'vitest';
import { CandleMerge } from '../../src/backtest/candle-merge.js';
import type { CandleSeries } from '../../engine/types.js';

const M = 60_000;
function series(symbol: string, times: number[]): CandleSeries {
  const col = (f: (t: number) => number) => Float64Array.from(times, f);
  return {
    symbol, tf: '1m', length: times.length, ts: col((t) => t),
    open: col((t) => t / M + 0.1), high: col((t) => t / M + 0.5), low: col((t) => t / M - 0.5), close: col((t) => t / M + 0.2), volume: col((t) => t / M + 7),
  };
}

describe('CandleMerge', () => {
  it('visits every open time once, in order, with the candles of every series that has one', () => {
    const a = series('A', [0, M, 2 * M, 5 * M]);
    const b = series('B', [M, 3 * M, 5 * M, 6 * M]);
    const merge = new CandleMerge([a, b]);
    const seen: [number, string, number, number][] = [];
    while (merge.step()) {
      for (let j = 0; j < merge.count; j++) {
        const c = merge.candles[j];
        expect(c.ts).toBe(merge.time);
        expect([c.open, c.high, c.low, c.close, c.volume]).toEqual([c.ts / M + 0.1, c.ts / M + 0.5, c.ts / M - 0.5, c.ts / M + 0.2, c.ts / M + 7]);
        seen.push([merge.time / M, [a, b][merge.series[j]].symbol, merge.count, j]);
      }
    }
    expect(seen).toEqual([
      [0, 'A', 1, 0], [1, 'A', 2, 0], [1, 'B', 2, 1], [2, 'A', 1, 0], [3, 'B', 1, 0], [5, 'A', 2, 0], [5, 'B', 2, 1], [6, 'B', 1, 0],
    ]);
    expect(merge.step()).toBe(false);
  });

  it('has no step for no data', () => {
    expect(new CandleMerge([series('A', [])]).step()).toBe(false);
  });
});
