// Domain types shared by every part of the engine and the runtime.
import type { Timeframe } from './timeframe.js';

export type Side = 'bullish' | 'bearish';
export type Bias = 'bullish' | 'bearish' | 'neutral';
export type Direction = 'long' | 'short';

/** One closed candle. `ts` is the open time in ms UTC; it is known at ts + tf. */
export interface Candle {
  ts: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** Columnar candles of one symbol and timeframe (what the loader produces). */
export interface CandleSeries {
  symbol: string;
  tf: Timeframe;
  length: number;
  ts: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  /** 1 where an aggregated candle was built from fewer base candles than its bucket holds (a gap). */
  partial?: Uint8Array;
}

// ---- detected structures; every one knows when it became known ----

/** `ts` fields are candle open times; `confirmedAt` / `*At` fields are the close time of the candle that revealed them. */
export interface SwingPoint {
  kind: 'high' | 'low';
  tf: Timeframe;
  ts: number;
  price: number;
  confirmedAt: number;
}

export interface StructureEvent {
  kind: 'bos' | 'choch';
  side: Side;
  tf: Timeframe;
  /** Candle whose close broke the level. */
  ts: number;
  level: number;
  /** Pivot candle of the swing that was broken. */
  swingTs: number;
  confirmedAt: number;
}

export interface OrderBlock {
  side: Side;
  tf: Timeframe;
  /** The OB candle (last opposite candle before the impulse). */
  ts: number;
  top: number;
  bottom: number;
  mid: number;
  impulseTs: number;
  confirmedAt: number;
  mitigatedAt: number | null;
}

export interface FairValueGap {
  side: Side;
  tf: Timeframe;
  /** Middle candle of the three. */
  ts: number;
  top: number;
  bottom: number;
  confirmedAt: number;
  filledAt: number | null;
}

export interface LiquiditySweep {
  side: Side;
  tf: Timeframe;
  ts: number;
  /** The swing level that was swept. */
  level: number;
  swingTs: number;
  confirmedAt: number;
}

export type StructureRecord =
  | { type: 'swing'; data: SwingPoint }
  | { type: 'structure'; data: StructureEvent }
  | { type: 'order_block'; data: OrderBlock }
  | { type: 'fvg'; data: FairValueGap }
  | { type: 'sweep'; data: LiquiditySweep };

// ---- factors, score, signal ----

export type FactorName =
  | 'htf_aligned'
  | 'htf_neutral'
  | 'sweep'
  | 'order_block'
  | 'fvg'
  | 'rsi_extreme'
  | 'structure';

export interface FactorSnapshot {
  htf_bias: Bias;
  near_bullish_ob: boolean;
  near_bearish_ob: boolean;
  in_bullish_fvg: boolean;
  in_bearish_fvg: boolean;
  bullish_sweep: boolean;
  bearish_sweep: boolean;
  /** RSI14 of the last closed mtf candle; NaN before warm-up. */
  mtf_rsi: number;
  market_structure: Bias;
}

export interface FactorPoints {
  factor: FactorName;
  points: number;
}

export interface DirectionScore {
  score: number;
  factors: FactorPoints[];
}

export interface ScoreResult {
  long: DirectionScore;
  short: DirectionScore;
}

export interface Targets {
  tpDistance: number;
  slDistance: number;
  takeProfit: number;
  stopLoss: number;
  leverage: number;
}

export interface Signal {
  /** Deterministic id: symbol, direction and the ltf candle's close time. */
  id: string;
  symbol: string;
  direction: Direction;
  /** Close time of the ltf candle that raised it (the moment it is known). */
  time: number;
  /** Reference price: close of that candle. */
  price: number;
  confidence: number;
  factors: FactorPoints[];
  snapshot: FactorSnapshot;
  /** ATR14 of the mtf, the unit of the targets. */
  atr: number;
  targets: Targets;
  /** Win probability 0-100 from the ML model; null without a model. */
  mlProbability: number | null;
}

export type SkipReason =
  | 'below_threshold'
  | 'correlated'
  | 'max_positions'
  | 'ml_filter'
  | 'rejected_by_user'
  | 'approval_expired'
  | 'paused'
  | 'entry_missed'
  | 'position_open'
  | 'insufficient_margin'
  | 'daily_loss_limit';

export type SignalFate = 'executed' | SkipReason;

export type ExitReason =
  | 'take_profit'
  | 'stop_loss'
  | 'break_even'
  | 'trailing_stop'
  | 'time_exit_profit'
  | 'time_exit_small_loss'
  | 'end_of_data'
  | 'manual'
  | 'liquidation'
  | 'reconciled';
