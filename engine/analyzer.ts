// Multi-timeframe analysis of one symbol: base candles in, closed higher-timeframe candles built
// by aggregation, detectors updated, and on every closed ltf candle the factor snapshot, the
// confluence score and — when it scores high enough — a candidate signal with its targets.
import { Aggregator } from './aggregate.js';
import { TimeframeState, type TimeframeStateOptions } from './smc/timeframe-state.js';
import { scoreSnapshot } from './scoring.js';
import { computeTargets } from './targets.js';
import { TF_MS, type Timeframe } from './timeframe.js';
import type { CoinConfig, EngineParams } from './params.js';
import type { Bias, Candle, Direction, FactorSnapshot, ScoreResult, Signal } from './types.js';

export interface LtfEvaluation {
  /** Close time of the ltf candle. */
  time: number;
  candle: Candle;
  snapshot: FactorSnapshot;
  score: ScoreResult;
}

export interface AnalyzerOptions {
  baseTf: Timeframe;
  /**
   * Exchange leverage limit of the instrument (Infinity when unknown: coin max applies); a function is
   * asked at every signal with the coin's symbol (a live runtime learns the instruments after the
   * session is built). One function for all coins: a closure per coin made the JIT's code for the
   * signal path bail out when the second coin signalled.
   */
  exchangeMaxLeverage?: number | ((symbol: string) => number | undefined);
  sink?: TimeframeStateOptions['sink'];
  /** Called on every ltf evaluation (for `smc detect --scores`). */
  onEvaluation?: (e: LtfEvaluation) => void;
}

const ORDER: Timeframe[] = ['4h', '1h', '15m', '5m', '1m'];

export class SymbolAnalyzer {
  readonly htf: TimeframeState;
  readonly mtf: TimeframeState;
  readonly ltf: TimeframeState;
  readonly ltfTf: Timeframe;
  readonly warnings: string[] = [];
  /** Aggregators from the base to each distinct analysis timeframe, coarsest first. */
  private readonly feeds: { tf: Timeframe; agg: Aggregator | null; states: TimeframeState[] }[] = [];
  /** The latest evaluation; without an onEvaluation listener it is one reused object, valid until the next ltf candle. */
  lastEvaluation: LtfEvaluation | null = null;
  private readonly scratch: LtfEvaluation = emptyEvaluation();

  constructor(
    readonly symbol: string,
    readonly coin: CoinConfig,
    readonly params: EngineParams,
    private readonly opts: AnalyzerOptions,
  ) {
    const base = opts.baseTf;
    let ltfTf = coin.ltf_timeframe;
    if (TF_MS[ltfTf] < TF_MS[base]) {
      this.warnings.push(`${symbol}: ltf ${ltfTf} is finer than the data's base ${base}; using ${base} as ltf`);
      ltfTf = base;
    }
    for (const [name, tf] of [['mtf', coin.mtf_timeframe], ['htf', coin.htf_timeframe]] as const) {
      if (TF_MS[tf] < TF_MS[base]) throw new Error(`${symbol}: ${name} ${tf} is finer than the data's base ${base}`);
    }
    this.ltfTf = ltfTf;
    this.htf = new TimeframeState(coin.htf_timeframe, params, { structures: false, sweeps: false, sink: opts.sink });
    this.mtf = new TimeframeState(coin.mtf_timeframe, params, { structures: true, sweeps: false, sink: opts.sink });
    // When ltf and mtf share a timeframe the mtf state already reports its swings: report them once.
    const ltfSink = opts.sink && ltfTf === coin.mtf_timeframe
      ? (r: Parameters<NonNullable<TimeframeStateOptions['sink']>>[0]) => { if (r.type !== 'swing') opts.sink!(r); }
      : opts.sink;
    this.ltf = new TimeframeState(ltfTf, params, { structures: false, sweeps: true, sink: ltfSink });
    const byTf = new Map<Timeframe, TimeframeState[]>();
    for (const st of [this.htf, this.mtf, this.ltf]) byTf.set(st.tf, [...(byTf.get(st.tf) ?? []), st]);
    // Coarser timeframes first: when several close at the same instant the ltf sees them closed.
    for (const tf of ORDER) {
      const states = byTf.get(tf);
      if (states) this.feeds.push({ tf, agg: tf === base ? null : new Aggregator(base, tf), states });
    }
  }

  /**
   * Feeds one closed base candle. Returns the ltf evaluation when an ltf candle closed with it.
   * `c` is only read during the call (a backtest reuses one object per symbol): a timeframe state
   * that keeps candles gets its own copy.
   */
  onBaseCandle(c: Candle): LtfEvaluation | null {
    let ltfClosed: Candle | null = null;
    // Indexed loops: this runs for every base candle, also before the JIT has optimised it.
    const feeds = this.feeds;
    for (let f = 0; f < feeds.length; f++) {
      const feed = feeds[f];
      const states = feed.states;
      // One base candle can close two buckets after a gap: take every one the aggregator has.
      for (let closed = feed.agg ? feed.agg.push(c) : copyCandle(c); closed; closed = feed.agg ? feed.agg.next() : null) {
        for (let i = 0; i < states.length; i++) {
          const st = states[i];
          st.update(closed);
          if (st === this.ltf) ltfClosed = closed;
        }
      }
    }
    // Read on every call: first read only once the indicators were ready, it made the optimised
    // code bail out then.
    const onEvaluation = this.opts.onEvaluation;
    if (!ltfClosed) return null;
    const ev = this.evaluate(ltfClosed);
    this.lastEvaluation = ev;
    if (ev && onEvaluation) onEvaluation(ev);
    return ev;
  }

  /** The exchange's leverage limit for this coin now; Infinity when unknown. */
  private exchangeMaxLeverage(): number {
    const limit = this.opts.exchangeMaxLeverage;
    return (typeof limit === 'function' ? limit(this.symbol) : limit) ?? Infinity;
  }

  /** True once every indicator the score needs has warmed up. */
  get ready(): boolean {
    return Number.isFinite(this.htf.emaSlow) && Number.isFinite(this.mtf.atr) && Number.isFinite(this.mtf.rsi);
  }

  htfBias(): Bias {
    const h = this.htf;
    const close = h.last?.close ?? NaN;
    if (!(Number.isFinite(h.emaFast) && Number.isFinite(h.emaSlow))) return 'neutral';
    if (close > h.emaFast && h.emaFast > h.emaSlow) return 'bullish';
    if (close < h.emaFast && h.emaFast < h.emaSlow) return 'bearish';
    return 'neutral';
  }

  private evaluate(c: Candle): LtfEvaluation | null {
    if (!this.ready) return null;
    // Without a listener no evaluation outlives its candle (a candidate copies what it keeps), so
    // one evaluation and one snapshot are reused: they were a good part of what a backtest allocated.
    const keep = this.opts.onEvaluation !== undefined;
    const ev = keep ? emptyEvaluation() : this.scratch;
    ev.time = c.ts + TF_MS[this.ltfTf];
    ev.candle = c;
    ev.snapshot = this.snapshot(c, keep ? undefined : ev.snapshot);
    ev.score = scoreSnapshot(ev.snapshot, this.params.weights, this.params);
    return ev;
  }

  /** The factor snapshot at ltf candle `c`, written into `into` when given (else a new object). */
  snapshot(c: Candle, into?: FactorSnapshot): FactorSnapshot {
    const mtf = this.mtf;
    const prox = this.params.ob_proximity_atr * mtf.atr;
    // Each factor asks whether ANY live zone qualifies; the zone lists keep the running extreme of
    // the far edge in kill order, so that is one binary search instead of a walk over every zone.
    // Bullish OB: low within [mid, top + prox] of some OB ⇔ the highest top among OBs with
    // mid ≤ low, plus prox, reaches low (rounding is monotonic, so max-then-add is exact).
    const nearBull = mtf.orderBlockEdge('bullish', c.low) + prox >= c.low;
    const nearBear = mtf.orderBlockEdge('bearish', c.high) - prox <= c.high;
    // FVG: the candle's range overlaps [bottom, top] of some live gap.
    const inBullFvg = mtf.fvgEdge('bullish', c.high) >= c.low;
    const inBearFvg = mtf.fvgEdge('bearish', c.low) <= c.high;
    const valid = this.params.sweep_valid_bars;
    const s = into ?? emptySnapshot();
    s.htf_bias = this.htfBias();
    s.near_bullish_ob = nearBull;
    s.near_bearish_ob = nearBear;
    s.in_bullish_fvg = inBullFvg;
    s.in_bearish_fvg = inBearFvg;
    s.bullish_sweep = this.ltf.barsSinceSweep('bullish') <= valid;
    s.bearish_sweep = this.ltf.barsSinceSweep('bearish') <= valid;
    s.mtf_rsi = this.mtf.rsi;
    s.market_structure = this.mtf.structure;
    return s;
  }

  /**
   * The candidate signal of an evaluation: the better direction (long on a tie is arbitrary, so a
   * tie raises nothing), when it scores at least `signal_log_min_score` and targets can be set.
   */
  candidate(ev: LtfEvaluation): Signal | null {
    const { long, short } = ev.score;
    if (long.score === short.score) return null;
    const direction: Direction = long.score > short.score ? 'long' : 'short';
    const side = direction === 'long' ? long : short;
    if (side.score < Math.min(this.params.signal_log_min_score, this.coin.min_confidence)) return null;
    const price = ev.candle.close;
    const targets = computeTargets(direction, price, this.mtf.atr, this.coin, this.params, this.exchangeMaxLeverage());
    if (!targets) return null;
    return {
      id: `${this.symbol}-${direction}-${ev.time}`,
      symbol: this.symbol,
      direction,
      time: ev.time,
      price,
      confidence: side.score,
      factors: side.factors,
      snapshot: { ...ev.snapshot },
      atr: this.mtf.atr,
      targets,
      mlProbability: null,
    };
  }
}

function copyCandle(c: Candle): Candle {
  return { ts: c.ts, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume };
}

/** Every snapshot has these fields in this order (one hidden class, new or reused). */
function emptySnapshot(): FactorSnapshot {
  return {
    htf_bias: 'neutral', near_bullish_ob: false, near_bearish_ob: false, in_bullish_fvg: false, in_bearish_fvg: false,
    bullish_sweep: false, bearish_sweep: false, mtf_rsi: NaN, market_structure: 'neutral',
  };
}

function emptyEvaluation(): LtfEvaluation {
  return {
    time: NaN, candle: { ts: NaN, open: NaN, high: NaN, low: NaN, close: NaN, volume: NaN }, snapshot: emptySnapshot(),
    score: { long: { score: 0, factors: [] }, short: { score: 0, factors: [] } },
  };
}
