import { describe, expect, it } from 'vitest';
import { loadDataSources } from '../../src/data/load.js';
import { runBacktest, type BacktestResult } from '../../src/backtest/run.js';
import { buildSummary } from '../../src/backtest/summary.js';
import { buildRunConfig } from '../../src/config/overrides.js';
import { coinConfig } from '../../engine/params.js';
import { dataPath } from '../helpers/data.js';

const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'AVAXUSDT', 'DOGEUSDT'];
const FROM = Date.parse('2021-04-02T00:00:00Z');
const TO = Date.parse('2021-04-24T00:00:00Z');

function backtest(to = TO, set: string[] = []): { r: BacktestResult; summary: ReturnType<typeof buildSummary> } {
  const cfg = buildRunConfig({ set });
  const series = loadDataSources([dataPath('binance-spot')], { symbols: SYMBOLS, from: FROM, to });
  const coins = Object.fromEntries(series.map((s) => [s.symbol, coinConfig(s.symbol, cfg.coins)]));
  const r = runBacktest({ series, params: cfg.params, coins });
  return { r, summary: buildSummary(r, cfg.params.initial_equity, { params: cfg.params, coins }) };
}

describe('backtest on real 1m data (five coins)', () => {
  const { r, summary } = backtest();

  it('trades at all, so the checks below check something', () => {
    expect(r.trades.length).toBeGreaterThan(5);
    expect(r.signals.length).toBeGreaterThan(r.trades.length);
  });

  it('sum of trade net PnL equals final minus initial equity', () => {
    const sum = r.trades.reduce((a, t) => a + t.netPnl, 0);
    expect(sum).toBeCloseTo(r.finalEquity - 10_000, 6);
  });

  it('each trade nets gross PnL minus fees and funding, and fees are charged', () => {
    for (const t of r.trades) {
      expect(t.netPnl).toBeCloseTo(t.grossPnl - t.fees - t.funding, 9);
      expect(t.fees).toBeGreaterThan(0);
      expect(t.exitTime).toBeGreaterThanOrEqual(t.entryTime);
    }
  });

  it('never holds two trades on one symbol at once', () => {
    for (const s of SYMBOLS) {
      const ts = r.trades.filter((t) => t.symbol === s).sort((a, b) => a.entryTime - b.entryTime);
      for (let i = 1; i < ts.length; i++) expect(ts[i].entryTime).toBeGreaterThanOrEqual(ts[i - 1].exitTime);
    }
  });

  it('never has more open trades than max_concurrent_trades', () => {
    const edges = r.trades.flatMap((t) => [[t.entryTime, 1], [t.exitTime, -1]] as const)
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let open = 0;
    for (const [, d] of edges) {
      open += d;
      expect(open).toBeLessThanOrEqual(3);
    }
  });

  it('gives every signal one fate and links executed ones to a trade', () => {
    const ids = new Set(r.trades.map((t) => t.id));
    for (const s of r.signals) {
      if (s.fate === 'executed') expect(ids.has(s.tradeId!)).toBe(true);
      else expect(s.tradeId).toBeNull();
    }
    expect(new Set(r.signals.map((s) => s.signal.id)).size).toBe(r.signals.length);
  });

  it('enters only after the signal candle closed', () => {
    for (const t of r.trades) expect(t.entryTime).toBeGreaterThan(t.signal.time - 1);
  });

  it('is deterministic: the same input gives a byte-identical summary', () => {
    const again = backtest();
    expect(JSON.stringify(again.summary)).toBe(JSON.stringify(summary));
  });

  it('a shorter window gives the same trades for every trade closed inside it (no lookahead)', () => {
    const cut = Date.parse('2021-04-15T00:00:00Z');
    const short = backtest(cut);
    const key = (t: (typeof r.trades)[number]) => JSON.stringify({ ...t, signal: undefined });
    const inside = r.trades.filter((t) => t.exitTime <= cut && t.exitReason !== 'end_of_data').map(key);
    const shortInside = short.r.trades.filter((t) => t.exitReason !== 'end_of_data').map(key);
    expect(inside.length).toBeGreaterThan(0);
    expect(shortInside).toEqual(inside);
  });

  it('summary buckets add up to the trade count', () => {
    expect(summary.perConfidence.reduce((a, b) => a + b.trades, 0)).toBe(summary.trades);
    expect(Object.values(summary.perCoin).reduce((a, c) => a + c.trades, 0)).toBe(summary.trades);
  });
});

describe('backtest on 5m data', () => {
  it('runs on the 5m base with the ltf raised to 5m for DOGE, and the identity holds', () => {
    const cfg = buildRunConfig({});
    const series = loadDataSources([dataPath('binance-spot')], { symbols: ['DOGEUSDT', 'BTCUSDT'], from: Date.parse('2024-01-01T00:00:00Z'), to: Date.parse('2024-03-01T00:00:00Z'), baseTf: '5m' });
    expect(series[0].tf).toBe('5m');
    const coins = Object.fromEntries(series.map((s) => [s.symbol, coinConfig(s.symbol, cfg.coins)]));
    const r = runBacktest({ series, params: cfg.params, coins });
    expect(r.warnings.some((w) => w.includes('DOGEUSDT') && w.includes('5m'))).toBe(true);
    expect(r.trades.length).toBeGreaterThan(0);
    expect(r.trades.reduce((a, t) => a + t.netPnl, 0)).toBeCloseTo(r.finalEquity - cfg.params.initial_equity, 6);
  });
});
