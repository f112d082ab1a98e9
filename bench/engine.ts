// Engine benchmarks on the five binance-spot 1m coins, in this process: indicators, and
// aggregation + detection + scoring over every timeframe. The whole backtest process is timed in
// backtest.ts.
import { resolve } from 'node:path';
import { loadDataSources } from '../src/data/load.js';
import { SymbolAnalyzer } from '../engine/analyzer.js';
import { Atr } from '../engine/indicators/atr.js';
import { Ema } from '../engine/indicators/ema.js';
import { Rsi } from '../engine/indicators/rsi.js';
import { DEFAULT_PARAMS, coinConfig } from '../engine/params.js';
import { benchRow, type BenchRow } from './types.js';

const DATA = resolve(import.meta.dirname, '..', '../shared/data/ohlcv/binance-spot');
const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'AVAXUSDT', 'DOGEUSDT'];

/** Fastest of three timed calls, in seconds (the first includes JIT warm-up; a shared machine disturbs some). */
function fastest(fn: () => void, runs = 3): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return best;
}

export async function benchEngine(): Promise<BenchRow[]> {
  const series = loadDataSources([DATA], { symbols: SYMBOLS, baseTf: '1m' });
  const total = series.reduce((n, s) => n + s.length, 0);
  const rows: BenchRow[] = [];

  rows.push(benchRow('indicators EMA+RSI+ATR (1m)', total, fastest(() => {
    for (const s of series) {
      const ema = new Ema(20), rsi = new Rsi(14), atr = new Atr(14);
      for (let i = 0; i < s.length; i++) { ema.update(s.close[i]); rsi.update(s.close[i]); atr.update(s.high[i], s.low[i], s.close[i]); }
    }
  })));
  rows.push(benchRow('aggregation + detection + scoring, all timeframes', total, fastest(() => {
    for (const s of series) {
      const a = new SymbolAnalyzer(s.symbol, coinConfig(s.symbol), DEFAULT_PARAMS, { baseTf: s.tf });
      for (let i = 0; i < s.length; i++) {
        const ev = a.onBaseCandle({ ts: s.ts[i], open: s.open[i], high: s.high[i], low: s.low[i], close: s.close[i], volume: s.volume[i] });
        if (ev) a.candidate(ev);
      }
    }
  })));
  return rows;
}
