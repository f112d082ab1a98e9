// The last N closed candles of one timeframe, columnar, addressed by absolute bar index
// (bar n lives in slot n & mask). Detectors look back a bounded number of bars, so nothing
// older than the ring is ever needed.
import type { Candle } from '../types.js';

export class CandleRing {
  readonly mask: number;
  readonly ts: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  /** Candles pushed so far; the newest is bar `count - 1`. */
  count = 0;

  /** Holds at least `minSize` bars (rounded up to a power of two). */
  constructor(minSize: number) {
    let size = 1;
    while (size < minSize) size <<= 1;
    this.mask = size - 1;
    this.ts = new Float64Array(size);
    this.open = new Float64Array(size);
    this.high = new Float64Array(size);
    this.low = new Float64Array(size);
    this.close = new Float64Array(size);
  }

  push(c: Candle): void {
    const s = this.count & this.mask;
    this.ts[s] = c.ts;
    this.open[s] = c.open;
    this.high[s] = c.high;
    this.low[s] = c.low;
    this.close[s] = c.close;
    this.count++;
  }
}
