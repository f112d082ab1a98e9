// Every tunable of the engine in one typed, documented place. Keys are snake_case so they
// match the briefing, the config files and `--set key=value` on the command line.
import type { Timeframe } from './timeframe.js';

export interface ScoreWeights {
  /** htf bias agrees with the direction. */
  htf_aligned: number;
  /** htf bias is neutral. */
  htf_neutral: number;
  /** a liquidity sweep in the direction within sweep_valid_bars. */
  sweep: number;
  /** price at a live order block of the direction. */
  order_block: number;
  /** price inside a live fair value gap of the direction. */
  fvg: number;
  /** mtf RSI oversold (long) / overbought (short). */
  rsi_extreme: number;
  /** mtf market structure agrees with the direction. */
  structure: number;
}

export interface EngineParams {
  // detectors
  /** Bars on each side of a pivot; a swing is confirmed this many bars after it. */
  swing_length: number;
  /** Candles before an impulse searched for the order-block candle. */
  ob_lookback: number;
  /** An impulse candle's body exceeds this many ATR14. */
  ob_impulse_atr: number;
  /** A candle's low/high counts as "at" an OB within this many ATR of the zone's half. */
  ob_proximity_atr: number;
  /** Minimum FVG size as a fraction of the closing price. */
  fvg_min_size: number;
  /** Ltf candles after a sweep during which it counts as a factor. */
  sweep_valid_bars: number;
  // indicators
  atr_period: number;
  rsi_period: number;
  ema_fast: number;
  ema_slow: number;
  volume_sma_period: number;
  rsi_oversold: number;
  rsi_overbought: number;
  weights: ScoreWeights;
  /** Candidates scoring at least this are logged as signals (those under the coin's min_confidence as below_threshold). */
  signal_log_min_score: number;
  // targets and sizing
  /** Leveraged profit % aimed for at the take-profit; sets the leverage. */
  target_profit_percent: number;
  /** Equity % lost if the stop is hit. */
  risk_per_trade_percent: number;
  /** Stop distance must be ≤ this × 1/leverage (liquidation guard). */
  liquidation_buffer: number;
  // selection
  max_concurrent_trades: number;
  max_correlation: number;
  /** 1h returns used for the correlation filter. */
  correlation_bars: number;
  // trade management
  /** Progress (fraction of target) that moves the stop to break-even and starts trailing. */
  breakeven_progress: number;
  /** Trailing distance as a fraction of the initial stop distance. */
  trailing_factor: number;
  /** Time exit closes a loser whose loss is below this fraction of the target. */
  time_exit_small_loss_fraction: number;
  // entry execution
  use_limit_entry: boolean;
  /** Limit entry this fraction better than the signal price. */
  limit_offset: number;
  limit_timeout_seconds: number;
  /** After the timeout, chase with a market order only if price moved less than this fraction of the target. */
  chase_max_target_fraction: number;
  // costs
  maker_fee: number;
  taker_fee: number;
  /** Adverse slippage on market fills, as a fraction of price (backtests and paper). */
  slippage: number;
  /** Funding rate charged every 8h on position notional (longs pay when positive); 0 disables. */
  funding_rate: number;
  // portfolio
  initial_equity: number;
}

export const DEFAULT_WEIGHTS: ScoreWeights = {
  htf_aligned: 25,
  htf_neutral: 10,
  sweep: 20,
  order_block: 20,
  fvg: 15,
  rsi_extreme: 10,
  structure: 10,
};

export const DEFAULT_PARAMS: EngineParams = {
  swing_length: 5,
  ob_lookback: 10,
  ob_impulse_atr: 1.5,
  ob_proximity_atr: 0.25,
  fvg_min_size: 0.001,
  sweep_valid_bars: 5,
  atr_period: 14,
  rsi_period: 14,
  ema_fast: 20,
  ema_slow: 50,
  volume_sma_period: 20,
  rsi_oversold: 30,
  rsi_overbought: 70,
  weights: DEFAULT_WEIGHTS,
  signal_log_min_score: 80,
  target_profit_percent: 10,
  risk_per_trade_percent: 1,
  liquidation_buffer: 0.5,
  max_concurrent_trades: 3,
  max_correlation: 0.8,
  correlation_bars: 100,
  breakeven_progress: 0.5,
  trailing_factor: 0.5,
  time_exit_small_loss_fraction: 0.3,
  use_limit_entry: true,
  limit_offset: 0.001,
  limit_timeout_seconds: 120,
  chase_max_target_fraction: 0.25,
  maker_fee: 0.0002,
  taker_fee: 0.00055,
  slippage: 0.0002,
  funding_rate: 0,
  initial_equity: 10_000,
};

export interface CoinConfig {
  symbol: string;
  name: string;
  category: 'large_cap' | 'mid_cap' | 'altcoin' | 'other';
  min_confidence: number;
  max_leverage: number;
  atr_multiplier_tp: number;
  atr_multiplier_sl: number;
  htf_timeframe: Timeframe;
  mtf_timeframe: Timeframe;
  ltf_timeframe: Timeframe;
  max_trade_duration_minutes: number;
  min_volume_usd: number;
}

/** The briefing's coin table (section 6). */
export const DEFAULT_COINS: Record<string, CoinConfig> = {
  BTCUSDT: {
    symbol: 'BTCUSDT', name: 'Bitcoin', category: 'large_cap', min_confidence: 90, max_leverage: 30,
    atr_multiplier_tp: 1.5, atr_multiplier_sl: 1.0, htf_timeframe: '4h', mtf_timeframe: '15m',
    ltf_timeframe: '5m', max_trade_duration_minutes: 120, min_volume_usd: 100_000_000,
  },
  ETHUSDT: {
    symbol: 'ETHUSDT', name: 'Ethereum', category: 'large_cap', min_confidence: 88, max_leverage: 35,
    atr_multiplier_tp: 1.8, atr_multiplier_sl: 1.0, htf_timeframe: '4h', mtf_timeframe: '15m',
    ltf_timeframe: '5m', max_trade_duration_minutes: 90, min_volume_usd: 50_000_000,
  },
  SOLUSDT: {
    symbol: 'SOLUSDT', name: 'Solana', category: 'mid_cap', min_confidence: 85, max_leverage: 25,
    atr_multiplier_tp: 2.0, atr_multiplier_sl: 1.2, htf_timeframe: '1h', mtf_timeframe: '15m',
    ltf_timeframe: '5m', max_trade_duration_minutes: 60, min_volume_usd: 20_000_000,
  },
  AVAXUSDT: {
    symbol: 'AVAXUSDT', name: 'Avalanche', category: 'mid_cap', min_confidence: 85, max_leverage: 25,
    atr_multiplier_tp: 2.0, atr_multiplier_sl: 1.2, htf_timeframe: '1h', mtf_timeframe: '15m',
    ltf_timeframe: '5m', max_trade_duration_minutes: 60, min_volume_usd: 10_000_000,
  },
  DOGEUSDT: {
    symbol: 'DOGEUSDT', name: 'Dogecoin', category: 'altcoin', min_confidence: 92, max_leverage: 15,
    atr_multiplier_tp: 2.5, atr_multiplier_sl: 1.5, htf_timeframe: '1h', mtf_timeframe: '5m',
    ltf_timeframe: '1m', max_trade_duration_minutes: 30, min_volume_usd: 5_000_000,
  },
};

/** Config for a symbol outside the table: mid-cap defaults, conservative threshold. */
export function defaultCoinConfig(symbol: string): CoinConfig {
  return {
    symbol, name: symbol.replace(/USDT$/, ''), category: 'other', min_confidence: 90, max_leverage: 20,
    atr_multiplier_tp: 2.0, atr_multiplier_sl: 1.2, htf_timeframe: '1h', mtf_timeframe: '15m',
    ltf_timeframe: '5m', max_trade_duration_minutes: 60, min_volume_usd: 10_000_000,
  };
}

export function coinConfig(symbol: string, overrides: Record<string, CoinConfig> = {}): CoinConfig {
  return overrides[symbol] ?? DEFAULT_COINS[symbol] ?? defaultCoinConfig(symbol);
}
