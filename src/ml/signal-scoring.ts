// What the backtest and the live runtime plug into the trading session for ML: the feature state of
// every symbol, the model, the session's synchronous scoring hook, and the rows for the dataset and
// the store's ml_features. Usage (backtest and runtime alike):
//   const ml = new MlSignalScoring({ baseTf, mtfOf, atrPeriod, rsiPeriod }, model);
//   for each closed base candle: ml.observe(symbol, c); session.onCandle(symbol, c);
//   new TradingSession({ ..., mlScore: model.loaded ? ml.score : undefined })   // and ml.features() for datasets
//   on trade_closed: ml.onTradeClosed(trade)
import { FeatureBook, type FeatureBookOptions } from '../../engine/feature-tracker.js';
import { FEATURE_SCHEMA, featuresToRecord } from '../../engine/features.js';
import type { Candle, Signal } from '../../engine/types.js';
import type { Timeframe } from '../../engine/timeframe.js';
import { coinConfig, type CoinConfig, type EngineParams } from '../../engine/params.js';
import type { MlFeatureRecord } from '../storage/store.js';
import type { DatasetRow } from './dataset.js';
import { NoModel, type WinModel } from './model.js';

/** The parts of a closed trade this needs (engine/session.ts TradeResult has them all). */
export interface ClosedTradeLike {
  symbol: string;
  exitTime: number;
  netPnl: number;
  pnlPercent: number;
  signal: Signal;
}

export class MlSignalScoring {
  readonly book: FeatureBook;
  /** Features of recent signals by id, so a trade can be labelled when it closes (bounded, oldest dropped). */
  private readonly bySignal = new Map<string, Float64Array>();
  private static readonly KEEP = 20_000;

  constructor(
    opts: FeatureBookOptions,
    readonly model: WinModel = new NoModel(),
  ) {
    this.book = new FeatureBook(opts);
  }

  /** Every closed base candle of every symbol, before the session handles it. */
  observe(symbol: string, c: Candle): void {
    this.book.observe(symbol, c);
  }

  /** The feature vector of a signal at its candle (remembered for its trade). */
  features(signal: Signal): Float64Array {
    const cached = this.bySignal.get(signal.id);
    if (cached) return cached;
    const f = this.book.features(signal);
    this.bySignal.set(signal.id, f);
    if (this.bySignal.size > MlSignalScoring.KEEP) this.bySignal.delete(this.bySignal.keys().next().value!);
    return f;
  }

  /** The features computed for a signal at its candle, or undefined (never computed now: it would read later data). */
  knownFeatures(signalId: string): Float64Array | undefined {
    return this.bySignal.get(signalId);
  }

  /** The session's mlScore hook: win probability 0-100, or null without a model. Synchronous. */
  readonly score = (signal: Signal): number | null => {
    const f = this.features(signal);
    return this.model.loaded ? this.model.predictSync(f) : null;
  };

  /** Feeds the outcome into the recent win rates; returns the trade's dataset row (null if its features were never computed). */
  onTradeClosed(t: ClosedTradeLike): DatasetRow | null {
    this.book.recordTrade(t.symbol, t.exitTime, t.netPnl);
    const f = this.bySignal.get(t.signal.id);
    if (!f) return null;
    return { time: t.signal.time, symbol: t.symbol, direction: t.signal.direction, features: f, pnl: t.pnlPercent };
  }
}

/**
 * An ml_features row for the store: features at signal time, outcome once the trade has closed.
 * `source` as on the trade and signal rows ('live', 'paper', 'backtest', ...), so exports can keep them apart.
 */
export function mlFeatureRecord(
  id: string,
  tradeId: string | null,
  signal: Signal,
  features: Float64Array,
  closed: { netPnl: number; pnlPercent: number } | null,
  source: string,
): MlFeatureRecord {
  return {
    id,
    trade_id: tradeId,
    signal_id: signal.id,
    created_at: new Date(signal.time),
    schema_version: FEATURE_SCHEMA.version,
    features: featuresToRecord(features),
    outcome: closed ? (closed.netPnl > 0 ? 'win' : 'loss') : null,
    pnl_percent: closed ? closed.pnlPercent : null,
    source,
  };
}

/**
 * The scoring for a run: each coin's mtf from its coin config (looked up on every new symbol, so
 * coins added later are covered when `coins` is a live object), ATR and RSI periods of the engine.
 */
export function mlScoringFor(
  o: { params: EngineParams; coins: () => Record<string, CoinConfig>; baseTf: Timeframe },
  model: WinModel = new NoModel(),
): MlSignalScoring {
  return new MlSignalScoring(
    { baseTf: o.baseTf, mtfOf: (s) => coinConfig(s, o.coins()).mtf_timeframe, atrPeriod: o.params.atr_period, rsiPeriod: o.params.rsi_period },
    model,
  );
}
