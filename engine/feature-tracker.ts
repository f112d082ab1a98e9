// Rolling per-symbol state behind the ML features (engine/features.ts), fed closed candles only,
// O(1) per update. Snapshots are taken at a signal's candle; they read nothing newer than what was fed.
//
// Feeding contract: call onBase(c) for every closed base candle and onMtf(c, atr, rsi) for every closed
// mtf candle of the symbol (with that candle's ATR14/RSI14) BEFORE building the signal's context.
// Hourly candles are built here from the base candles (hourlyFromBase, the default) or fed by onHourly.
//
// Cross-symbol features (BTC change and correlation) read BTC candles that closed at least one base
// candle before the signal (close time ≤ signal time − base). Within one time step the symbols are fed
// in some order; with this cut-off the result does not depend on whether BTC's candle of the same
// minute was fed before or after the signal's symbol, so backtest, replay and live agree.
import { Aggregator } from './aggregate.js';
import { pearson } from './correlation.js';
import { Atr, Rsi, Sma } from './indicators/index.js';
import { TF_MS, type Timeframe } from './timeframe.js';
import { computeFeatures, type BtcContext, type FeatureContext, type MarketSnapshot } from './features.js';
import type { Candle, Signal } from './types.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface FeatureTrackerOptions {
  /** Timeframe of the candles given to onBase. */
  baseTf: Timeframe;
  /** mtf ATR values kept for atr_percentile and volatility_ratio. */
  atrHistory?: number;
  volumeSmaPeriod?: number;
  /** Bars on each side of an RSI-divergence pivot (like swing_length). */
  pivotLength?: number;
  /** A divergence is active until its second pivot is this many mtf bars old. */
  divergenceMaxAge?: number;
  /** The two pivots of a divergence are at most this many mtf bars apart. */
  divergenceMaxSpan?: number;
  /** Hourly returns kept for btc_correlation. */
  hourlyReturns?: number;
  /** Hourly returns a correlation needs before it is defined. */
  minCorrelationSamples?: number;
  /** Build hourly candles from the base candles (default) instead of taking them from onHourly. */
  hourlyFromBase?: boolean;
}

interface Pivot {
  price: number;
  rsi: number;
  bar: number;
}

export class FeatureTracker {
  readonly baseMs: number;
  private readonly atrRing: Float64Array;
  private atrCount = 0;
  private atrNext = 0;
  private lastAtr = NaN;
  private lastRsi = NaN;
  private lastVolume = NaN;
  private readonly volumeSma: Sma;

  // mtf pivots for RSI divergence: the last 2L+1 bars' low, high and RSI
  private readonly pivotLength: number;
  private readonly divergenceMaxAge: number;
  private readonly divergenceMaxSpan: number;
  private readonly win: { low: Float64Array; high: Float64Array; rsi: Float64Array };
  private mtfBars = 0;
  private lows: [Pivot | null, Pivot | null] = [null, null];
  private highs: [Pivot | null, Pivot | null] = [null, null];

  // UTC day so far, from base candles
  private day = NaN;
  private dayHigh = NaN;
  private dayLow = NaN;

  // base closes of the last 5 hours (+ slack), slot = candle index mod capacity
  private readonly closeTs: Float64Array;
  private readonly closes: Float64Array;
  private lastBaseTs = -Infinity;

  // hourly returns with their close times
  private readonly hourlyAgg: Aggregator | null;
  private readonly hourlyFromBase: boolean;
  private readonly retValues: Float64Array;
  private readonly retTimes: Float64Array;
  private retCount = 0;
  private retNext = 0;
  private lastHourTs = NaN;
  private lastHourClose = NaN;
  readonly minCorrelationSamples: number;

  constructor(opts: FeatureTrackerOptions) {
    this.baseMs = TF_MS[opts.baseTf];
    const atrHistory = opts.atrHistory ?? 100;
    const hourly = opts.hourlyReturns ?? 100;
    this.pivotLength = opts.pivotLength ?? 5;
    this.divergenceMaxAge = opts.divergenceMaxAge ?? 3 * this.pivotLength;
    this.divergenceMaxSpan = opts.divergenceMaxSpan ?? 60;
    this.minCorrelationSamples = opts.minCorrelationSamples ?? 24;
    for (const [name, n] of [
      ['atrHistory', atrHistory],
      ['hourlyReturns', hourly],
      ['pivotLength', this.pivotLength],
      ['divergenceMaxAge', this.divergenceMaxAge],
      ['divergenceMaxSpan', this.divergenceMaxSpan],
      ['minCorrelationSamples', this.minCorrelationSamples],
    ] as const) {
      if (!Number.isInteger(n) || n < 1) throw new Error(`FeatureTracker: ${name} must be an integer ≥ 1 (got ${n})`);
    }
    if (this.baseMs > HOUR_MS) throw new Error(`FeatureTracker: base timeframe ${opts.baseTf} is coarser than 1h`);
    this.atrRing = new Float64Array(atrHistory);
    this.volumeSma = new Sma(opts.volumeSmaPeriod ?? 20);
    const w = 2 * this.pivotLength + 1;
    this.win = { low: new Float64Array(w), high: new Float64Array(w), rsi: new Float64Array(w) };
    // 4 h back from the cut-off, with up to 1 h of candles fed after it (BTC running ahead of the
    // signal's symbol) and room for a few missing candles.
    const slots = (5 * HOUR_MS) / this.baseMs + 8;
    this.closeTs = new Float64Array(slots).fill(NaN);
    this.closes = new Float64Array(slots);
    this.hourlyFromBase = opts.hourlyFromBase ?? true;
    this.hourlyAgg = this.hourlyFromBase && opts.baseTf !== '1h' ? new Aggregator(opts.baseTf, '1h') : null;
    this.retValues = new Float64Array(hourly);
    this.retTimes = new Float64Array(hourly);
  }

  /** One closed mtf candle with its ATR14 and RSI14 (NaN during warm-up). */
  onMtf(c: Candle, atr: number, rsi: number): void {
    if (Number.isFinite(atr)) {
      this.atrRing[this.atrNext] = atr;
      this.atrNext = (this.atrNext + 1) % this.atrRing.length;
      if (this.atrCount < this.atrRing.length) this.atrCount++;
    }
    this.lastAtr = atr;
    this.lastRsi = rsi;
    this.lastVolume = c.volume;
    this.volumeSma.update(c.volume);
    this.trackPivots(c, rsi);
  }

  /** One closed base candle (strictly increasing `ts`). */
  onBase(c: Candle): void {
    if (!(c.ts > this.lastBaseTs)) throw new Error(`FeatureTracker: base candle ${c.ts} is not after ${this.lastBaseTs}`);
    this.lastBaseTs = c.ts;
    const day = Math.floor(c.ts / DAY_MS);
    if (day !== this.day) {
      this.day = day;
      this.dayHigh = c.high;
      this.dayLow = c.low;
    } else {
      if (c.high > this.dayHigh) this.dayHigh = c.high;
      if (c.low < this.dayLow) this.dayLow = c.low;
    }
    const slot = Math.floor(c.ts / this.baseMs) % this.closes.length;
    this.closeTs[slot] = c.ts;
    this.closes[slot] = c.close;
    if (!this.hourlyFromBase) return;
    if (!this.hourlyAgg) {
      this.pushHourly(c);
      return;
    }
    for (let h = this.hourlyAgg.push(c); h; h = this.hourlyAgg.next()) this.pushHourly(h);
  }

  /** One closed 1h candle; only when constructed with hourlyFromBase: false. */
  onHourly(c: Candle): void {
    if (this.hourlyFromBase) {
      throw new Error('FeatureTracker: hourly candles are built from the base candles; construct it with hourlyFromBase: false to feed them');
    }
    this.pushHourly(c);
  }

  private pushHourly(c: Candle): void {
    // A return across a gap would mix horizons; only consecutive hours make a return.
    if (c.ts - this.lastHourTs === HOUR_MS && this.lastHourClose > 0) {
      this.retValues[this.retNext] = c.close / this.lastHourClose - 1;
      this.retTimes[this.retNext] = c.ts + HOUR_MS;
      this.retNext = (this.retNext + 1) % this.retValues.length;
      if (this.retCount < this.retValues.length) this.retCount++;
    }
    this.lastHourTs = c.ts;
    this.lastHourClose = c.close;
  }

  private trackPivots(c: Candle, rsi: number): void {
    const L = this.pivotLength;
    const w = 2 * L + 1;
    const s = this.mtfBars % w;
    this.win.low[s] = c.low;
    this.win.high[s] = c.high;
    this.win.rsi[s] = rsi;
    const bar = this.mtfBars++;
    if (bar < 2 * L) return;
    // Candidate pivot: the bar L back, with L bars on each side now known.
    const mid = (bar - L) % w;
    let isLow = true;
    let isHigh = true;
    for (let k = 0; k < w; k++) {
      if (k === mid) continue;
      if (!(this.win.low[mid]! < this.win.low[k]!)) isLow = false;
      if (!(this.win.high[mid]! > this.win.high[k]!)) isHigh = false;
    }
    if (isLow) this.lows = [this.lows[1], { price: this.win.low[mid]!, rsi: this.win.rsi[mid]!, bar: bar - L }];
    if (isHigh) this.highs = [this.highs[1], { price: this.win.high[mid]!, rsi: this.win.rsi[mid]!, bar: bar - L }];
  }

  /** Regular divergence: price makes a lower low (higher high) while RSI makes a higher low (lower high). */
  private divergence(): -1 | 0 | 1 {
    const now = this.mtfBars - 1;
    const active = (p: [Pivot | null, Pivot | null]): [Pivot, Pivot] | null => {
      const [a, b] = p;
      if (!a || !b || now - b.bar > this.divergenceMaxAge || b.bar - a.bar > this.divergenceMaxSpan) return null;
      if (!Number.isFinite(a.rsi) || !Number.isFinite(b.rsi)) return null;
      return [a, b];
    };
    const lows = active(this.lows);
    const highs = active(this.highs);
    const bullish = lows && lows[1].price < lows[0].price && lows[1].rsi > lows[0].rsi ? lows[1].bar : -1;
    const bearish = highs && highs[1].price > highs[0].price && highs[1].rsi < highs[0].rsi ? highs[1].bar : -1;
    if (bullish < 0 && bearish < 0) return 0;
    // Both active: the more recent second pivot wins (a tie cancels out).
    if (bullish === bearish) return 0;
    return bullish > bearish ? 1 : -1;
  }

  /** The market part of a feature context, as of everything fed so far. */
  snapshot(): MarketSnapshot {
    let atrPercentile = NaN;
    let atrMean = NaN;
    if (this.atrCount > 0 && Number.isFinite(this.lastAtr)) {
      let below = 0;
      let sum = 0;
      for (let k = 0; k < this.atrCount; k++) {
        const a = this.atrRing[k]!;
        sum += a;
        if (a <= this.lastAtr) below++;
      }
      atrPercentile = below / this.atrCount;
      atrMean = sum / this.atrCount;
    }
    return {
      atr: this.lastAtr,
      atrPercentile,
      atrMean,
      rsi: this.lastRsi,
      divergence: this.divergence(),
      volume: this.lastVolume,
      volumeSma: this.volumeSma.value,
      dayHigh: this.dayHigh,
      dayLow: this.dayLow,
    };
  }

  /**
   * Close of the latest base candle that closed at or before `time`, looking back at most the ring's
   * length (≈ 4 h): NaN when none was fed in that span (data gap or not started).
   */
  closeAt(time: number): number {
    const n = this.closes.length;
    const newest = Math.floor(time / this.baseMs) * this.baseMs - this.baseMs;
    for (let k = 0, ts = newest; k < n - 1; k++, ts -= this.baseMs) {
      if (ts > this.lastBaseTs) continue;
      const slot = Math.floor(ts / this.baseMs) % n;
      if (this.closeTs[slot] === ts) return this.closes[slot]!;
    }
    return NaN;
  }

  /** Fractional price change over `lookbackMs` ending at `time` (close prices known at those times). */
  change(time: number, lookbackMs: number): number {
    const now = this.closeAt(time);
    const then = this.closeAt(time - lookbackMs);
    return now > 0 && then > 0 ? now / then - 1 : NaN;
  }

  /** Hourly returns whose hour closed at or before `cutoff`, with their close times, oldest first. */
  hourlyReturns(cutoff: number): { times: Float64Array; values: Float64Array } {
    const n = this.retValues.length;
    const start = this.retCount < n ? 0 : this.retNext;
    const times: number[] = [];
    const values: number[] = [];
    for (let k = 0; k < this.retCount; k++) {
      const i = (start + k) % n;
      if (this.retTimes[i]! > cutoff) break;
      times.push(this.retTimes[i]!);
      values.push(this.retValues[i]!);
    }
    return { times: Float64Array.from(times), values: Float64Array.from(values) };
  }
}

/** Pearson correlation of two trackers' hourly returns, paired by hour, using hours closed by `cutoff`. */
export function hourlyCorrelation(a: FeatureTracker, b: FeatureTracker, cutoff: number): number {
  const ra = a.hourlyReturns(cutoff);
  const rb = b.hourlyReturns(cutoff);
  const xa: number[] = [];
  const xb: number[] = [];
  for (let i = 0, j = 0; i < ra.times.length && j < rb.times.length; ) {
    if (ra.times[i] === rb.times[j]) {
      xa.push(ra.values[i++]!);
      xb.push(rb.values[j++]!);
    } else if (ra.times[i]! < rb.times[j]!) i++;
    else j++;
  }
  if (xa.length < Math.max(a.minCorrelationSamples, b.minCorrelationSamples)) return NaN;
  return pearson(Float64Array.from(xa), Float64Array.from(xb));
}

/**
 * BTC context of a signal at `time` on a symbol: BTC's 1h/4h change and the hourly-return correlation,
 * from BTC candles closed at or before `time − base` (see the header). `btc` null: all NaN (no BTC data).
 */
export function btcContext(own: FeatureTracker, btc: FeatureTracker | null, time: number, ownIsBtc: boolean): BtcContext {
  if (!btc) return { correlation: ownIsBtc ? 1 : NaN, change1h: NaN, change4h: NaN };
  const cutoff = time - btc.baseMs;
  return {
    correlation: ownIsBtc ? 1 : hourlyCorrelation(own, btc, cutoff),
    change1h: btc.change(cutoff, HOUR_MS),
    change4h: btc.change(cutoff, 4 * HOUR_MS),
  };
}

/**
 * Outcomes of closed trades for the recent win-rate features: the last `window` trades closed strictly
 * before the query time, per coin and overall; 0.5 (no information) when there are none.
 */
export class RecentOutcomes {
  private readonly byKey = new Map<string, { exitTime: number; symbol: string; win: boolean }[]>();
  /** Trades kept per key beyond `window`, for queries that must skip trades closing at/after their time. */
  private static readonly SLACK = 64;

  constructor(readonly window = 20) {
    if (!Number.isInteger(window) || window < 1) throw new Error(`RecentOutcomes: window must be an integer ≥ 1 (got ${window})`);
  }

  record(symbol: string, exitTime: number, win: boolean): void {
    if (!Number.isFinite(exitTime)) throw new Error(`RecentOutcomes: exit time of a ${symbol} trade must be finite (got ${exitTime})`);
    for (const key of [symbol, '*']) {
      let list = this.byKey.get(key);
      if (!list) this.byKey.set(key, (list = []));
      // Kept sorted by exit time, then symbol: trades of several coins closing in the same minute may be
      // recorded in any order (feed order differs between backtest and live), and the window must not
      // depend on it. Trades normally arrive in order, so this is an append.
      let i = list.length;
      while (i > 0 && (list[i - 1]!.exitTime > exitTime || (list[i - 1]!.exitTime === exitTime && list[i - 1]!.symbol > symbol))) i--;
      list.splice(i, 0, { exitTime, symbol, win });
      if (list.length > this.window + RecentOutcomes.SLACK) list.shift();
    }
  }

  /** Win rate (0-1) of the last `window` trades of `symbol` (all symbols when omitted) closed before `time`. */
  winRate(time: number, symbol?: string): number {
    const list = this.byKey.get(symbol ?? '*');
    if (!list) return 0.5;
    let n = 0;
    let wins = 0;
    for (let i = list.length - 1; i >= 0 && n < this.window; i--) {
      if (list[i]!.exitTime >= time) continue;
      n++;
      if (list[i]!.win) wins++;
    }
    return n === 0 ? 0.5 : wins / n;
  }
}

/**
 * The feature context of an engine signal. `own` is the signal symbol's tracker, `btc` BTC's (null when
 * BTC is not tracked); both fed up to the signal's candle.
 */
export function signalFeatureContext(
  signal: Signal,
  own: FeatureTracker,
  btc: FeatureTracker | null,
  outcomes: RecentOutcomes,
  btcSymbol = 'BTCUSDT',
): FeatureContext {
  const counted = new Set(signal.factors.map((f) => f.factor));
  return {
    time: signal.time,
    direction: signal.direction,
    price: signal.price,
    confidence: signal.confidence,
    htfBias: signal.snapshot.htf_bias,
    hasOrderBlock: counted.has('order_block'),
    hasFvg: counted.has('fvg'),
    hasSweep: counted.has('sweep'),
    market: own.snapshot(),
    btc: btcContext(own, btc, signal.time, signal.symbol === btcSymbol),
    recentWinRateCoin: outcomes.winRate(signal.time, signal.symbol),
    recentWinRateOverall: outcomes.winRate(signal.time),
  };
}

export interface FeatureBookOptions extends FeatureTrackerOptions {
  /** The setup (mtf) timeframe of a symbol (its coin config's mtf_timeframe). */
  mtfOf: (symbol: string) => Timeframe;
  /** ATR and RSI periods of the engine (params.atr_period, params.rsi_period). */
  atrPeriod?: number;
  rsiPeriod?: number;
  btcSymbol?: string;
  /** Closed trades counted by the recent win rates. */
  recentTrades?: number;
}

interface SymbolFeed {
  tracker: FeatureTracker;
  mtf: Aggregator | null;
  atr: Atr;
  rsi: Rsi;
}

/**
 * The feature state of every symbol in one place. observe() every closed base candle of every symbol
 * BEFORE the session handles it (so a signal raised on that candle sees it), recordTrade() every
 * closed trade, and features(signal) gives the signal's vector. The mtf candles, ATR14 and RSI14 are
 * rebuilt here from the base candles with the engine's own aggregator and indicators, so they are the
 * analyzer's values without reaching into it.
 */
export class FeatureBook {
  private readonly feeds = new Map<string, SymbolFeed>();
  readonly outcomes: RecentOutcomes;

  constructor(private readonly opts: FeatureBookOptions) {
    this.outcomes = new RecentOutcomes(opts.recentTrades ?? 20);
  }

  private feed(symbol: string): SymbolFeed {
    let f = this.feeds.get(symbol);
    if (!f) {
      const mtf = this.opts.mtfOf(symbol);
      f = {
        tracker: new FeatureTracker(this.opts),
        mtf: mtf === this.opts.baseTf ? null : new Aggregator(this.opts.baseTf, mtf),
        atr: new Atr(this.opts.atrPeriod ?? 14),
        rsi: new Rsi(this.opts.rsiPeriod ?? 14),
      };
      this.feeds.set(symbol, f);
    }
    return f;
  }

  tracker(symbol: string): FeatureTracker {
    return this.feed(symbol).tracker;
  }

  /** One closed base candle of `symbol` (strictly increasing time per symbol). */
  observe(symbol: string, c: Candle): void {
    const f = this.feed(symbol);
    f.tracker.onBase(c);
    const onMtf = (m: Candle): void => {
      f.tracker.onMtf(m, f.atr.update(m.high, m.low, m.close), f.rsi.update(m.close));
    };
    if (!f.mtf) onMtf(c);
    else for (let m = f.mtf.push(c); m; m = f.mtf.next()) onMtf(m);
  }

  /** A closed trade; win = positive net PnL. */
  recordTrade(symbol: string, exitTime: number, netPnl: number): void {
    this.outcomes.record(symbol, exitTime, netPnl > 0);
  }

  context(signal: Signal): FeatureContext {
    const btcSymbol = this.opts.btcSymbol ?? 'BTCUSDT';
    const btc = this.feeds.get(btcSymbol)?.tracker ?? null;
    return signalFeatureContext(signal, this.tracker(signal.symbol), btc, this.outcomes, btcSymbol);
  }

  features(signal: Signal): Float64Array {
    return computeFeatures(this.context(signal));
  }
}
