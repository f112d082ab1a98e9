// Swing points (SPEC §3): bar i is a pivot high when its high is STRICTLY greater than the highs of
// the `length` bars on each side (equal highs make no pivot); pivot lows mirror it. A pivot is only
// known once the `length` bars after it have closed, so it is confirmed at the close of bar i+length.
// Bars before the first `length` bars cannot be pivots (they lack a left side). Bars are candles as
// they arrive: a gap in time is not filled, the next candle is simply the next bar.
import type { Timeframe } from '../timeframe.js';
import type { SwingPoint } from '../types.js';
import type { CandleRing } from './candle-ring.js';

export const NEW_HIGH = 1;
export const NEW_LOW = 2;

export class SwingDetector {
  lastHigh: SwingPoint | null = null;
  lastLow: SwingPoint | null = null;

  constructor(
    readonly tf: Timeframe,
    readonly length: number,
    private readonly tfMs: number,
  ) {}

  /** Bars the ring must hold. */
  static window(length: number): number {
    return 2 * length + 1;
  }

  /** Call after bar n = ring.count-1 was pushed. Returns NEW_HIGH | NEW_LOW bits for pivots it confirmed. */
  update(ring: CandleRing): number {
    const L = this.length;
    const n = ring.count - 1;
    const i = n - L;
    if (i < L) return 0;
    const m = ring.mask;
    const highs = ring.high;
    const lows = ring.low;
    const si = i & m;
    const ph = highs[si];
    const pl = lows[si];
    let isHigh = true;
    let isLow = true;
    for (let k = 1; k <= L && (isHigh || isLow); k++) {
      const a = (i - k) & m;
      const b = (i + k) & m;
      if (isHigh && (highs[a] >= ph || highs[b] >= ph)) isHigh = false;
      if (isLow && (lows[a] <= pl || lows[b] <= pl)) isLow = false;
    }
    if (!isHigh && !isLow) return 0;
    const ts = ring.ts[si];
    const confirmedAt = ring.ts[n & m] + this.tfMs;
    let out = 0;
    if (isHigh) {
      this.lastHigh = { kind: 'high', tf: this.tf, ts, price: ph, confirmedAt };
      out |= NEW_HIGH;
    }
    if (isLow) {
      this.lastLow = { kind: 'low', tf: this.tf, ts, price: pl, confirmedAt };
      out |= NEW_LOW;
    }
    return out;
  }
}
