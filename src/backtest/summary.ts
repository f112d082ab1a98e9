// The numbers a trader reads first. Pure functions of the backtest result, so two runs on the
// same input give a byte-identical summary.json.
import type { TradeResult } from '../../engine/session.js';
import type { BacktestResult, EquityPoint, SignalLog } from './run.js';

export interface TradeStats {
  trades: number;
  wins: number;
  losses: number;
  winRate: number | null;
  netPnl: number;
  grossProfit: number;
  grossLoss: number;
  profitFactor: number | null;
  expectancy: number | null;
  avgPnlPercent: number | null;
  fees: number;
  funding: number;
  avgDurationMinutes: number | null;
}

export function tradeStats(trades: TradeResult[]): TradeStats {
  let wins = 0, grossProfit = 0, grossLoss = 0, fees = 0, funding = 0, pct = 0, dur = 0, net = 0;
  for (const t of trades) {
    if (t.netPnl > 0) { wins++; grossProfit += t.netPnl; } else grossLoss -= t.netPnl;
    net += t.netPnl;
    fees += t.fees;
    funding += t.funding;
    pct += t.pnlPercent;
    dur += t.durationMinutes;
  }
  const n = trades.length;
  return {
    trades: n, wins, losses: n - wins,
    winRate: n ? round((wins / n) * 100, 2) : null,
    netPnl: round(net, 2), grossProfit: round(grossProfit, 2), grossLoss: round(grossLoss, 2),
    profitFactor: grossLoss > 0 ? round(grossProfit / grossLoss, 3) : null,
    expectancy: n ? round(net / n, 4) : null,
    avgPnlPercent: n ? round(pct / n, 4) : null,
    fees: round(fees, 2), funding: round(funding, 2),
    avgDurationMinutes: n ? round(dur / n, 1) : null,
  };
}

export function maxDrawdown(curve: EquityPoint[]): { percent: number; usd: number } {
  let peak = -Infinity, dd = 0, ddUsd = 0;
  for (const p of curve) {
    if (p.equity > peak) peak = p.equity;
    const d = peak > 0 ? (peak - p.equity) / peak : 0;
    if (d > dd) dd = d;
    if (peak - p.equity > ddUsd) ddUsd = peak - p.equity;
  }
  return { percent: round(dd * 100, 3), usd: round(ddUsd, 2) };
}

/** Annualised Sharpe of daily returns of the marked-to-market equity (365 trading days: crypto). */
export function dailySharpe(curve: EquityPoint[]): number | null {
  const closes = new Map<number, number>();
  for (const p of curve) closes.set(Math.floor((p.time - 1) / 86_400_000), p.equity);
  const days = [...closes.values()];
  if (days.length < 3) return null;
  const r: number[] = [];
  for (let i = 1; i < days.length; i++) r.push(days[i] / days[i - 1] - 1);
  const mean = r.reduce((a, b) => a + b, 0) / r.length;
  const sd = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / (r.length - 1));
  return sd > 0 ? round((mean / sd) * Math.sqrt(365), 3) : null;
}

export const CONFIDENCE_BUCKETS = ['95-100', '90-94', '85-89', '80-84', '<80'] as const;
export function confidenceBucket(c: number): (typeof CONFIDENCE_BUCKETS)[number] {
  return c >= 95 ? '95-100' : c >= 90 ? '90-94' : c >= 85 ? '85-89' : c >= 80 ? '80-84' : '<80';
}

const FACTORS = [
  ['order_block', 'Order Block'], ['fvg', 'FVG'], ['sweep', 'Liquidity Sweep'],
  ['htf_aligned', 'HTF aligned'], ['rsi_extreme', 'RSI extreme'], ['structure', 'Market structure'],
] as const;

/** What the ML model did in a backtest (summary.json `ml`). */
export interface MlSummary {
  /** The model's one-line description, or the no-model text. */
  model: string;
  loaded: boolean;
  /** ML_MIN_CONFIDENCE used (0 = the model ranks but filters nothing). */
  minConfidence: number;
  /** Signals that got a probability. */
  scored: number;
  /** Signals dropped by the model (fate ml_filter). */
  filtered: number;
  /** Rows of the --dataset file (closed trades with features), when one was written. */
  datasetRows: number | null;
}

export function mlSummary(r: BacktestResult, m: { description: string; loaded: boolean; minConfidence: number; datasetRows: number | null }): MlSummary {
  return {
    model: m.description, loaded: m.loaded, minConfidence: m.minConfidence,
    scored: r.signals.filter((s) => s.signal.mlProbability !== null).length,
    filtered: r.signals.filter((s) => s.fate === 'ml_filter').length,
    datasetRows: m.datasetRows,
  };
}

export function buildSummary(r: BacktestResult, initialEquity: number, config: unknown, ml: MlSummary | null = null) {
  const all = tradeStats(r.trades);
  const perCoin: Record<string, TradeStats> = {};
  for (const s of r.symbols) perCoin[s] = tradeStats(r.trades.filter((t) => t.symbol === s));
  const perBucket = CONFIDENCE_BUCKETS.map((b) => {
    const ts = r.trades.filter((t) => confidenceBucket(t.confidence) === b);
    const st = tradeStats(ts);
    return { bucket: b, trades: st.trades, wins: st.wins, winRate: st.winRate, avgPnlPercent: st.avgPnlPercent, netPnl: st.netPnl };
  });
  const perFactor = FACTORS.map(([key, label]) => {
    const has = (t: TradeResult) => t.signal.factors.some((f) => f.factor === key);
    const w = tradeStats(r.trades.filter(has));
    const wo = tradeStats(r.trades.filter((t) => !has(t)));
    return {
      factor: label, key, tradesWith: w.trades, avgPnlPercentWith: w.avgPnlPercent, winRateWith: w.winRate,
      tradesWithout: wo.trades, avgPnlPercentWithout: wo.avgPnlPercent, winRateWithout: wo.winRate,
    };
  });
  const fates: Record<string, number> = {};
  for (const s of r.signals) fates[s.fate] = (fates[s.fate] ?? 0) + 1;
  const exitReasons: Record<string, number> = {};
  for (const t of r.trades) exitReasons[t.exitReason] = (exitReasons[t.exitReason] ?? 0) + 1;
  const exposed = r.equity.filter((p) => p.openTrades > 0).length;
  return {
    window: { from: new Date(r.from).toISOString(), to: new Date(r.to).toISOString(), baseTimeframe: r.baseTf, baseCandles: r.baseCandles, symbols: r.symbols },
    initialEquity: round(initialEquity, 2),
    finalEquity: round(r.finalEquity, 2),
    netPnl: round(r.finalEquity - initialEquity, 2),
    returnPercent: round(((r.finalEquity - initialEquity) / initialEquity) * 100, 3),
    trades: all.trades,
    winRate: all.winRate,
    profitFactor: all.profitFactor,
    expectancy: all.expectancy,
    maxDrawdown: maxDrawdown(r.equity),
    dailySharpe: dailySharpe(r.equity),
    exposurePercent: r.equity.length ? round((exposed / r.equity.length) * 100, 2) : 0,
    feesPaid: all.fees,
    fundingPaid: all.funding,
    avgDurationMinutes: all.avgDurationMinutes,
    exitReasons: sortKeys(exitReasons),
    signals: { total: r.signals.length, byFate: sortKeys(fates) },
    ml,
    perCoin,
    perConfidence: perBucket,
    perFactor,
    warnings: r.warnings,
    config,
  };
}

export function signalFateCounts(signals: SignalLog[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of signals) out[s.fate] = (out[s.fate] ?? 0) + 1;
  return sortKeys(out);
}

/** Keys are ASCII names (exit reasons, fates): plain code-point order (localeCompare's first call loads ICU's collator, ~5 ms). */
function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function round(x: number, d: number): number {
  const f = 10 ** d;
  const v = Math.round(x * f) / f;
  return Object.is(v, -0) ? 0 : v;
}
