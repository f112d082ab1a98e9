// report.html's data: decoded by the page's own code (run here in a VM), the chart shows exactly the
// 15m candles of the run's data, every zone and sweep the run collected, and every trade.
import { describe, expect, it } from 'vitest';
import { runInNewContext } from 'node:vm';
import { loadDataSources } from '../../src/data/data-dir.js';
import { runBacktest } from '../../src/backtest/run.js';
import { renderReport } from '../../src/backtest/report.js';
import { buildSummary } from '../../src/backtest/summary.js';
import { buildRunConfig } from '../../src/config/overrides.js';
import { coinConfig } from '../../engine/params.js';
import { aggregateSeries } from '../../engine/aggregate.js';
import { dataPath } from '../helpers/data.js';

type Bar = { time: number; open: number; high: number; low: number; close: number };
type PageSymbol = { symbol: string; bars: Bar[]; boxes: [number, number, number, number, string][]; sweepMarks: [number, string, number][]; trades: { et: number; xt: number }[] };

/** DATA of the page, with each symbol run through the page's own `decoded` (as when it is shown). */
function pageData(html: string): { chartTf: string; symbols: PageSymbol[] } {
  const data = html.match(/<script>const DATA=(.*?);<\/script>/s);
  const client = html.match(/(const f64 = [^\n]*\n)(function decoded\(s\) \{.*?\n\})/s);
  if (!data || !client) throw new Error('report.html: DATA or the decoder not found');
  return runInNewContext(`const DATA = ${data[1]};\n${client[1]}${client[2]}\nDATA.symbols.forEach(decoded); DATA;`, { atob });
}

describe('report.html', () => {
  const cfg = buildRunConfig({});
  const series = loadDataSources([dataPath('binance-spot')], { symbols: ['BTCUSDT', 'DOGEUSDT'], to: Date.parse('2021-04-12T00:00:00Z') });
  const coins = Object.fromEntries(series.map((s) => [s.symbol, coinConfig(s.symbol, cfg.coins)]));
  const result = runBacktest({ series, params: cfg.params, coins, collectStructures: true });
  const html = renderReport(result, series, buildSummary(result, cfg.params.initial_equity, { params: cfg.params }));
  const page = pageData(html);

  it('draws the 15m candles of the data, exactly', () => {
    expect(page.chartTf).toBe('15m');
    for (const [i, s] of series.entries()) {
      const agg = aggregateSeries(s, '15m');
      const bars = page.symbols[i].bars;
      expect(page.symbols[i].symbol).toBe(s.symbol);
      expect(bars.length).toBe(agg.length);
      expect(bars.length).toBeGreaterThan(900);
      for (let k = 0; k < agg.length; k++) {
        expect(bars[k]).toEqual({ time: agg.ts[k] / 1000, open: agg.open[k], high: agg.high[k], low: agg.low[k], close: agg.close[k] });
      }
    }
  });

  it('draws every FVG, every order block above the base timeframe and every sweep the run collected', () => {
    for (const [i, s] of series.entries()) {
      const chart = result.structures.get(s.symbol)!;
      const want: [number, number, number, number, string][] = [];
      for (const x of chart.zones) {
        if (x.type === 'order_block' && x.data.tf !== result.baseTf) want.push([x.data.confirmedAt / 1000, (x.data.mitigatedAt ?? result.to) / 1000, x.data.bottom, x.data.top, `ob_${x.data.side}`]);
        else if (x.type === 'fvg') want.push([x.data.confirmedAt / 1000, (x.data.filledAt ?? result.to) / 1000, x.data.bottom, x.data.top, `fvg_${x.data.side}`]);
      }
      expect(want.length).toBeGreaterThan(10);
      expect(page.symbols[i].boxes).toEqual(want);
      expect(chart.sweepTs.length).toBeGreaterThan(10);
      expect(page.symbols[i].sweepMarks).toEqual(chart.sweepTs.map((t, k) => [t / 1000, chart.sweepSide[k], chart.sweepLevel[k]]));
      expect(page.symbols[i].trades.map((t) => [t.et, t.xt])).toEqual(
        result.trades.filter((t) => t.symbol === s.symbol).map((t) => [t.entryTime / 1000, t.exitTime / 1000]));
    }
  });
});
