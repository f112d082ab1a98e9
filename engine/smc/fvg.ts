// Fair value gaps (SPEC §3) on three consecutive candles c2 (oldest), c1, c0 (newest):
// bullish when low0 > high2 and (low0 - high2) / close0 >= fvg_min_size, zone [high2, low0];
// bearish when high0 < low2 and (low2 - high0) / close0 >= fvg_min_size, zone [high0, low2].
// `ts` is c1's open time, confirmed at c0's close. A bullish gap is filled by a LATER candle that
// closes strictly below its bottom; a bearish one by a close strictly above its top.
import type { Timeframe } from '../timeframe.js';
import type { FairValueGap } from '../types.js';
import type { CandleRing } from './candle-ring.js';
import { ZoneList } from './zone-list.js';

export class FvgDetector {
  readonly bullish = new ZoneList<FairValueGap>(true, false);
  readonly bearish = new ZoneList<FairValueGap>(false, false);

  constructor(
    readonly tf: Timeframe,
    private readonly minSize: number,
  ) {}

  /** Moves the gaps the newest close fills into `out` and says whether there were any (call before `detect`). */
  fill(close: number, out: FairValueGap[]): boolean {
    const bull = this.bullish.reachedBy(close);
    const bear = this.bearish.reachedBy(close);
    if (bull) this.bullish.removeReached(close, out);
    if (bear) this.bearish.removeReached(close, out);
    return bull || bear;
  }

  detect(ring: CandleRing, closeTime: number): FairValueGap | null {
    const n = ring.count - 1;
    if (n < 2) return null;
    const m = ring.mask;
    const s0 = n & m;
    const s2 = (n - 2) & m;
    const low0 = ring.low[s0];
    const high0 = ring.high[s0];
    const close0 = ring.close[s0];
    const high2 = ring.high[s2];
    const low2 = ring.low[s2];
    if (low0 > high2) {
      if ((low0 - high2) / close0 < this.minSize) return null;
      const g: FairValueGap = {
        side: 'bullish', tf: this.tf, ts: ring.ts[(n - 1) & m], top: low0, bottom: high2, confirmedAt: closeTime, filledAt: null,
      };
      this.bullish.add(g, g.bottom, g.top);
      return g;
    }
    if (high0 < low2) {
      if ((low2 - high0) / close0 < this.minSize) return null;
      const g: FairValueGap = {
        side: 'bearish', tf: this.tf, ts: ring.ts[(n - 1) & m], top: low2, bottom: high0, confirmedAt: closeTime, filledAt: null,
      };
      this.bearish.add(g, g.top, g.bottom);
      return g;
    }
    return null;
  }
}
