// Column lists and row ↔ record conversion shared by every store. Drivers disagree on types
// (pg: numeric and bigint → string; PGlite: numeric → string; PostgREST: timestamps → ISO
// strings), so every value read is normalised here: numbers to JS numbers, times to Date.
import type {
  ApprovalRecord, BotState, CoinPerformanceRow, ConfidenceBucketRow, DailyStatsRow, FactorPerformanceRow,
  MlFeatureRecord, OrderRecord, SignalRecord, TradeRecord,
} from './store.js';

export const TRADE_COLUMNS = [
  'id', 'symbol', 'direction', 'entry_price', 'entry_time', 'entry_order_type', 'exit_price', 'exit_time',
  'exit_reason', 'leverage', 'position_size', 'take_profit_price', 'stop_loss_price', 'pnl_usd', 'pnl_percent',
  'fees_usd', 'funding_usd', 'confidence_score', 'ml_probability', 'htf_bias', 'had_order_block', 'had_fvg',
  'had_liquidity_sweep', 'mtf_rsi', 'market_structure', 'duration_minutes', 'max_drawdown_percent',
  'max_profit_percent', 'source', 'signal_id', 'run_id',
] as const satisfies readonly (keyof TradeRecord)[];

export const SIGNAL_COLUMNS = [
  'id', 'created_at', 'symbol', 'direction', 'confidence_score', 'ml_probability', 'was_executed', 'trade_id',
  'skip_reason', 'factors', 'entry_price', 'take_profit_price', 'stop_loss_price', 'leverage', 'btc_price',
  'btc_change_1h', 'market_volatility', 'source', 'run_id',
] as const satisfies readonly (keyof SignalRecord)[];

export const ORDER_COLUMNS = [
  'id', 'order_link_id', 'trade_id', 'symbol', 'side', 'order_type', 'purpose', 'qty', 'price', 'reduce_only',
  'status', 'exchange_order_id', 'filled_qty', 'avg_price', 'created_at', 'updated_at',
] as const satisfies readonly (keyof OrderRecord)[];

export const ML_COLUMNS = [
  'id', 'trade_id', 'signal_id', 'created_at', 'schema_version', 'features', 'outcome', 'pnl_percent', 'source', 'run_id',
] as const satisfies readonly (keyof MlFeatureRecord)[];

export const APPROVAL_COLUMNS = [
  'id', 'signal_id', 'payload', 'status', 'decided_by', 'messages', 'expires_at', 'created_at', 'updated_at',
] as const satisfies readonly (keyof ApprovalRecord)[];

/** Columns stored as jsonb: serialised to a JSON string for SQL drivers (pg would turn an array into a PG array). */
export const JSON_COLUMNS = new Set(['factors', 'features', 'payload', 'messages']);

export type Row = Record<string, unknown>;

/**
 * The column's own default for a value a record does not carry: ml_features writes queued in the
 * journal before sql/006 have no source, and an explicit NULL would break its NOT NULL.
 */
const COLUMN_DEFAULTS: Record<string, unknown> = { source: 'live' };
const valueOf = (r: Row, c: string): unknown => (r[c] === undefined ? COLUMN_DEFAULTS[c] ?? null : r[c]);

/** SQLSTATE 22023 (invalid parameter value): the journal sets such a write aside instead of retrying it. */
export function notFinite(column: string, v: number): Error {
  return Object.assign(new Error(`${column}: ${v} is not a finite number`), { code: '22023' });
}

/** The first top-level field of a record (or of any record in an array) that is NaN or ±Infinity. */
export function nonFiniteField(args: unknown): string | null {
  for (const r of Array.isArray(args) ? args : [args]) {
    if (!r || typeof r !== 'object') continue;
    for (const [k, v] of Object.entries(r)) if (typeof v === 'number' && !Number.isFinite(v)) return `${k}=${v}`;
  }
  return null;
}

/** A record as the values of `columns`, ready for a parameterised statement. */
export function toParams(rec: object, columns: readonly string[]): unknown[] {
  const r = rec as Row;
  return columns.map((c) => {
    if (r[c] === undefined) return valueOf(r, c);
    const v = r[c];
    if (JSON_COLUMNS.has(c)) return JSON.stringify(v);
    if (typeof v === 'number' && !Number.isFinite(v)) throw notFinite(c, v);
    return v;
  });
}

/** A record as a JSON-able object for PostgREST (Dates become ISO strings through JSON). */
export function toJsonRow(rec: object, columns: readonly string[]): Row {
  const r = rec as Row;
  const out: Row = {};
  for (const c of columns) {
    const v = valueOf(r, c);
    if (typeof v === 'number' && !Number.isFinite(v)) throw notFinite(c, v);
    out[c] = v;
  }
  return out;
}

export function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    if (Number.isFinite(n)) return n;
  }
  throw new Error(`expected a number from the database, got ${JSON.stringify(v)}`);
}
export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));

export function date(v: unknown): Date {
  if (v instanceof Date) return v;
  if (typeof v === 'string' || typeof v === 'number') {
    const d = new Date(v);
    if (!Number.isNaN(d.getTime())) return d;
  }
  throw new Error(`expected a timestamp from the database, got ${JSON.stringify(v)}`);
}
export const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : date(v));

/** A SQL `date` as YYYY-MM-DD (drivers may hand back a Date at UTC midnight). */
export function day(v: unknown): string {
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v)) return v.slice(0, 10);
  throw new Error(`expected a date from the database, got ${JSON.stringify(v)}`);
}
const dayOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : day(v));

const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));
const str = (v: unknown): string => String(v);
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const bool = (v: unknown): boolean => v === true || v === 't' || v === 'true';
const boolOrFalse = (v: unknown): boolean => (v === null || v === undefined ? false : bool(v));
/** `{ run_id }` for a backtest run's row, nothing for the runtime's (their records carry no run_id). */
const run = (r: Row): { run_id?: string } => (r.run_id === null || r.run_id === undefined ? {} : { run_id: String(r.run_id) });

export function toTrade(r: Row): TradeRecord {
  return {
    id: str(r.id),
    symbol: str(r.symbol),
    direction: r.direction as TradeRecord['direction'],
    entry_price: num(r.entry_price),
    entry_time: date(r.entry_time),
    entry_order_type: r.entry_order_type as TradeRecord['entry_order_type'],
    exit_price: numOrNull(r.exit_price),
    exit_time: dateOrNull(r.exit_time),
    exit_reason: r.exit_reason as TradeRecord['exit_reason'],
    leverage: num(r.leverage),
    position_size: num(r.position_size),
    take_profit_price: num(r.take_profit_price),
    stop_loss_price: num(r.stop_loss_price),
    pnl_usd: numOrNull(r.pnl_usd),
    pnl_percent: numOrNull(r.pnl_percent),
    fees_usd: numOrNull(r.fees_usd),
    funding_usd: numOrNull(r.funding_usd),
    confidence_score: num(r.confidence_score),
    ml_probability: numOrNull(r.ml_probability),
    htf_bias: strOrNull(r.htf_bias),
    had_order_block: boolOrFalse(r.had_order_block),
    had_fvg: boolOrFalse(r.had_fvg),
    had_liquidity_sweep: boolOrFalse(r.had_liquidity_sweep),
    mtf_rsi: numOrNull(r.mtf_rsi),
    market_structure: strOrNull(r.market_structure),
    duration_minutes: numOrNull(r.duration_minutes),
    max_drawdown_percent: numOrNull(r.max_drawdown_percent),
    max_profit_percent: numOrNull(r.max_profit_percent),
    source: str(r.source),
    signal_id: strOrNull(r.signal_id),
    ...run(r),
  };
}

export function toSignal(r: Row): SignalRecord {
  return {
    id: str(r.id),
    created_at: date(r.created_at),
    symbol: str(r.symbol),
    direction: r.direction as SignalRecord['direction'],
    confidence_score: num(r.confidence_score),
    ml_probability: numOrNull(r.ml_probability),
    was_executed: bool(r.was_executed),
    trade_id: strOrNull(r.trade_id),
    skip_reason: r.skip_reason as SignalRecord['skip_reason'],
    factors: json(r.factors),
    entry_price: num(r.entry_price),
    take_profit_price: num(r.take_profit_price),
    stop_loss_price: num(r.stop_loss_price),
    leverage: num(r.leverage),
    btc_price: numOrNull(r.btc_price),
    btc_change_1h: numOrNull(r.btc_change_1h),
    market_volatility: numOrNull(r.market_volatility),
    source: str(r.source),
    ...run(r),
  };
}

export function toOrder(r: Row): OrderRecord {
  return {
    id: str(r.id),
    order_link_id: str(r.order_link_id),
    trade_id: strOrNull(r.trade_id),
    symbol: str(r.symbol),
    side: r.side as OrderRecord['side'],
    order_type: r.order_type as OrderRecord['order_type'],
    purpose: r.purpose as OrderRecord['purpose'],
    qty: num(r.qty),
    price: numOrNull(r.price),
    reduce_only: bool(r.reduce_only),
    status: r.status as OrderRecord['status'],
    exchange_order_id: strOrNull(r.exchange_order_id),
    filled_qty: num(r.filled_qty),
    avg_price: numOrNull(r.avg_price),
    created_at: date(r.created_at),
    updated_at: date(r.updated_at),
  };
}

export function toMlFeatures(r: Row): MlFeatureRecord {
  return {
    id: str(r.id),
    trade_id: strOrNull(r.trade_id),
    signal_id: strOrNull(r.signal_id),
    created_at: date(r.created_at),
    schema_version: num(r.schema_version),
    features: json(r.features),
    outcome: r.outcome as MlFeatureRecord['outcome'],
    pnl_percent: numOrNull(r.pnl_percent),
    source: str(r.source ?? 'live'),
    ...run(r),
  };
}

export function toBotState(r: Row): BotState {
  return {
    mode: r.mode as BotState['mode'],
    paused: bool(r.paused),
    daily_loss_lock: dayOrNull(r.daily_loss_lock),
    updated_at: date(r.updated_at),
  };
}

export function toApproval(r: Row): ApprovalRecord {
  return {
    id: str(r.id),
    signal_id: str(r.signal_id),
    payload: json(r.payload),
    status: r.status as ApprovalRecord['status'],
    decided_by: strOrNull(r.decided_by),
    messages: json(r.messages),
    expires_at: date(r.expires_at),
    created_at: date(r.created_at),
    updated_at: date(r.updated_at),
  };
}

export function toDailyStats(r: Row): DailyStatsRow {
  return {
    date: day(r.date),
    source: str(r.source),
    total_trades: num(r.total_trades),
    winning_trades: num(r.winning_trades),
    losing_trades: num(r.losing_trades),
    win_rate: numOrNull(r.win_rate),
    total_pnl_usd: num(r.total_pnl_usd),
    total_pnl_percent: num(r.total_pnl_percent),
    best_trade_pnl: numOrNull(r.best_trade_pnl),
    worst_trade_pnl: numOrNull(r.worst_trade_pnl),
    avg_confidence: numOrNull(r.avg_confidence),
    avg_duration_minutes: numOrNull(r.avg_duration_minutes),
    signals_generated: num(r.signals_generated),
    signals_executed: num(r.signals_executed),
    ...run(r),
  };
}

export function toConfidenceBucket(r: Row): ConfidenceBucketRow {
  return {
    source: str(r.source),
    confidence_bucket: r.confidence_bucket as ConfidenceBucketRow['confidence_bucket'],
    bucket_min: num(r.bucket_min),
    total_trades: num(r.total_trades),
    wins: num(r.wins),
    win_rate: numOrNull(r.win_rate),
    avg_pnl: numOrNull(r.avg_pnl),
    ...run(r),
  };
}

export function toFactorPerformance(r: Row): FactorPerformanceRow {
  return {
    source: str(r.source),
    factor: r.factor as FactorPerformanceRow['factor'],
    trades_with: num(r.trades_with),
    trades_without: num(r.trades_without),
    win_rate_with: numOrNull(r.win_rate_with),
    win_rate_without: numOrNull(r.win_rate_without),
    avg_pnl_with: numOrNull(r.avg_pnl_with),
    avg_pnl_without: numOrNull(r.avg_pnl_without),
    ...run(r),
  };
}

export function toCoinPerformance(r: Row): CoinPerformanceRow {
  return {
    source: str(r.source),
    symbol: str(r.symbol),
    total_trades: num(r.total_trades),
    win_rate: numOrNull(r.win_rate),
    avg_pnl_percent: numOrNull(r.avg_pnl_percent),
    total_pnl_usd: num(r.total_pnl_usd),
    profit_factor: numOrNull(r.profit_factor),
    best_session: strOrNull(r.best_session),
    ...run(r),
  };
}

/** Order states after which nothing more happens on the exchange. */
export const FINAL_ORDER_STATES = ['filled', 'cancelled', 'rejected'] as const;
