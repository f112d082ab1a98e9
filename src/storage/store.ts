// The store every mode writes to: PGlite (embedded default), PostgreSQL (DATABASE_URL) or
// Supabase (REST). Rows carry client-generated UUIDs so a replayed write is an upsert.
import type { Direction, ExitReason, FactorPoints, SignalFate } from '../../engine/types.js';

export interface TradeRecord {
  id: string;
  symbol: string;
  direction: Direction;
  entry_price: number;
  entry_time: Date;
  entry_order_type: 'market' | 'limit';
  exit_price: number | null;
  exit_time: Date | null;
  exit_reason: ExitReason | null;
  leverage: number;
  position_size: number;
  take_profit_price: number;
  stop_loss_price: number;
  pnl_usd: number | null;
  pnl_percent: number | null;
  fees_usd: number | null;
  funding_usd: number | null;
  confidence_score: number;
  ml_probability: number | null;
  htf_bias: string | null;
  had_order_block: boolean;
  had_fvg: boolean;
  had_liquidity_sweep: boolean;
  mtf_rsi: number | null;
  market_structure: string | null;
  duration_minutes: number | null;
  max_drawdown_percent: number | null;
  max_profit_percent: number | null;
  /** 'backtest', 'replay', 'paper', 'testnet', 'demo', 'live' */
  source: string;
  signal_id: string | null;
}

export interface SignalRecord {
  id: string;
  created_at: Date;
  symbol: string;
  direction: Direction;
  confidence_score: number;
  ml_probability: number | null;
  was_executed: boolean;
  trade_id: string | null;
  skip_reason: Exclude<SignalFate, 'executed'> | null;
  factors: FactorPoints[];
  entry_price: number;
  take_profit_price: number;
  stop_loss_price: number;
  leverage: number;
  btc_price: number | null;
  btc_change_1h: number | null;
  market_volatility: number | null;
  source: string;
}

export interface OrderRecord {
  id: string;
  order_link_id: string;
  trade_id: string | null;
  symbol: string;
  side: 'Buy' | 'Sell';
  order_type: 'limit' | 'market';
  purpose: 'entry' | 'exit' | 'stop';
  qty: number;
  price: number | null;
  reduce_only: boolean;
  /** 'intent' before sending, then the exchange's state. */
  status: 'intent' | 'new' | 'partially_filled' | 'filled' | 'cancelled' | 'rejected' | 'unknown';
  exchange_order_id: string | null;
  filled_qty: number;
  avg_price: number | null;
  created_at: Date;
  updated_at: Date;
}

export interface MlFeatureRecord {
  id: string;
  trade_id: string | null;
  signal_id: string | null;
  created_at: Date;
  schema_version: number;
  features: Record<string, number>;
  outcome: 'win' | 'loss' | null;
  pnl_percent: number | null;
}

export interface BotState {
  mode: 'auto' | 'approve';
  paused: boolean;
  /** UTC day (YYYY-MM-DD) for which new entries are locked by the daily-loss guard, or null. */
  daily_loss_lock: string | null;
  updated_at: Date;
}

export interface ApprovalRecord {
  id: string;
  signal_id: string;
  /** The signal as JSON so an approval survives a restart. */
  payload: unknown;
  status: 'pending' | 'approved' | 'rejected' | 'expired' | 'executed' | 'refused';
  decided_by: string | null;
  /** Platform message ids, to edit the alert when the outcome is known. */
  messages: { platform: 'telegram' | 'discord' | 'console'; chatId: string; messageId: string }[];
  expires_at: Date;
  created_at: Date;
  updated_at: Date;
}

export interface StoreInfo {
  kind: 'pglite' | 'postgres' | 'supabase';
  target: string;
  reachable: boolean;
  queueLength: number;
  error?: string;
}
