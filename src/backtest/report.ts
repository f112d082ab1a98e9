// report.html: one self-contained file that opens offline — per-symbol candles with order blocks,
// FVGs and sweeps drawn, entries and exits marked, the equity curve and the summary tables.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Aggregator } from '../../engine/aggregate.js';
import { TF_MS, type Timeframe } from '../../engine/timeframe.js';
import type { CandleSeries } from '../../engine/types.js';
import type { BacktestResult } from './run.js';

const require = createRequire(import.meta.url);

function chartLibrary(): string {
  const pkgDir = dirname(require.resolve('lightweight-charts/package.json'));
  return readFileSync(join(pkgDir, 'dist', 'lightweight-charts.standalone.production.js'), 'utf8');
}

/** Candles for the chart: aggregated to `tf` so a month of 1m data stays light in the browser. */
function chartCandles(s: CandleSeries, tf: Timeframe) {
  const out: [number, number, number, number, number][] = [];
  const agg = s.tf === tf ? null : new Aggregator(s.tf, tf);
  for (let i = 0; i < s.length; i++) {
    const c = { ts: s.ts[i], open: s.open[i], high: s.high[i], low: s.low[i], close: s.close[i], volume: s.volume[i] };
    for (let k = agg ? agg.push(c) : c; k; k = agg ? agg.next() : null) out.push([k.ts / 1000, k.open, k.high, k.low, k.close]);
  }
  return out;
}

export function renderReport(r: BacktestResult, series: CandleSeries[], summary: Record<string, unknown>, chartTf: Timeframe = '15m'): string {
  const tf = TF_MS[chartTf] >= TF_MS[r.baseTf] ? chartTf : r.baseTf;
  const symbols = series.map((s) => {
    const recs = r.structures.get(s.symbol) ?? [];
    const zones: [number, number, number, number, string][] = [];
    const sweeps: [number, string, number][] = [];
    for (const x of recs) {
      if (x.type === 'order_block' && x.data.tf !== r.baseTf) {
        zones.push([x.data.confirmedAt / 1000, (x.data.mitigatedAt ?? r.to) / 1000, x.data.bottom, x.data.top, `ob_${x.data.side}`]);
      } else if (x.type === 'fvg') {
        zones.push([x.data.confirmedAt / 1000, (x.data.filledAt ?? r.to) / 1000, x.data.bottom, x.data.top, `fvg_${x.data.side}`]);
      } else if (x.type === 'sweep') {
        sweeps.push([x.data.ts / 1000, x.data.side, x.data.level]);
      }
    }
    const trades = r.trades.filter((t) => t.symbol === s.symbol).map((t) => ({
      side: t.direction, et: t.entryTime / 1000, ep: t.entryPrice, xt: t.exitTime / 1000, xp: t.exitPrice,
      reason: t.exitReason, pnl: Math.round(t.netPnl * 100) / 100, conf: t.confidence,
    }));
    return { symbol: s.symbol, candles: chartCandles(s, tf), zones, sweeps, trades };
  });
  const equity = r.equity.map((p) => [Math.floor(p.time / 1000), Math.round(p.equity * 100) / 100]);
  const data = { chartTf: tf, symbols, equity, summary };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SMC Ultra backtest ${r.symbols.join(', ')}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#0f1419;color:#d8dee9}
header{padding:12px 20px;background:#161b22;border-bottom:1px solid #30363d}
h1{font-size:18px;margin:0} h2{font-size:15px;margin:18px 0 8px}
main{padding:0 20px 30px} .kpis{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0}
.kpi{background:#161b22;border:1px solid #30363d;border-radius:6px;padding:8px 12px;min-width:110px}
.kpi b{display:block;font-size:17px} .kpi span{color:#8b949e;font-size:12px}
table{border-collapse:collapse;margin:6px 0 14px;font-variant-numeric:tabular-nums}
td,th{border:1px solid #30363d;padding:3px 8px;text-align:right} th{background:#161b22} td:first-child,th:first-child{text-align:left}
.pos{color:#3fb950}.neg{color:#f85149} #chart,#equity{height:460px;border:1px solid #30363d} #equity{height:240px}
select{background:#161b22;color:#d8dee9;border:1px solid #30363d;padding:4px} .legend{color:#8b949e;font-size:12px}
</style></head><body>
<header><h1>SMC Ultra backtest — ${r.symbols.join(', ')}</h1><div class="legend" id="window"></div></header>
<main>
<div class="kpis" id="kpis"></div>
<h2>Candles (${tf}) <select id="sym"></select></h2>
<div class="legend">green/red boxes: bullish/bearish order blocks · teal/orange boxes: bullish/bearish fair value gaps (until mitigated/filled) · ▲▼ sweeps · arrows: entries, circles: exits</div>
<div id="chart"></div>
<h2>Equity (marked to market, hourly)</h2><div id="equity"></div>
<div id="tables"></div>
</main>
<script>${chartLibrary()}</script>
<script>const DATA=${JSON.stringify(data)};</script>
<script>${CLIENT_JS}</script>
</body></html>
`;
}

const CLIENT_JS = String.raw`
const LC = LightweightCharts;
const S = DATA.summary;
const fmt = (v, d=2) => v === null || v === undefined ? '–' : typeof v === 'number' ? v.toLocaleString('en-US', {maximumFractionDigits: d}) : String(v);
const cls = (v) => typeof v === 'number' ? (v > 0 ? 'pos' : v < 0 ? 'neg' : '') : '';
document.getElementById('window').textContent = S.window.from + ' → ' + S.window.to + ' · base ' + S.window.baseTimeframe + ' · ' + S.window.baseCandles.toLocaleString() + ' candles';
const kpis = [['Net PnL', S.netPnl], ['Return %', S.returnPercent], ['Final equity', S.finalEquity], ['Trades', S.trades], ['Win rate %', S.winRate],
  ['Profit factor', S.profitFactor], ['Expectancy', S.expectancy], ['Max DD %', S.maxDrawdown.percent], ['Daily Sharpe', S.dailySharpe],
  ['Exposure %', S.exposurePercent], ['Fees', S.feesPaid], ['Funding', S.fundingPaid]];
document.getElementById('kpis').innerHTML = kpis.map(([k, v]) => '<div class="kpi"><b class="' + cls(k === 'Net PnL' || k === 'Return %' ? v : null) + '">' + fmt(v) + '</b><span>' + k + '</span></div>').join('');
function table(title, head, rows) {
  return '<h2>' + title + '</h2><table><tr>' + head.map(h => '<th>' + h + '</th>').join('') + '</tr>' +
    rows.map(r => '<tr>' + r.map(c => '<td class="' + cls(c) + '">' + fmt(c) + '</td>').join('') + '</tr>').join('') + '</table>';
}
let html = table('Per coin', ['symbol', 'trades', 'win rate %', 'net PnL', 'profit factor', 'avg PnL % (margin)', 'fees'],
  Object.entries(S.perCoin).map(([k, v]) => [k, v.trades, v.winRate, v.netPnl, v.profitFactor, v.avgPnlPercent, v.fees]));
html += table('Win rate by confidence', ['bucket', 'trades', 'wins', 'win rate %', 'avg PnL %', 'net PnL'], S.perConfidence.map(b => [b.bucket, b.trades, b.wins, b.winRate, b.avgPnlPercent, b.netPnl]));
html += table('Performance by factor', ['factor', 'trades with', 'avg PnL % with', 'win rate with', 'trades without', 'avg PnL % without', 'win rate without'],
  S.perFactor.map(f => [f.factor, f.tradesWith, f.avgPnlPercentWith, f.winRateWith, f.tradesWithout, f.avgPnlPercentWithout, f.winRateWithout]));
html += table('Exit reasons', ['reason', 'trades'], Object.entries(S.exitReasons));
html += table('Signals by fate', ['fate', 'signals'], Object.entries(S.signals.byFate));
document.getElementById('tables').innerHTML = html;

const theme = { layout: { background: { color: '#0f1419' }, textColor: '#d8dee9' }, grid: { vertLines: { color: '#1c2128' }, horzLines: { color: '#1c2128' } }, timeScale: { timeVisible: true } };
const chart = LC.createChart(document.getElementById('chart'), theme);
const candles = chart.addSeries(LC.CandlestickSeries, { upColor: '#3fb950', downColor: '#f85149', wickUpColor: '#3fb950', wickDownColor: '#f85149', borderVisible: false });
const COLORS = { ob_bullish: 'rgba(63,185,80,0.18)', ob_bearish: 'rgba(248,81,73,0.18)', fvg_bullish: 'rgba(56,189,248,0.16)', fvg_bearish: 'rgba(251,146,60,0.16)' };
// Zones drawn as rectangles from when they became known until mitigated/filled.
const zonePrimitive = {
  zones: [], chart: null, series: null,
  attached(p) { this.chart = p.chart; this.series = p.series; },
  updateAllViews() {},
  paneViews() {
    const self = this;
    return [{ renderer() { return { draw(target) { target.useBitmapCoordinateSpace(scope => {
      const ctx = scope.context, ts = self.chart.timeScale();
      const range = ts.getVisibleRange(); if (!range) return;
      for (const [t0, t1, lo, hi, kind] of self.zones) {
        if (t1 < range.from || t0 > range.to) continue;
        let x0 = ts.timeToCoordinate(Math.max(t0, range.from)), x1 = ts.timeToCoordinate(Math.min(t1, range.to));
        const y0 = self.series.priceToCoordinate(hi), y1 = self.series.priceToCoordinate(lo);
        if (x0 === null || x1 === null || y0 === null || y1 === null) continue;
        ctx.fillStyle = COLORS[kind];
        ctx.fillRect(x0 * scope.horizontalPixelRatio, y0 * scope.verticalPixelRatio, Math.max(1, (x1 - x0) * scope.horizontalPixelRatio), Math.max(1, (y1 - y0) * scope.verticalPixelRatio));
      }
    }); } }; } }];
  },
};
candles.attachPrimitive(zonePrimitive);
const markers = LC.createSeriesMarkers(candles, []);
const tfSec = { '1m': 60, '5m': 300, '15m': 900, '1h': 3600, '4h': 14400 }[DATA.chartTf];
const snap = (t) => Math.floor(t / tfSec) * tfSec;
const sel = document.getElementById('sym');
sel.innerHTML = DATA.symbols.map((s, i) => '<option value="' + i + '">' + s.symbol + ' (' + s.trades.length + ' trades)</option>').join('');
function show(i) {
  const s = DATA.symbols[i];
  candles.setData(s.candles.map(([time, open, high, low, close]) => ({ time, open, high, low, close })));
  zonePrimitive.zones = s.zones;
  const m = [];
  for (const [t, side, level] of s.sweeps) m.push({ time: snap(t), position: side === 'bullish' ? 'belowBar' : 'aboveBar', shape: side === 'bullish' ? 'arrowUp' : 'arrowDown', color: '#a371f7', size: 0.6 });
  for (const t of s.trades) {
    m.push({ time: snap(t.et), position: t.side === 'long' ? 'belowBar' : 'aboveBar', shape: t.side === 'long' ? 'arrowUp' : 'arrowDown', color: '#e3b341', text: t.side + ' ' + t.conf });
    m.push({ time: snap(t.xt), position: t.side === 'long' ? 'aboveBar' : 'belowBar', shape: 'circle', color: t.pnl >= 0 ? '#3fb950' : '#f85149', text: t.reason + ' ' + t.pnl });
  }
  m.sort((a, b) => a.time - b.time);
  markers.setMarkers(m);
  chart.timeScale().fitContent();
}
sel.onchange = () => show(+sel.value);
show(0);
const eq = LC.createChart(document.getElementById('equity'), theme);
eq.addSeries(LC.LineSeries, { color: '#58a6ff', lineWidth: 2 }).setData(DATA.equity.map(([time, value]) => ({ time, value })).filter((p, i, a) => i === 0 || p.time > a[i - 1].time));
eq.timeScale().fitContent();
`;
