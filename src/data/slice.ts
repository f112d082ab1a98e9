// Time slicing of a candle series: binary search on ts, subarray views (no copies).
import type { CandleSeries } from '../../engine/types.js';

/** First index whose ts >= t (length when none). */
export function lowerBound(ts: Float64Array, t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Candles with `from <= ts < to` (open times; half-open so `--to 2021-05-01` ends with April).
 * Either bound may be omitted. The result shares memory with `series`.
 */
export function sliceSeries(series: CandleSeries, from?: number, to?: number): CandleSeries {
  const a = from === undefined ? 0 : lowerBound(series.ts, from);
  const b = to === undefined ? series.length : Math.max(a, lowerBound(series.ts, to));
  if (a === 0 && b === series.length) return series;
  const out: CandleSeries = {
    symbol: series.symbol,
    tf: series.tf,
    length: b - a,
    ts: series.ts.subarray(a, b),
    open: series.open.subarray(a, b),
    high: series.high.subarray(a, b),
    low: series.low.subarray(a, b),
    close: series.close.subarray(a, b),
    volume: series.volume.subarray(a, b),
  };
  if (series.partial) out.partial = series.partial.subarray(a, b);
  return out;
}
