// Gaps in a candle series: reported, never filled (SPEC: a missing candle is not invented).
import { TF_MS } from '../../engine/timeframe.js';
import type { CandleSeries } from '../../engine/types.js';

export interface Gap {
  /** Open time of the first missing candle. */
  from: number;
  /** Open time of the first candle after the gap (exclusive end). */
  to: number;
  /** Missing candles: (to - from) / timeframe. */
  missing: number;
}

export interface GapReport {
  /** Number of gaps (runs of consecutive missing candles). */
  count: number;
  /** Missing candles in all gaps. */
  missingCandles: number;
  /** The gap with the most missing candles (the earliest on a tie); null without gaps. */
  largest: Gap | null;
}

export function gapReport(series: CandleSeries): GapReport {
  const step = TF_MS[series.tf];
  const ts = series.ts;
  let count = 0;
  let missingCandles = 0;
  let largest: Gap | null = null;
  for (let i = 1; i < series.length; i++) {
    const d = ts[i] - ts[i - 1];
    if (d === step) continue;
    const missing = d / step - 1;
    count++;
    missingCandles += missing;
    if (!largest || missing > largest.missing) largest = { from: ts[i - 1] + step, to: ts[i], missing };
  }
  return { count, missingCandles, largest };
}

/** One line for logs and the CLI, e.g. "2 gaps, 434 missing 1m candles, largest 284 from 2021-04-25T04:01:00.000Z". */
export function describeGaps(series: CandleSeries, r: GapReport = gapReport(series)): string {
  if (r.count === 0) return `no gaps in ${series.length} ${series.tf} candles`;
  const l = r.largest!;
  return `${r.count} gap${r.count === 1 ? '' : 's'}, ${r.missingCandles} missing ${series.tf} candles, largest ${l.missing} from ${new Date(l.from).toISOString()}`;
}
