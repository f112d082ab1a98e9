// Market structure (SPEC §3) from confirmed swings: `bullish` when the last two swing highs are a
// higher high AND the last two swing lows a higher low, `bearish` for lower high + lower low, else
// `neutral` (also while fewer than two of either exist; equal prices are neither higher nor lower).
//
// Breaks: a candle whose CLOSE is strictly beyond the most recent confirmed swing high (bullish) or
// low (bearish). Only swings confirmed before the candle count — the caller checks breaks before it
// confirms the candle's own swings. Each swing level breaks at most once; a newer swing replaces
// the level. The break is a BOS when it goes the trend's way, a CHoCH when it goes against it; with
// a neutral trend there is no trend to change, so it is a BOS.
import type { Timeframe } from '../timeframe.js';
import type { Bias, StructureEvent, SwingPoint } from '../types.js';

export class MarketStructure {
  trend: Bias = 'neutral';
  private prevHigh = NaN;
  private lastHigh = NaN;
  private prevLow = NaN;
  private lastLow = NaN;
  /** The level a close must exceed, or NaN once it broke (NaN never compares true). */
  private highLevel = NaN;
  private highTs = 0;
  private lowLevel = NaN;
  private lowTs = 0;

  constructor(readonly tf: Timeframe) {}

  onSwing(s: SwingPoint): void {
    if (s.kind === 'high') {
      this.prevHigh = this.lastHigh;
      this.lastHigh = s.price;
      this.highLevel = s.price;
      this.highTs = s.ts;
    } else {
      this.prevLow = this.lastLow;
      this.lastLow = s.price;
      this.lowLevel = s.price;
      this.lowTs = s.ts;
    }
    const hh = this.lastHigh > this.prevHigh;
    const lh = this.lastHigh < this.prevHigh;
    const hl = this.lastLow > this.prevLow;
    const ll = this.lastLow < this.prevLow;
    this.trend = hh && hl ? 'bullish' : lh && ll ? 'bearish' : 'neutral';
  }

  /** True when `close` breaks an unbroken level; call `takeBreak*` to consume it. */
  breaksHigh(close: number): boolean {
    return close > this.highLevel;
  }

  breaksLow(close: number): boolean {
    return close < this.lowLevel;
  }

  /** Consumes the swing-high level broken by the candle opened at `ts` and returns the event. */
  takeHighBreak(ts: number, confirmedAt: number): StructureEvent {
    const ev: StructureEvent = {
      kind: this.trend === 'bearish' ? 'choch' : 'bos',
      side: 'bullish', tf: this.tf, ts, level: this.highLevel, swingTs: this.highTs, confirmedAt,
    };
    this.highLevel = NaN;
    return ev;
  }

  takeLowBreak(ts: number, confirmedAt: number): StructureEvent {
    const ev: StructureEvent = {
      kind: this.trend === 'bullish' ? 'choch' : 'bos',
      side: 'bearish', tf: this.tf, ts, level: this.lowLevel, swingTs: this.lowTs, confirmedAt,
    };
    this.lowLevel = NaN;
    return ev;
  }
}
