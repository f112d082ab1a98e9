// Deterministic records for the storage tests, and the analytics recomputed in TypeScript so the
// SQL views can be checked against an independent implementation.
import { randomUUID } from 'node:crypto';
import type {
  ApprovalRecord, ConfidenceBucketRow, DailyStatsRow, FactorPerformanceRow, MlFeatureRecord, OrderRecord,
  SignalRecord, TradeRecord,
} from '../../src/storage/store.js';

/** mulberry32: a small seeded generator so fixtures are the same on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'AVAXUSDT', 'DOGEUSDT'];
const DAY = 86_400_000;

export function trade(over: Partial<TradeRecord> = {}): TradeRecord {
  return {
    id: randomUUID(), symbol: 'BTCUSDT', direction: 'long', entry_price: 43_250.5, entry_time: new Date('2026-03-02T10:15:00Z'),
    entry_order_type: 'limit', exit_price: null, exit_time: null, exit_reason: null, leverage: 10, position_size: 0.023,
    take_profit_price: 43_900.25, stop_loss_price: 42_980.125, pnl_usd: null, pnl_percent: null, fees_usd: null,
    funding_usd: null, confidence_score: 85, ml_probability: 61.5, htf_bias: 'bullish', had_order_block: true, had_fvg: false,
    had_liquidity_sweep: true, mtf_rsi: 28.41, market_structure: 'bullish', duration_minutes: null, max_drawdown_percent: null,
    max_profit_percent: null, source: 'paper', signal_id: null, ...over,
  };
}

export function signal(over: Partial<SignalRecord> = {}): SignalRecord {
  return {
    id: `BTCUSDT-long-${Math.floor(Math.random() * 1e12)}`, created_at: new Date('2026-03-02T10:15:00Z'), symbol: 'BTCUSDT',
    direction: 'long', confidence_score: 85, ml_probability: null, was_executed: false, trade_id: null, skip_reason: 'below_threshold',
    factors: [{ factor: 'htf_aligned', points: 25 }, { factor: 'sweep', points: 20 }], entry_price: 43_250.5,
    take_profit_price: 43_900.25, stop_loss_price: 42_980.125, leverage: 10, btc_price: 43_250.5, btc_change_1h: -0.35,
    market_volatility: 1.25, source: 'paper', ...over,
  };
}

export function order(over: Partial<OrderRecord> = {}): OrderRecord {
  const at = new Date('2026-03-02T10:15:00Z');
  return {
    id: randomUUID(), order_link_id: `smc-${randomUUID().slice(0, 18)}`, trade_id: null, symbol: 'BTCUSDT', side: 'Buy',
    order_type: 'limit', purpose: 'entry', qty: 0.023, price: 43_207.25, reduce_only: false, status: 'intent',
    exchange_order_id: null, filled_qty: 0, avg_price: null, created_at: at, updated_at: at, ...over,
  };
}

export function mlRow(over: Partial<MlFeatureRecord> = {}): MlFeatureRecord {
  return {
    id: randomUUID(), trade_id: null, signal_id: 'BTCUSDT-long-1', created_at: new Date('2026-03-02T10:15:00Z'), schema_version: 3,
    features: { confidence_score: 85, rsi: 28.41, atr_pct: 0.0123 }, outcome: null, pnl_percent: null, source: 'paper', ...over,
  };
}

export function approval(over: Partial<ApprovalRecord> = {}): ApprovalRecord {
  const at = new Date('2026-03-02T10:15:00Z');
  return {
    id: randomUUID(), signal_id: 'BTCUSDT-long-1', payload: { symbol: 'BTCUSDT', direction: 'long', nested: { atr: 123.5 } },
    status: 'pending', decided_by: null, messages: [{ platform: 'telegram', chatId: '-100123', messageId: '42' }],
    expires_at: new Date(at.getTime() + 120_000), created_at: at, updated_at: at, ...over,
  };
}

/** Closed trades over a few UTC days with every bucket, factor mix and sign of PnL; a few still open. */
export function tradeSet(source: string, n = 120, seed = 7): TradeRecord[] {
  const r = rng(seed);
  const start = Date.UTC(2026, 2, 1);
  const out: TradeRecord[] = [];
  for (let i = 0; i < n; i++) {
    const entry = start + Math.floor(r() * 5 * DAY);
    const dur = 5 + Math.floor(r() * 600);
    const open = i % 17 === 0;
    const pnlPct = Math.round((r() * 30 - 12) * 1e6) / 1e6;
    const pnlUsd = i % 23 === 0 ? 0 : Math.round(pnlPct * 7.3 * 1e6) / 1e6;
    out.push(trade({
      symbol: SYMBOLS[i % SYMBOLS.length], direction: r() < 0.5 ? 'long' : 'short', entry_time: new Date(entry),
      confidence_score: 60 + Math.floor(r() * 41), had_order_block: r() < 0.5, had_fvg: r() < 0.4,
      had_liquidity_sweep: i % 11 === 0 ? (null as unknown as boolean) : r() < 0.3,
      exit_time: open ? null : new Date(entry + dur * 60_000), exit_price: open ? null : 43_000 + r() * 1000,
      exit_reason: open ? null : pnlUsd > 0 ? 'take_profit' : 'stop_loss', pnl_usd: open ? null : pnlUsd,
      pnl_percent: open ? null : pnlPct, fees_usd: open ? null : 0.55, duration_minutes: open ? null : dur, source,
    }));
  }
  return out;
}

export function signalSet(source: string, trades: TradeRecord[]): SignalRecord[] {
  return trades.map((t, i) => signal({
    id: `${t.symbol}-${t.direction}-${t.entry_time.getTime()}-${i}`, created_at: new Date(t.entry_time.getTime() - 60_000 * (i % 3)),
    symbol: t.symbol, direction: t.direction, confidence_score: t.confidence_score, was_executed: i % 4 !== 0,
    trade_id: i % 4 !== 0 ? t.id : null, skip_reason: i % 4 !== 0 ? null : 'correlated', source,
  }));
}

// ---- the analytics, independently in TypeScript ----

/** PostgreSQL's ROUND(numeric, d): half away from zero. */
export function round(x: number, d: number): number {
  const f = 10 ** d;
  return (Math.sign(x) * Math.round(Math.abs(x) * f + 1e-9)) / f;
}
const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const rate = (wins: number, n: number) => (n ? round((wins * 100) / n, 2) : null);
const closed = (ts: TradeRecord[]) => ts.filter((t) => t.exit_time !== null);
const win = (t: TradeRecord) => (t.pnl_usd ?? 0) > 0;

export function tsWinRateByConfidence(ts: TradeRecord[], source: string): ConfidenceBucketRow[] {
  const buckets: [ConfidenceBucketRow['confidence_bucket'], number][] = [['95-100', 95], ['90-94', 90], ['85-89', 85], ['80-84', 80], ['<80', 0]];
  return buckets.flatMap(([name, min], i) => {
    const upper = i === 0 ? Infinity : buckets[i - 1][1];
    const g = closed(ts).filter((t) => t.confidence_score >= min && t.confidence_score < upper);
    if (!g.length) return [];
    const a = avg(g.map((t) => t.pnl_percent!));
    return [{ source, confidence_bucket: name, bucket_min: min, total_trades: g.length, wins: g.filter(win).length,
      win_rate: rate(g.filter(win).length, g.length), avg_pnl: a === null ? null : round(a, 4) }];
  });
}

export function tsPerformanceByFactor(ts: TradeRecord[], source: string): FactorPerformanceRow[] {
  const factors: [FactorPerformanceRow['factor'], (t: TradeRecord) => boolean][] = [
    ['Order Block', (t) => t.had_order_block === true], ['FVG', (t) => t.had_fvg === true], ['Liquidity Sweep', (t) => t.had_liquidity_sweep === true],
  ];
  const c = closed(ts);
  return factors.map(([factor, has]) => {
    const w = c.filter(has);
    const wo = c.filter((t) => !has(t));
    const aw = avg(w.map((t) => t.pnl_percent!));
    const awo = avg(wo.map((t) => t.pnl_percent!));
    return { source, factor, trades_with: w.length, trades_without: wo.length, win_rate_with: rate(w.filter(win).length, w.length),
      win_rate_without: rate(wo.filter(win).length, wo.length), avg_pnl_with: aw === null ? null : round(aw, 4),
      avg_pnl_without: awo === null ? null : round(awo, 4) };
  });
}

export function tsDailyStats(ts: TradeRecord[], sigs: SignalRecord[], source: string): DailyStatsRow[] {
  const days = new Set<string>();
  const dayOf = (d: Date) => d.toISOString().slice(0, 10);
  for (const t of closed(ts)) days.add(dayOf(t.exit_time!));
  for (const s of sigs) days.add(dayOf(s.created_at));
  return [...days].sort().map((date) => {
    const g = closed(ts).filter((t) => dayOf(t.exit_time!) === date);
    const sg = sigs.filter((s) => dayOf(s.created_at) === date);
    const pnl = g.map((t) => t.pnl_usd!);
    const conf = avg(g.map((t) => t.confidence_score));
    const dur = avg(g.map((t) => t.duration_minutes!));
    return {
      date, source, total_trades: g.length, winning_trades: g.filter(win).length, losing_trades: g.length - g.filter(win).length,
      win_rate: rate(g.filter(win).length, g.length), total_pnl_usd: pnl.reduce((a, b) => a + b, 0),
      total_pnl_percent: g.reduce((a, t) => a + t.pnl_percent!, 0), best_trade_pnl: pnl.length ? Math.max(...pnl) : null,
      worst_trade_pnl: pnl.length ? Math.min(...pnl) : null, avg_confidence: conf === null ? null : round(conf, 2),
      avg_duration_minutes: dur === null ? null : round(dur, 2), signals_generated: sg.length,
      signals_executed: sg.filter((s) => s.was_executed).length,
    };
  });
}
