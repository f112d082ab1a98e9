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
  /** The backtest run (backtestRunId: config + data window + symbols); absent/null for the runtime's rows. */
  run_id?: string | null;
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
  /** The backtest run; absent/null for the runtime's rows. */
  run_id?: string | null;
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
  /** Like trades.source: 'backtest', 'replay', 'paper', 'testnet', 'demo', 'live'. */
  source: string;
  /** The backtest run; absent/null for the runtime's rows. */
  run_id?: string | null;
}

/** Which ml_features rows to read; no filter reads all. */
export interface MlFeatureFilter {
  source?: string;
  run?: string;
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

// ---- analytics rows, computed in SQL so every store returns the same numbers ----

/** One UTC day of one source (`daily_stats_view`). Trades count on the day they closed. */
export interface DailyStatsRow {
  date: string;
  source: string;
  total_trades: number;
  winning_trades: number;
  losing_trades: number;
  /** winning / total × 100, 2 decimals; null without trades. */
  win_rate: number | null;
  total_pnl_usd: number;
  total_pnl_percent: number;
  best_trade_pnl: number | null;
  worst_trade_pnl: number | null;
  avg_confidence: number | null;
  avg_duration_minutes: number | null;
  signals_generated: number;
  signals_executed: number;
  /** Present on the rows of one backtest run (sql/006: the views group by source and run). */
  run_id?: string;
}

export type ConfidenceBucket = '95-100' | '90-94' | '85-89' | '80-84' | '<80';

/** `win_rate_by_confidence`: closed trades per confidence bucket, highest bucket first. */
export interface ConfidenceBucketRow {
  source: string;
  confidence_bucket: ConfidenceBucket;
  bucket_min: number;
  total_trades: number;
  wins: number;
  win_rate: number | null;
  avg_pnl: number | null;
  /** Present on the rows of one backtest run (sql/006: the views group by source and run). */
  run_id?: string;
}

/** `performance_by_factor`: closed trades with and without each factor. */
export interface FactorPerformanceRow {
  source: string;
  factor: 'Order Block' | 'FVG' | 'Liquidity Sweep';
  trades_with: number;
  trades_without: number;
  win_rate_with: number | null;
  win_rate_without: number | null;
  avg_pnl_with: number | null;
  avg_pnl_without: number | null;
  /** Present on the rows of one backtest run (sql/006: the views group by source and run). */
  run_id?: string;
}

/** `coin_performance_view`: closed trades per symbol. */
export interface CoinPerformanceRow {
  source: string;
  symbol: string;
  total_trades: number;
  win_rate: number | null;
  avg_pnl_percent: number | null;
  total_pnl_usd: number;
  /** gross profit / gross loss; null when there is no losing trade. */
  profit_factor: number | null;
  /** UTC session of entry with the best total PnL: 'asia' 00-08, 'london' 08-13, 'new_york' 13-21, 'late' 21-24. */
  best_session: string | null;
  /** Present on the rows of one backtest run (sql/006: the views group by source and run). */
  run_id?: string;
}

// ---- the store ----

/**
 * What the runtime and the backtester need from a database. A win is a trade with pnl_usd > 0
 * (pnl_usd is net of fees and funding). Days are UTC. Every write is an upsert by client UUID.
 */
export interface Store {
  readonly kind: StoreInfo['kind'];
  /** Applies pending `sql/` migrations; returns the names applied now (empty when up to date). */
  migrate(): Promise<string[]>;
  /** Names of the applied migrations, oldest first. */
  appliedMigrations(): Promise<string[]>;
  info(): Promise<StoreInfo>;

  upsertTrade(t: TradeRecord): Promise<void>;
  upsertSignal(s: SignalRecord): Promise<void>;
  upsertOrder(o: OrderRecord): Promise<void>;
  upsertMlFeatures(f: MlFeatureRecord): Promise<void>;
  /** Bulk upserts for backtests (multi-row statements, no journal needed). */
  upsertTrades(rows: TradeRecord[]): Promise<void>;
  upsertSignals(rows: SignalRecord[]): Promise<void>;
  upsertMlFeaturesBatch(rows: MlFeatureRecord[]): Promise<void>;

  orderByLinkId(orderLinkId: string): Promise<OrderRecord | null>;
  /** Orders not in a final state (intent, new, partially_filled, unknown), oldest first. */
  openOrders(): Promise<OrderRecord[]>;
  /** Trades without exit_time, oldest first; optionally of one source. */
  openTrades(source?: string): Promise<TradeRecord[]>;
  /** Trades whose entry_time is in [from, to), oldest first. */
  tradesBetween(from: Date, to: Date, source?: string): Promise<TradeRecord[]>;
  /** ml_features rows, oldest first; optionally of one source and/or one backtest run. */
  mlFeatures(filter?: MlFeatureFilter): Promise<MlFeatureRecord[]>;

  getBotState(): Promise<BotState | null>;
  setBotState(s: BotState): Promise<void>;

  upsertApproval(a: ApprovalRecord): Promise<void>;
  getApproval(id: string): Promise<ApprovalRecord | null>;
  pendingApprovals(): Promise<ApprovalRecord[]>;
  /** Atomic compare-and-set of an approval's status; true only for the caller that won. */
  decideApproval(id: string, fromStatus: ApprovalRecord['status'], toStatus: ApprovalRecord['status'], by: string): Promise<boolean>;

  /** One trading process per account: true when `holder` now holds the lease (database clock). */
  acquireLease(holder: string, ttlMs: number, account?: string): Promise<boolean>;
  /** Extends the lease; false when `holder` no longer holds it (stop trading). */
  renewLease(holder: string, ttlMs: number, account?: string): Promise<boolean>;
  releaseLease(holder: string, account?: string): Promise<void>;

  /** Daily statistics for UTC days from..to inclusive (YYYY-MM-DD); `run` narrows to one backtest run. */
  dailyStats(from: string, to: string, source?: string, run?: string): Promise<DailyStatsRow[]>;
  /** Stores one UTC day's numbers in the daily_stats table (SQL compute_daily_stats) and returns them. */
  computeDailyStats(day: string): Promise<DailyStatsRow[]>;
  coinPerformance(source?: string, run?: string): Promise<CoinPerformanceRow[]>;
  winRateByConfidence(source?: string, run?: string): Promise<ConfidenceBucketRow[]>;
  performanceByFactor(source?: string, run?: string): Promise<FactorPerformanceRow[]>;

  /** Writes waiting in the journal (0 for a store without one). */
  queueLength(): number;
  /** Resolves when every queued write has been applied; rejects after `timeoutMs` when given. */
  flush(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** The environment variables that choose and configure the store. */
export interface StoreEnv {
  DATA_DIR?: string;
  DATABASE_URL?: string;
  SUPABASE_URL?: string;
  SUPABASE_KEY?: string;
}
