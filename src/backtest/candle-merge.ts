// The backtest's clock: the candles of several series, merged by open time, one step (all symbols'
// candles of one open time) at a time.
import type { Candle, CandleSeries } from '../../engine/types.js';

export class CandleMerge {
  /** Open time of the current step. */
  time = NaN;
  /** Candles in the current step. */
  count = 0;
  /** Series index of each candle of the step. */
  readonly series: Int32Array;
  /**
   * The step's candles. One object per series, refilled every step: the engine only reads a base
   * candle during the call (what it keeps, it copies), and a fresh object per candle was a third of
   * all the memory a backtest allocated.
   */
  readonly candles: Candle[];
  private readonly next: Int32Array;
  private readonly reused: Candle[];

  constructor(private readonly all: readonly CandleSeries[]) {
    this.series = new Int32Array(all.length);
    this.next = new Int32Array(all.length);
    this.reused = all.map(() => ({ ts: NaN, open: NaN, high: NaN, low: NaN, close: NaN, volume: NaN }));
    this.candles = [...this.reused];
  }

  /**
   * Moves to the next open time; false once every series is done. A small function of its own, not
   * part of the backtest loop: the JIT optimises it early, while the loop (which inlines much of the
   * engine) waits long for its turn, and until then every column read here was a slow lookup.
   */
  step(): boolean {
    const all = this.all;
    const next = this.next;
    let t = Infinity;
    for (let i = 0; i < all.length; i++) {
      const k = next[i];
      const s = all[i];
      if (k < s.length && s.ts[k] < t) t = s.ts[k];
    }
    let n = 0;
    if (t !== Infinity) {
      for (let i = 0; i < all.length; i++) {
        const s = all[i];
        const k = next[i];
        if (k < s.length && s.ts[k] === t) {
          const c = this.reused[i];
          c.ts = t;
          c.open = s.open[k];
          c.high = s.high[k];
          c.low = s.low[k];
          c.close = s.close[k];
          c.volume = s.volume[k];
          this.series[n] = i;
          this.candles[n++] = c;
          next[i] = k + 1;
        }
      }
    }
    this.time = t;
    this.count = n;
    return n > 0;
  }
}
