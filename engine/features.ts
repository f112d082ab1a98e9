// The ML feature vector of a signal (SPEC §5, briefing §4.1): one pure function used by backtest,
// replay and live, so a model sees the same numbers everywhere. The schema (names, order, version)
// travels with every dataset and model; change a name, its order or its meaning → bump `version`
// (and regenerate ml/feature_schema.json, which a test compares with this file).
//
// Every input describes the moment the signal's candle closed; nothing after it. Unknown values
// (indicator warm-up, no BTC data yet) are NaN, which XGBoost and its ONNX export treat as missing.
//
// Direction-aware features (so one model serves longs and shorts without learning every rule twice):
// - htf_alignment:       +1 htf bias agrees with the trade, 0 neutral, −1 against.
// - btc_change_*_signed: BTC's % move × (+1 long, −1 short): positive = BTC moved the trade's way.
// - rsi_divergence:      +1 a regular RSI divergence in the trade's direction is active
//                        (bullish for a long, bearish for a short), −1 one against it, 0 none.
// The rest are raw market context; `is_long` lets the model tell the directions apart.
import type { Bias, Direction } from './types.js';

export const FEATURE_SCHEMA = {
  version: 1,
  names: [
    'confidence_score', // confluence score 0-100
    'htf_alignment', // +1 / 0 / −1, see above
    'is_long', // 1 long, 0 short
    'has_order_block', // 0/1: the order-block factor counted
    'has_fvg', // 0/1: the FVG factor counted
    'has_liquidity_sweep', // 0/1: the sweep factor counted
    'atr_percent', // mtf ATR14 / price × 100 (price-free, comparable across coins)
    'atr_percentile', // share (0-1) of the last ≤100 mtf ATR14 values ≤ the current one
    'volatility_ratio', // mtf ATR14 / mean of the last ≤100 mtf ATR14 values (>1: more volatile than usual)
    'btc_correlation', // Pearson of 1h returns with BTC over ≤100 hours (1 for BTC itself)
    'btc_change_1h_signed', // BTC % change over 1h × direction sign
    'btc_change_4h_signed', // BTC % change over 4h × direction sign
    'rsi_14', // RSI14 of the last closed mtf candle
    'rsi_divergence', // +1 / 0 / −1, see above
    'volume_ratio', // last closed mtf volume / its SMA20
    'hour_of_day', // UTC hour of the signal, 0-23
    'day_of_week', // UTC, 0 = Monday … 6 = Sunday (as the briefing's Python weekday())
    'is_weekend', // 1 on Saturday and Sunday (UTC)
    'distance_from_daily_high', // (UTC day's high so far − price) / price
    'distance_from_daily_low', // (price − UTC day's low so far) / price
    'recent_win_rate_this_coin', // wins / trades among this coin's last ≤20 trades closed before the signal (0.5 when none)
    'recent_win_rate_overall', // the same over all coins
  ],
} as const;

export type FeatureName = (typeof FEATURE_SCHEMA.names)[number];
export const FEATURE_COUNT = FEATURE_SCHEMA.names.length;

/** Rolling market state of the signal's symbol at the signal's candle (FeatureTracker.snapshot()). */
export interface MarketSnapshot {
  /** ATR14 of the last closed mtf candle. */
  atr: number;
  /** Share (0-1) of the recent mtf ATR values (current included) that are ≤ the current one. */
  atrPercentile: number;
  /** Mean of the recent mtf ATR values (current included). */
  atrMean: number;
  /** RSI14 of the last closed mtf candle. */
  rsi: number;
  /** Active regular RSI divergence on the mtf: +1 bullish, −1 bearish, 0 none. */
  divergence: -1 | 0 | 1;
  /** Volume of the last closed mtf candle and the SMA of mtf volumes. */
  volume: number;
  volumeSma: number;
  /** High and low of the current UTC day up to the last closed base candle. */
  dayHigh: number;
  dayLow: number;
}

/** BTC context at the signal's time (btcContext() in feature-tracker.ts). Changes are fractions. */
export interface BtcContext {
  correlation: number;
  change1h: number;
  change4h: number;
}

/** Everything the features of one signal are computed from; only information known at its candle's close. */
export interface FeatureContext {
  /** Signal time: close time of the ltf candle, ms UTC. */
  time: number;
  direction: Direction;
  /** Reference price (close of that candle). */
  price: number;
  confidence: number;
  htfBias: Bias;
  hasOrderBlock: boolean;
  hasFvg: boolean;
  hasSweep: boolean;
  market: MarketSnapshot;
  btc: BtcContext;
  /** Win rates (0-1) of trades closed before `time`. */
  recentWinRateCoin: number;
  recentWinRateOverall: number;
}

function requireFinite(value: number, what: string): void {
  if (!Number.isFinite(value)) throw new Error(`feature context: ${what} must be a finite number (got ${value})`);
}

function requireRate(value: number, what: string): void {
  if (!(value >= 0 && value <= 1)) throw new Error(`feature context: ${what} must be a win rate in [0, 1] (got ${value})`);
}

/** Ratio that is NaN (missing) rather than ±Infinity when the denominator is 0 or unknown. */
function ratio(num: number, den: number): number {
  return den > 0 && Number.isFinite(num) ? num / den : NaN;
}

const DAY_MS = 86_400_000;

/** UTC weekday with Monday = 0 (Python's datetime.weekday()). 1970-01-01 was a Thursday (3). */
export function utcWeekday(time: number): number {
  return (Math.floor(time / DAY_MS) + 3) % 7;
}

/** The feature vector of one signal, in FEATURE_SCHEMA order. Pure. */
export function computeFeatures(ctx: FeatureContext): Float64Array {
  requireFinite(ctx.time, 'time');
  requireFinite(ctx.confidence, 'confidence');
  if (!(ctx.price > 0)) throw new Error(`feature context: price must be a positive number (got ${ctx.price})`);
  if (ctx.direction !== 'long' && ctx.direction !== 'short') {
    throw new Error(`feature context: direction must be "long" or "short" (got ${String(ctx.direction)})`);
  }
  requireRate(ctx.recentWinRateCoin, 'recentWinRateCoin');
  requireRate(ctx.recentWinRateOverall, 'recentWinRateOverall');

  const sign = ctx.direction === 'long' ? 1 : -1;
  const m = ctx.market;
  const biasSign = ctx.htfBias === 'bullish' ? 1 : ctx.htfBias === 'bearish' ? -1 : 0;
  // The features are computed at the candle's close time; the hour is that of the close instant.
  const hour = Math.floor((((ctx.time % DAY_MS) + DAY_MS) % DAY_MS) / 3_600_000);
  const dow = utcWeekday(ctx.time);

  const v = new Float64Array(FEATURE_COUNT);
  let i = 0;
  v[i++] = ctx.confidence;
  v[i++] = biasSign * sign;
  v[i++] = sign === 1 ? 1 : 0;
  v[i++] = ctx.hasOrderBlock ? 1 : 0;
  v[i++] = ctx.hasFvg ? 1 : 0;
  v[i++] = ctx.hasSweep ? 1 : 0;
  v[i++] = ratio(m.atr, ctx.price) * 100;
  v[i++] = Number.isFinite(m.atrPercentile) ? m.atrPercentile : NaN;
  v[i++] = ratio(m.atr, m.atrMean);
  v[i++] = ctx.btc.correlation;
  v[i++] = ctx.btc.change1h * 100 * sign;
  v[i++] = ctx.btc.change4h * 100 * sign;
  v[i++] = m.rsi;
  v[i++] = m.divergence * sign;
  v[i++] = ratio(m.volume, m.volumeSma);
  v[i++] = hour;
  v[i++] = dow;
  v[i++] = dow >= 5 ? 1 : 0;
  v[i++] = Number.isFinite(m.dayHigh) ? (m.dayHigh - ctx.price) / ctx.price : NaN;
  v[i++] = Number.isFinite(m.dayLow) ? (ctx.price - m.dayLow) / ctx.price : NaN;
  v[i++] = ctx.recentWinRateCoin;
  v[i++] = ctx.recentWinRateOverall;
  return v;
}

/** Names → values (for the store's ml_features.features JSON). NaN becomes null there (JSON has no NaN). */
export function featuresToRecord(features: Float64Array): Record<FeatureName, number> {
  if (features.length !== FEATURE_COUNT) {
    throw new Error(`feature vector has ${features.length} values, schema v${FEATURE_SCHEMA.version} has ${FEATURE_COUNT}`);
  }
  const out = {} as Record<FeatureName, number>;
  FEATURE_SCHEMA.names.forEach((name, k) => {
    out[name] = features[k]!;
  });
  return out;
}

/**
 * The inverse of featuresToRecord (store → dataset). A missing or null value is NaN (missing);
 * a name the schema does not know is refused, since it means the record was written by another schema.
 */
export function recordToFeatures(record: Record<string, number | null>): Float64Array {
  const known = new Set<string>(FEATURE_SCHEMA.names);
  const unknown = Object.keys(record).filter((k) => !known.has(k));
  if (unknown.length) {
    throw new Error(`feature record has names not in schema v${FEATURE_SCHEMA.version}: ${unknown.join(', ')}`);
  }
  const v = new Float64Array(FEATURE_COUNT);
  FEATURE_SCHEMA.names.forEach((name, k) => {
    const x = record[name];
    v[k] = typeof x === 'number' ? x : NaN;
  });
  return v;
}
