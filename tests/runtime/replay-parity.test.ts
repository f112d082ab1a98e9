import { describe, expect, it } from 'vitest';
import { loadDataSources } from '../../src/data/load.js';
import { runBacktest } from '../../src/backtest/run.js';
import { buildRunConfig } from '../../src/config/overrides.js';
import { coinConfig } from '../../engine/params.js';
import { SimulatedExchange } from '../../src/runtime/simulated-exchange.js';
import { ReplaySource } from '../../src/runtime/replay-source.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { TradeResult } from '../../engine/session.js';
import type { BotEvent } from '../../handlers/control.js';
import { silentLogger } from '../../src/log.js';
import { dataPath } from '../helpers/data.js';

const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'AVAXUSDT', 'DOGEUSDT'];

describe('replay through the live runtime equals the backtest', () => {
  it.each([
    ['', []],
    [' with funding charged every 8 h', ['funding_rate=0.0001']],
  ])('opens and closes exactly the trades of the backtest on the same candles%s', async (_, set) => {
    const cfg = buildRunConfig({ set });
    const series = loadDataSources([dataPath('binance-spot')], {
      symbols: SYMBOLS, from: Date.parse('2021-04-02T00:00:00Z'), to: Date.parse('2021-04-20T00:00:00Z'),
    });
    const coins = Object.fromEntries(series.map((s) => [s.symbol, coinConfig(s.symbol, cfg.coins)]));
    const bt = runBacktest({ series, params: cfg.params, coins });

    const exchange = new SimulatedExchange('replay', new ReplaySource(series, 0), cfg.params);
    const events: BotEvent[] = [];
    const rt = new Runtime({
      exchange, store: null, publisher: { publish: async (e) => { events.push(e); } }, logger: silentLogger,
      params: cfg.params, coins, symbols: series.map((s) => s.symbol), baseTf: series[0].tf, tradingMode: 'replay',
      executionMode: 'auto', approvalTimeoutSeconds: 120, maxDailyLossPercent: 0, mlMinConfidence: 0, backfill: false,
    });
    const replayed: TradeResult[] = [];
    rt.onTradeClosed = (t) => replayed.push(t);
    await rt.start();
    await exchange.finished();
    await rt.idle();
    // The backtest closes what is still open at the end of the data; the replay keeps it open.
    const closed = bt.trades.filter((t) => t.exitReason !== 'end_of_data');
    expect(closed.length).toBeGreaterThan(3);
    if (cfg.params.funding_rate !== 0) expect(closed.some((t) => t.funding !== 0)).toBe(true);
    const strip = (t: TradeResult) => ({ ...t, signal: undefined });
    expect(replayed.map(strip)).toEqual(closed.map(strip));
    expect(events.filter((e) => e.type === 'trade_closed')).toHaveLength(replayed.length);
    expect(events.filter((e) => e.type === 'signal' && e.approval === null).length).toBe(bt.signals.filter((s) => s.fate === 'executed' || s.fate === 'entry_missed').length);
    await rt.stop();
  });
});
