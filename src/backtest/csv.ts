// trades.csv and signals.csv: one row per trade / per signal, RFC 4180 quoting.
import type { TradeResult } from '../../engine/session.js';
import type { SignalLog } from './run.js';

const q = (v: unknown): string => {
  const s = v === null || v === undefined ? '' : typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
const iso = (t: number) => new Date(t).toISOString();

export function tradesCsv(trades: TradeResult[]): string {
  const head = ['id', 'symbol', 'side', 'entry_time', 'entry_price', 'entry_order_type', 'exit_time', 'exit_price', 'exit_reason',
    'qty', 'leverage', 'take_profit', 'initial_stop', 'final_stop', 'fees', 'funding', 'gross_pnl', 'net_pnl', 'pnl_percent',
    'confidence', 'ml_probability', 'factors', 'htf_bias', 'mtf_rsi', 'market_structure', 'mfe_percent', 'mae_percent', 'duration_minutes', 'signal_id'];
  const rows = trades.map((t) => [t.id, t.symbol, t.direction, iso(t.entryTime), t.entryPrice, t.entryOrderType, iso(t.exitTime), t.exitPrice,
    t.exitReason, t.qty, t.leverage, t.takeProfit, t.initialStop, t.stopLoss, t.fees, t.funding, t.grossPnl, t.netPnl, t.pnlPercent,
    t.confidence, t.mlProbability, t.factors, t.htfBias, t.mtfRsi, t.marketStructure, t.mfePercent, t.maePercent, t.durationMinutes, t.signalId].map(q).join(','));
  return [head.join(','), ...rows].join('\n') + '\n';
}

export function signalsCsv(signals: SignalLog[]): string {
  const head = ['id', 'time', 'symbol', 'side', 'confidence', 'ml_probability', 'fate', 'trade_id', 'price', 'take_profit', 'stop_loss', 'leverage', 'factors'];
  const rows = signals.map(({ signal: s, fate, tradeId }) => [s.id, iso(s.time), s.symbol, s.direction, s.confidence, s.mlProbability, fate, tradeId,
    s.price, s.targets.takeProfit, s.targets.stopLoss, s.targets.leverage, s.factors.map((f) => `${f.factor}:${f.points}`).join(' ')].map(q).join(','));
  return [head.join(','), ...rows].join('\n') + '\n';
}
