// Liquidity sweeps (SPEC §3, ltf): bullish when a candle's low goes strictly below the most recent
// confirmed swing low, it closes strictly above that level and it is bullish (close > open).
// Bearish mirrors it with the swing high. Only swings confirmed at or before the PREVIOUS candle's
// close count: a pivot confirmed by this very candle was not known while it traded (the caller
// checks sweeps before confirming the candle's swings). A level may be swept again by later candles;
// each qualifying candle is a sweep.
import type { Timeframe } from '../timeframe.js';
import type { LiquiditySweep, SwingPoint } from '../types.js';

export class SweepDetector {
  /** Bar index of the last sweep per side; -1 = none. */
  lastBullBar = -1;
  lastBearBar = -1;

  constructor(readonly tf: Timeframe) {}

  bullish(bar: number, ts: number, open: number, low: number, close: number, swingLow: SwingPoint | null, closeTime: number): LiquiditySweep | null {
    if (swingLow === null) return null;
    const level = swingLow.price;
    if (!(low < level && close > level && close > open)) return null;
    this.lastBullBar = bar;
    return { side: 'bullish', tf: this.tf, ts, level, swingTs: swingLow.ts, confirmedAt: closeTime };
  }

  bearish(bar: number, ts: number, open: number, high: number, close: number, swingHigh: SwingPoint | null, closeTime: number): LiquiditySweep | null {
    if (swingHigh === null) return null;
    const level = swingHigh.price;
    if (!(high > level && close < level && close < open)) return null;
    this.lastBearBar = bar;
    return { side: 'bearish', tf: this.tf, ts, level, swingTs: swingHigh.ts, confirmedAt: closeTime };
  }
}
