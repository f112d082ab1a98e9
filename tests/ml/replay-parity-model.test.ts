// With a model loaded, the live runtime (replay) and the backtest still make the same trades: the same
// features (observed before each candle), the same probabilities and the same ml_filter decisions.
// The runtime also writes every signal's ml_features row, with the outcome once its trade has closed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { loadDataSources } from '../../src/data/load.js';
import { runBacktest, type BacktestResult } from '../../src/backtest/run.js';
import { buildRunConfig } from '../../src/config/overrides.js';
import { coinConfig } from '../../engine/params.js';
import { SimulatedExchange } from '../../src/runtime/simulated-exchange.js';
import { ReplaySource } from '../../src/runtime/replay-source.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { uuidFor } from '../../src/runtime/records.js';
import { loadSessionModel, type WinModel } from '../../src/ml/model.js';
import { mlScoringFor } from '../../src/ml/signal-scoring.js';
import { featuresToRecord } from '../../engine/features.js';
import { PgliteStore } from '../../src/storage/pglite-store.js';
import type { TradeResult } from '../../engine/session.js';
import type { BotEvent } from '../../handlers/control.js';
import { silentLogger } from '../../src/log.js';
import { dataPath } from '../helpers/data.js';

const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'AVAXUSDT', 'DOGEUSDT'];
const MODEL = join(import.meta.dirname, 'fixtures/tiny-model/model.onnx');
const MIN = 50;

let model: WinModel;
let store: PgliteStore;
beforeAll(async () => {
  model = await loadSessionModel(MODEL, 'test');
  store = PgliteStore.fromInstance(await PGlite.create());
  await store.migrate();
});
afterAll(async () => {
  await model?.close();
  await store?.close();
});

describe('replay with a model equals the backtest with the model', () => {
  it('same trades, same probabilities, same ml_filter fates; ml_features rows for every signal', async () => {
    const cfg = buildRunConfig({ set: SYMBOLS.map((s) => `${s}.min_confidence=70`) });
    const series = loadDataSources([dataPath('binance-spot')], {
      symbols: SYMBOLS, from: Date.parse('2021-04-02T00:00:00Z'), to: Date.parse('2021-05-03T00:00:00Z'), // includes a signal (DOGE 05-02 17:03) whose recent win rates count a trade closed by a fill on its own candle
    });
    const coins = Object.fromEntries(series.map((s) => [s.symbol, coinConfig(s.symbol, cfg.coins)]));
    const baseTf = series[0]!.tf;
    const bt: BacktestResult = runBacktest({
      series, params: cfg.params, coins, mlMinConfidence: MIN, ml: mlScoringFor({ params: cfg.params, coins: () => coins, baseTf }, model),
    });
    const btFiltered = bt.signals.filter((s) => s.fate === 'ml_filter');
    expect(btFiltered.length).toBeGreaterThan(0);

    const exchange = new SimulatedExchange('replay', new ReplaySource(series, 0), cfg.params);
    const events: BotEvent[] = [];
    const rt = new Runtime({
      exchange, store, publisher: { publish: async (e) => { events.push(e); } }, logger: silentLogger,
      params: cfg.params, coins, symbols: series.map((s) => s.symbol), baseTf, tradingMode: 'replay',
      executionMode: 'auto', approvalTimeoutSeconds: 120, maxDailyLossPercent: 0, mlMinConfidence: MIN, backfill: false,
      ml: mlScoringFor({ params: cfg.params, coins: () => coins, baseTf }, model),
    });
    const replayed: TradeResult[] = [];
    rt.onTradeClosed = (t) => replayed.push(t);
    await rt.start();
    await exchange.finished();
    await rt.idle();
    await rt.stop();

    const closed = bt.trades.filter((t) => t.exitReason !== 'end_of_data');
    expect(closed.length).toBeGreaterThan(3);
    const strip = (t: TradeResult) => ({ ...t, signal: undefined });
    expect(replayed.map(strip)).toEqual(closed.map(strip));
    for (const t of replayed) expect(t.mlProbability).not.toBeNull();
    const alerts = events.filter((e) => e.type === 'signal');
    expect(alerts.length).toBeGreaterThan(0);
    for (const e of alerts) expect(e.type === 'signal' && e.modelLoaded).toBe(true);

    // every signal of the backtest (same ids) has its row with the same features; ml_filter ones too
    const rows = new Map((await store.mlFeatures()).map((r) => [r.signal_id, r]));
    expect(rows.size).toBe(bt.signals.length);
    for (const s of bt.signals) {
      const r = rows.get(s.signal.id)!;
      expect(r, s.signal.id).toBeDefined();
      expect(r.features).toEqual(JSON.parse(JSON.stringify(featuresToRecord(bt.features.get(s.signal.id)!)))); // JSONB: -0 reads back as 0
    }
    // outcomes on the closed trades, with their trade id
    for (const t of replayed) {
      const r = rows.get(t.signal.id)!;
      expect([r.outcome, r.trade_id]).toEqual([t.netPnl > 0 ? 'win' : 'loss', uuidFor('trade', t.id, 'replay')]);
      expect(r.pnl_percent).toBeCloseTo(t.pnlPercent, 9);
    }
    expect([...rows.values()].filter((r) => r.outcome !== null)).toHaveLength(replayed.length);
    const signals = await store.dailyStats('2021-04-01', '2021-05-31', 'replay');
    expect(signals.reduce((a, d) => a + d.signals_generated, 0)).toBe(bt.signals.length);
  });
});
