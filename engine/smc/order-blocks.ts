// Order blocks (SPEC §3). A bullish impulse is a candle with close - open > ob_impulse_atr × ATR,
// where ATR is the value after the PREVIOUS candle, so the impulse cannot inflate its own threshold
// (no ATR yet → no impulse; a body exactly at the threshold is not an impulse). The bullish OB is
// the last bearish candle (close < open) among the ob_lookback candles before the impulse; zone =
// its [low, high], confirmed at the impulse's close. The same OB candle is never emitted twice.
// It is mitigated by a LATER candle (after the impulse) whose low reaches the zone's midpoint
// (low ≤ mid). Bearish mirrors: impulse open - close > k × ATR, last bullish candle, high ≥ mid.
import type { Timeframe } from '../timeframe.js';
import type { OrderBlock, Side } from '../types.js';
import type { CandleRing } from './candle-ring.js';
import { ZoneList } from './zone-list.js';

export class OrderBlockDetector {
  readonly bullish = new ZoneList<OrderBlock>(true, true);
  readonly bearish = new ZoneList<OrderBlock>(false, true);
  /** Bar index of the last emitted OB candle per side (OB candles only move forward in time). */
  private lastBullBar = -1;
  private lastBearBar = -1;

  constructor(
    readonly tf: Timeframe,
    private readonly lookback: number,
    private readonly impulseAtr: number,
  ) {}

  /**
   * Moves the zones the newest candle mitigates into `out` and says whether there were any
   * (call before `detect`, so no OB is killed by its own impulse).
   */
  mitigate(low: number, high: number, out: OrderBlock[]): boolean {
    const bull = this.bullish.reachedBy(low);
    const bear = this.bearish.reachedBy(high);
    if (bull) this.bullish.removeReached(low, out);
    if (bear) this.bearish.removeReached(high, out);
    return bull || bear;
  }

  /** Looks for an impulse at the newest bar; returns the new OB or null. */
  detect(ring: CandleRing, prevAtr: number, closeTime: number): OrderBlock | null {
    const n = ring.count - 1;
    const m = ring.mask;
    const s = n & m;
    const body = ring.close[s] - ring.open[s];
    const threshold = this.impulseAtr * prevAtr;
    if (body > threshold) return this.find(ring, n, 'bullish', closeTime);
    if (-body > threshold) return this.find(ring, n, 'bearish', closeTime);
    return null;
  }

  private find(ring: CandleRing, n: number, side: Side, closeTime: number): OrderBlock | null {
    const m = ring.mask;
    const last = side === 'bullish' ? this.lastBullBar : this.lastBearBar;
    const stop = Math.max(n - this.lookback, last + 1, 0);
    for (let j = n - 1; j >= stop; j--) {
      const s = j & m;
      const o = ring.open[s];
      const c = ring.close[s];
      if (side === 'bullish' ? c < o : c > o) {
        const top = ring.high[s];
        const bottom = ring.low[s];
        const ob: OrderBlock = {
          side, tf: this.tf, ts: ring.ts[s], top, bottom, mid: (top + bottom) / 2,
          impulseTs: ring.ts[n & m], confirmedAt: closeTime, mitigatedAt: null,
        };
        if (side === 'bullish') {
          this.lastBullBar = j;
          this.bullish.add(ob, ob.mid, ob.top);
        } else {
          this.lastBearBar = j;
          this.bearish.add(ob, ob.mid, ob.bottom);
        }
        return ob;
      }
    }
    return null;
  }
}
