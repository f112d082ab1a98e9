// Maps engine results onto store rows (UUIDs derived from engine ids so a replayed write upserts).
import { createHash } from 'node:crypto';
import type { TradeResult } from '../../engine/session.js';
import type { Signal, SignalFate } from '../../engine/types.js';
import type { SignalRecord, TradeRecord } from '../storage/store.js';

/**
 * A stable UUID (v5-shaped) from an engine id, so the same trade or signal is always the same row.
 * `run` (a backtest's fingerprint, backtestRunId) keeps the rows of backtests with different configs
 * apart; without it the id is the one the runtime has always used.
 */
export function uuidFor(kind: string, id: string, source: string, run?: string): string {
  const scope = run === undefined ? source : `${source}@${run}`;
  const h = createHash('sha1').update(`${scope}:${kind}:${id}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function signalRecord(s: Signal, fate: SignalFate | null, tradeId: string | null, source: string): SignalRecord {
  return {
    id: uuidFor('signal', s.id, source),
    created_at: new Date(s.time),
    symbol: s.symbol,
    direction: s.direction,
    confidence_score: s.confidence,
    ml_probability: s.mlProbability,
    was_executed: fate === 'executed',
    trade_id: tradeId ? uuidFor('trade', tradeId, source) : null,
    skip_reason: fate && fate !== 'executed' ? fate : null,
    factors: s.factors,
    entry_price: s.price,
    take_profit_price: s.targets.takeProfit,
    stop_loss_price: s.targets.stopLoss,
    leverage: s.targets.leverage,
    btc_price: null,
    btc_change_1h: null,
    market_volatility: s.price > 0 ? s.atr / s.price : null,
    source,
  };
}

const has = (s: Signal, f: string) => s.factors.some((x) => x.factor === f);

export function openTradeRecord(o: { tradeId: string; signal: Signal; price: number; qty: number; leverage: number; time: number; orderType: 'limit' | 'market' }, source: string): TradeRecord {
  const s = o.signal;
  return {
    id: uuidFor('trade', o.tradeId, source), symbol: s.symbol, direction: s.direction, entry_price: o.price,
    entry_time: new Date(o.time), entry_order_type: o.orderType, exit_price: null, exit_time: null, exit_reason: null,
    leverage: o.leverage, position_size: o.qty, take_profit_price: s.targets.takeProfit, stop_loss_price: s.targets.stopLoss,
    pnl_usd: null, pnl_percent: null, fees_usd: null, funding_usd: null, confidence_score: s.confidence,
    ml_probability: s.mlProbability, htf_bias: s.snapshot.htf_bias, had_order_block: has(s, 'order_block'), had_fvg: has(s, 'fvg'),
    had_liquidity_sweep: has(s, 'sweep'), mtf_rsi: Number.isFinite(s.snapshot.mtf_rsi) ? round(s.snapshot.mtf_rsi, 2) : null,
    market_structure: s.snapshot.market_structure, duration_minutes: null, max_drawdown_percent: null, max_profit_percent: null,
    source, signal_id: uuidFor('signal', s.id, source),
  };
}

export function closedTradeRecord(t: TradeResult, source: string): TradeRecord {
  return {
    ...openTradeRecord({ tradeId: t.id, signal: t.signal, price: t.entryPrice, qty: t.qty, leverage: t.leverage, time: t.entryTime, orderType: t.entryOrderType === 'limit' ? 'limit' : 'market' }, source),
    exit_price: t.exitPrice, exit_time: new Date(t.exitTime), exit_reason: t.exitReason, pnl_usd: t.netPnl,
    pnl_percent: round(t.pnlPercent, 4), fees_usd: t.fees, funding_usd: t.funding, duration_minutes: t.durationMinutes,
    max_drawdown_percent: round(t.maePercent, 4), max_profit_percent: round(t.mfePercent, 4), stop_loss_price: t.initialStop,
  };
}

function round(x: number, d: number): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}
