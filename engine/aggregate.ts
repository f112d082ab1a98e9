// Builds higher-timeframe candles from base candles, incrementally (Aggregator) or over a whole
// series (aggregateSeries). Both follow the same rules, so they produce the same candles:
//
// - Buckets are aligned to UTC (`bucketStart`): a 15m bucket holds the base candles of :00..:14.
// - A bucket is emitted only once it is known to be closed, never earlier:
//   1. when its last base candle arrives (for 15m from 1m: the candle at :14), or
//   2. when a candle of a LATER bucket arrives while it is still open. Its last base candle is then
//      missing (a gap), and only the next bucket's first candle proves it is over; it closes at that
//      moment, flagged partial.
// - A bucket built from fewer base candles than it holds (missing ones anywhere, also at the start
//   of the data) is flagged partial. Missing candles are never invented.
// - The last bucket of a finite series that never saw its last candle is not emitted (it has not
//   closed as far as the data shows).
// Both rules can fire on one push (the previous bucket closes by rule 2 and the new candle is also
// the last of its own bucket): push() returns the earlier one and next() the later, so callers that
// must not miss a candle loop: `for (let k = agg.push(c); k; k = agg.next()) ...`.
import { bucketStart, floorTo, TF_MS, type Timeframe } from './timeframe.js';
import type { Candle, CandleSeries } from './types.js';

function checkPair(baseTf: Timeframe, targetTf: Timeframe): void {
  const base = TF_MS[baseTf];
  const target = TF_MS[targetTf];
  if (target < base || target % base !== 0) {
    throw new Error(`cannot aggregate ${baseTf} candles to ${targetTf} (the target must be a multiple of the base)`);
  }
}

export class Aggregator {
  readonly baseMs: number;
  readonly targetMs: number;
  /** Base candles in a complete bucket. */
  readonly perBucket: number;
  /** True when the candle last returned by push()/next() was built from an incomplete bucket. */
  lastPartial = false;

  private bucket = NaN;
  private count = 0;
  private open = 0;
  private high = 0;
  private low = 0;
  private close = 0;
  private volume = 0;
  private lastTs = -Infinity;
  /** A second bucket closed by the same push, handed out by next(). */
  private pending: Candle | null = null;
  private pendingPartial = false;

  constructor(
    readonly baseTf: Timeframe,
    readonly targetTf: Timeframe,
  ) {
    checkPair(baseTf, targetTf);
    this.baseMs = TF_MS[baseTf];
    this.targetMs = TF_MS[targetTf];
    this.perBucket = this.targetMs / this.baseMs;
  }

  /**
   * Adds one closed base candle (strictly increasing, aligned `ts`). Returns the higher-tf candle that
   * this candle proves closed, or null. See next() for the rare second candle.
   */
  push(c: Candle): Candle | null {
    const ts = c.ts;
    const lastTs = this.lastTs;
    if (!(ts > lastTs)) throw new Error(`aggregator ${this.baseTf}->${this.targetTf}: candle ${ts} is not after ${lastTs}`);
    // The candle right after an aligned one is aligned; only a jump (a gap, the first candle) needs the check.
    if (ts !== lastTs + this.baseMs && !(ts - floorTo(ts, this.baseMs) === 0)) {
      throw new Error(`aggregator ${this.baseTf}->${this.targetTf}: candle ${ts} is not aligned to ${this.baseTf}`);
    }
    this.lastTs = ts;
    this.pending = null;

    // Most candles fall in the open bucket: no division needed then.
    const open = this.bucket;
    const bucket = this.count > 0 && ts < open + this.targetMs ? open : floorTo(ts, this.targetMs);
    let first: Candle | null = null;
    let firstPartial = false;
    if (this.count > 0 && bucket !== this.bucket) {
      // Rule 2: a later bucket started, so the open one lost its last candle(s) to a gap.
      first = this.emit();
      firstPartial = true;
    }
    if (this.count === 0) {
      this.bucket = bucket;
      this.open = c.open;
      this.high = c.high;
      this.low = c.low;
      this.volume = c.volume;
    } else {
      if (c.high > this.high) this.high = c.high;
      if (c.low < this.low) this.low = c.low;
      this.volume += c.volume;
    }
    this.close = c.close;
    this.count++;

    if (ts + this.baseMs === bucket + this.targetMs) {
      // Rule 1: the bucket's last base candle arrived.
      const partial = this.count < this.perBucket;
      const k = this.emit();
      if (first) {
        this.pending = k;
        this.pendingPartial = partial;
      } else {
        first = k;
        firstPartial = partial;
      }
    }
    this.lastPartial = first ? firstPartial : false;
    return first;
  }

  /** The second candle closed by the last push (only after a gap), once; otherwise null. */
  next(): Candle | null {
    const k = this.pending;
    this.pending = null;
    this.lastPartial = k ? this.pendingPartial : false;
    return k;
  }

  private emit(): Candle {
    const k: Candle = { ts: this.bucket, open: this.open, high: this.high, low: this.low, close: this.close, volume: this.volume };
    this.count = 0;
    return k;
  }
}

/**
 * Aggregates a whole series with the Aggregator's rules (same candles, same partial flags) into a new
 * series of `targetTf` with a `partial` column.
 */
export function aggregateSeries(series: CandleSeries, targetTf: Timeframe): CandleSeries {
  checkPair(series.tf, targetTf);
  const baseMs = TF_MS[series.tf];
  const targetMs = TF_MS[targetTf];
  const perBucket = targetMs / baseMs;
  const n = series.length;
  const { ts, open, high, low, close, volume } = series;
  const cap = n === 0 ? 0 : Math.min(n, Math.floor((ts[n - 1] - ts[0]) / targetMs) + 2);
  const out = {
    ts: new Float64Array(cap),
    open: new Float64Array(cap),
    high: new Float64Array(cap),
    low: new Float64Array(cap),
    close: new Float64Array(cap),
    volume: new Float64Array(cap),
    partial: new Uint8Array(cap),
  };
  const { ts: oTs, open: oOpen, high: oHigh, low: oLow, close: oClose, volume: oVolume, partial: oPartial } = out;
  // One flat pass (a loop nested per bucket ran ~5× slower before the JIT had warmed up: the report
  // calls this a handful of times per run). Bucket m is open while candles fall before `end`.
  let m = -1;
  let end = -Infinity;
  let count = 0;
  let lastTs = 0;
  for (let i = 0; i < n; i++) {
    const t = ts[i];
    if (t >= end) {
      // The open bucket closed: by its own last candle (rule 1) or by this later candle (rule 2).
      if (m >= 0) oPartial[m] = count < perBucket || lastTs + baseMs !== end ? 1 : 0;
      m++;
      const bucket = bucketStart(t, targetTf);
      end = bucket + targetMs;
      count = 0;
      oTs[m] = bucket;
      oOpen[m] = open[i];
      oHigh[m] = high[i];
      oLow[m] = low[i];
      oVolume[m] = 0;
    }
    if (high[i] > oHigh[m]) oHigh[m] = high[i];
    if (low[i] < oLow[m]) oLow[m] = low[i];
    oClose[m] = close[i];
    oVolume[m] += volume[i];
    count++;
    lastTs = t;
  }
  // The data ends inside the last bucket: emitted only when its own last candle closed it.
  if (m >= 0) {
    if (lastTs + baseMs === end) oPartial[m] = count < perBucket ? 1 : 0;
    else m--;
  }
  m++;
  return {
    symbol: series.symbol,
    tf: targetTf,
    length: m,
    ts: out.ts.subarray(0, m),
    open: out.open.subarray(0, m),
    high: out.high.subarray(0, m),
    low: out.low.subarray(0, m),
    close: out.close.subarray(0, m),
    volume: out.volume.subarray(0, m),
    partial: out.partial.subarray(0, m),
  };
}
