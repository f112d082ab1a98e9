// The acceptance check of issue 4: a backtest written to a store gives, in the SQL views, the
// numbers of the backtest's own summary.json (same trades, computed independently).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGlite } from '@electric-sql/pglite';
import { loadDataSources } from '../../src/data/load.js';
import { runBacktest, type BacktestResult } from '../../src/backtest/run.js';
import { buildSummary } from '../../src/backtest/summary.js';
import { buildRunConfig } from '../../src/config/overrides.js';
import { coinConfig } from '../../engine/params.js';
import { backtestRunId, writeBacktestToStore } from '../../src/backtest/store-rows.js';
import { closedTradeRecord, signalRecord } from '../../src/runtime/records.js';
import { PgliteStore } from '../../src/storage/pglite-store.js';
import { dataPath } from '../helpers/data.js';

let store: PgliteStore;
let bt: BacktestResult;
let summary: ReturnType<typeof buildSummary>;
let series: ReturnType<typeof loadDataSources>;

/** A backtest of the candles under `set`, with its summary and run id. */
function backtest(set: string[]) {
  const cfg = buildRunConfig({ set });
  const coins = Object.fromEntries(series.map((s) => [s.symbol, coinConfig(s.symbol, cfg.coins)]));
  const result = runBacktest({ series, params: cfg.params, coins });
  const config = { params: cfg.params, coins, ml: null };
  return { result, summary: buildSummary(result, cfg.params.initial_equity, config), run: backtestRunId({ config, series }) };
}

beforeAll(async () => {
  series = loadDataSources([dataPath('binance-spot')], {
    symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'AVAXUSDT', 'DOGEUSDT'],
    from: Date.parse('2021-04-02T00:00:00Z'), to: Date.parse('2021-04-20T00:00:00Z'),
  });
  ({ result: bt, summary } = backtest([]));
  store = PgliteStore.fromInstance(await PGlite.create());
  await store.migrate();
  await store.upsertTrades(bt.trades.map((t) => closedTradeRecord(t, 'backtest')));
  await store.upsertSignals(bt.signals.map((s) => signalRecord(s.signal, s.fate, s.tradeId, 'backtest')));
});
afterAll(async () => { await store?.close(); });

const close = (a: number | null, b: number | null) => {
  if (a === null || b === null) return expect(a).toBe(b);
  // The store keeps pnl_percent at 4 decimals (records.ts), the summary averages the raw values.
  expect(Math.abs(a - b)).toBeLessThanOrEqual(1.5e-4);
};

describe('views on a stored backtest', () => {
  it('win_rate_by_confidence matches summary.perConfidence', async () => {
    expect(bt.trades.length).toBeGreaterThan(3);
    const view = await store.winRateByConfidence('backtest');
    const expected = summary.perConfidence.filter((b) => b.trades > 0);
    expect(view.map((v) => [v.confidence_bucket, v.total_trades, v.wins, v.win_rate]))
      .toEqual(expected.map((b) => [b.bucket, b.trades, b.wins, b.winRate]));
    view.forEach((v, i) => close(v.avg_pnl, expected[i].avgPnlPercent));
  });

  it('performance_by_factor matches summary.perFactor', async () => {
    const view = await store.performanceByFactor('backtest');
    for (const v of view) {
      const s = summary.perFactor.find((f) => f.factor === v.factor)!;
      expect([v.trades_with, v.trades_without, v.win_rate_with, v.win_rate_without])
        .toEqual([s.tradesWith, s.tradesWithout, s.winRateWith, s.winRateWithout]);
      close(v.avg_pnl_with, s.avgPnlPercentWith);
      close(v.avg_pnl_without, s.avgPnlPercentWithout);
    }
  });

  it('coin performance and daily stats add up to the summary', async () => {
    const coins = await store.coinPerformance('backtest');
    for (const c of coins) {
      const s = summary.perCoin[c.symbol];
      expect([c.total_trades, c.win_rate]).toEqual([s.trades, s.winRate]);
      expect(c.profit_factor === null ? null : Number(c.profit_factor.toFixed(3))).toBe(s.profitFactor);
    }
    const days = await store.dailyStats('2021-01-01', '2021-12-31', 'backtest');
    expect(days.reduce((a, d) => a + d.total_trades, 0)).toBe(summary.trades);
    expect(days.reduce((a, d) => a + d.signals_generated, 0)).toBe(summary.signals.total);
    expect(days.reduce((a, d) => a + d.total_pnl_usd, 0)).toBeCloseTo(bt.trades.reduce((a, t) => a + t.netPnl, 0), 6);
  });
});

describe('views on two stored backtest runs of different configs', () => {
  it('each run reads back its own summary.json numbers; together they are both runs', async () => {
    const runs = [backtest([]), backtest(['BTCUSDT.min_confidence=65', 'ETHUSDT.min_confidence=65'])];
    expect(runs[0]!.run).not.toBe(runs[1]!.run);
    expect(runs[1]!.result.trades.length).not.toBe(runs[0]!.result.trades.length);
    const two = PgliteStore.fromInstance(await PGlite.create());
    try {
      await two.migrate();
      for (const r of runs) await writeBacktestToStore(two, r.result, r.run);
      for (const r of runs) {
        const view = await two.winRateByConfidence('backtest', r.run);
        expect(view.map((v) => [v.confidence_bucket, v.total_trades, v.wins, v.win_rate]))
          .toEqual(r.summary.perConfidence.filter((b) => b.trades > 0).map((b) => [b.bucket, b.trades, b.wins, b.winRate]));
        const factors = await two.performanceByFactor('backtest', r.run);
        for (const v of factors) {
          const f = r.summary.perFactor.find((x) => x.factor === v.factor)!;
          expect([v.trades_with, v.trades_without, v.win_rate_with]).toEqual([f.tradesWith, f.tradesWithout, f.winRateWith]);
        }
        for (const c of await two.coinPerformance('backtest', r.run)) {
          expect([c.total_trades, c.win_rate]).toEqual([r.summary.perCoin[c.symbol].trades, r.summary.perCoin[c.symbol].winRate]);
        }
        const days = await two.dailyStats('2021-01-01', '2021-12-31', 'backtest', r.run);
        expect(days.reduce((a, d) => a + d.total_trades, 0)).toBe(r.summary.trades);
        expect(days.reduce((a, d) => a + d.signals_generated, 0)).toBe(r.summary.signals.total);
      }
      const all = await two.dailyStats('2021-01-01', '2021-12-31', 'backtest');
      expect(all.reduce((a, d) => a + d.total_trades, 0)).toBe(runs[0]!.summary.trades + runs[1]!.summary.trades);
    } finally {
      await two.close();
    }
  });
});
