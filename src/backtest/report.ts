// report.html: one self-contained file that opens offline — per-symbol candles with order blocks,
// FVGs and sweeps drawn, entries and exits marked, the equity curve and the summary tables.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { endianness } from 'node:os';
import { aggregateSeries } from '../../engine/aggregate.js';
import { TF_MS, type Timeframe } from '../../engine/timeframe.js';
import type { CandleSeries } from '../../engine/types.js';
import type { BacktestResult, ChartStructures } from './run.js';

const require = createRequire(import.meta.url);

function chartLibrary(): string {
  const pkgDir = dirname(require.resolve('lightweight-charts/package.json'));
  return readFileSync(join(pkgDir, 'dist', 'lightweight-charts.standalone.production.js'), 'utf8');
}

const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * Numbers for the page as the base64 of their little-endian float64 bytes (the byte order of every
 * platform a browser runs on): exact, and several times cheaper to write than JSON's shortest decimal
 * digits (the candles alone were ~100k numbers).
 */
function float64Base64(values: Float64Array | number[]): string {
  const a = values instanceof Float64Array ? values : Float64Array.from(values);
  const bytes = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  return (LITTLE_ENDIAN ? bytes : Buffer.from(bytes).swap64()).toString('base64');
}

/** The kinds of zone boxes, as the page colours them (zones carry an index into this list). */
const ZONE_KINDS = ['ob_bullish', 'ob_bearish', 'fvg_bullish', 'fvg_bearish'] as const;

/**
 * Boxes of the zones the chart draws, from when each became known until it was mitigated/filled (or
 * `end`), in ms: every FVG, and the order blocks of the timeframes above the base.
 */
function zoneBoxes(zones: ChartStructures['zones'], baseTf: Timeframe, end: number) {
  const from: number[] = [];
  const to: number[] = [];
  const bottom: number[] = [];
  const top: number[] = [];
  const kind: number[] = [];
  const add = (z: { confirmedAt: number; bottom: number; top: number; side: string }, until: number | null, k: number) => {
    from.push(z.confirmedAt);
    to.push(until ?? end);
    bottom.push(z.bottom);
    top.push(z.top);
    kind.push(k + (z.side === 'bullish' ? 0 : 1)); // ZONE_KINDS: bullish, then bearish
  };
  for (let i = 0; i < zones.length; i++) {
    const x = zones[i];
    if (x.type === 'fvg') add(x.data, x.data.filledAt, 2);
    else if (x.data.tf !== baseTf) add(x.data, x.data.mitigatedAt, 0);
  }
  return { from: float64Base64(from), to: float64Base64(to), bottom: float64Base64(bottom), top: float64Base64(top), kind };
}

/** Candles for the chart: aggregated to `tf` so a month of 1m data stays light in the browser. Times in ms. */
function chartCandles(s: CandleSeries, tf: Timeframe) {
  // The batch aggregation emits exactly the candles the incremental Aggregator would, much faster.
  const a = s.tf === tf ? s : aggregateSeries(s, tf);
  return { ts: float64Base64(a.ts), open: float64Base64(a.open), high: float64Base64(a.high), low: float64Base64(a.low), close: float64Base64(a.close) };
}

/** report.html as one string. */
export function renderReport(r: BacktestResult, series: CandleSeries[], summary: Record<string, unknown>, chartTf: Timeframe = '15m'): string {
  return reportParts(r, series, summary, chartTf).join('');
}

/**
 * report.html in consecutive parts, to be written one after the other. The page's text and the chart
 * library hold a few non-Latin-1 characters; joined, the whole report (mostly the one-byte data)
 * became a two-byte string, copied once more and slower to encode.
 */
export function reportParts(r: BacktestResult, series: CandleSeries[], summary: Record<string, unknown>, chartTf: Timeframe = '15m'): string[] {
  const tf = TF_MS[chartTf] >= TF_MS[r.baseTf] ? chartTf : r.baseTf;
  const symbols = series.map((s) => {
    const chart = r.structures.get(s.symbol);
    const sweeps = {
      ts: float64Base64(chart?.sweepTs ?? []), level: float64Base64(chart?.sweepLevel ?? []),
      bullish: (chart?.sweepSide ?? []).map((side) => (side === 'bullish' ? 1 : 0)),
    };
    const trades = r.trades.filter((t) => t.symbol === s.symbol).map((t) => ({
      side: t.direction, et: t.entryTime / 1000, ep: t.entryPrice, xt: t.exitTime / 1000, xp: t.exitPrice,
      reason: t.exitReason, pnl: Math.round(t.netPnl * 100) / 100, conf: t.confidence, tp: t.takeProfit, sl: t.initialStop,
    }));
    return {
      symbol: s.symbol, candles: chartCandles(s, tf),
      zones: zoneBoxes(chart?.zones ?? [], r.baseTf, r.to),
      sweeps, trades,
    };
  });
  const equity = r.equity.map((p) => [Math.floor(p.time / 1000), Math.round(p.equity * 100) / 100]);
  const data = { chartTf: tf, zoneKinds: ZONE_KINDS, symbols, equity, summary };
  return [`<!doctype html>
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
select,button{background:#161b22;color:#d8dee9;border:1px solid #30363d;padding:4px 8px;font:inherit;font-size:13px;cursor:pointer}
.legend{color:#8b949e;font-size:12px;margin-bottom:6px} .sw{display:inline-block;width:10px;height:10px;margin:0 3px 0 8px;vertical-align:-1px}
#trades{max-height:220px;overflow-y:auto;margin-top:8px} #trades table{margin:0} #trades tr.t{cursor:pointer} #trades tr.t:hover td,#trades tr.sel td{background:#1f2630}
</style></head><body>
<header><h1>SMC Ultra backtest — ${r.symbols.join(', ')}</h1><div class="legend" id="window"></div></header>
<main>
<div class="kpis" id="kpis"></div>
<h2>Candles (${tf}) <select id="sym"></select> <button id="all">whole window</button></h2>
<div class="legend">boxes from when a zone became known until mitigated/filled:<span class="sw" style="background:rgba(63,185,80,.45)"></span>bullish order block<span class="sw" style="background:rgba(248,81,73,.45)"></span>bearish order block<span class="sw" style="background:rgba(56,189,248,.45)"></span>bullish FVG<span class="sw" style="background:rgba(251,146,60,.45)"></span>bearish FVG · <span style="color:#a371f7">▲▼</span> liquidity sweeps · <span style="color:#e3b341">▲▼</span> entries (side, confidence) · ● exits (reason, net PnL) · lines while a trade is open: <span style="color:#e3b341">entry</span>, <span style="color:#3fb950">take profit</span>, <span style="color:#f85149">initial stop</span> · click a trade below to zoom to it</div>
<div id="chart"></div>
<div id="trades"></div>
<h2>Equity (marked to market, hourly)</h2><div id="equity"></div>
<div id="tables"></div>
</main>
<script>`, chartLibrary(), `</script>
<script>const DATA=`, JSON.stringify(data), `;</script>
<script>${CLIENT_JS}</script>
</body></html>
`];
}

const CLIENT_JS = String.raw`
const LC = LightweightCharts;
const S = DATA.summary;
// Bulk numbers arrive as base64 float64 bytes (exact); a symbol's are decoded when it is first shown.
const f64 = (b64) => { const bin = atob(b64); const bytes = new Uint8Array(bin.length); for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i); return new Float64Array(bytes.buffer); };
function decoded(s) {
  if (s.bars) return s;
  const c = s.candles, ts = f64(c.ts), open = f64(c.open), high = f64(c.high), low = f64(c.low), close = f64(c.close);
  s.bars = Array.from(ts, (t, k) => ({ time: t / 1000, open: open[k], high: high[k], low: low[k], close: close[k] }));
  const z = s.zones, from = f64(z.from), to = f64(z.to), bottom = f64(z.bottom), top = f64(z.top);
  s.boxes = z.kind.map((kind, k) => [from[k] / 1000, to[k] / 1000, bottom[k], top[k], DATA.zoneKinds[kind]]);
  const sts = f64(s.sweeps.ts), level = f64(s.sweeps.level);
  s.sweepMarks = s.sweeps.bullish.map((b, k) => [sts[k] / 1000, b ? 'bullish' : 'bearish', level[k]]);
  return s;
}
const fmt = (v, d=2) => v === null || v === undefined ? '–' : typeof v === 'number' ? v.toLocaleString('en-US', {maximumFractionDigits: d}) : String(v);
const cls = (v) => typeof v === 'number' ? (v > 0 ? 'pos' : v < 0 ? 'neg' : '') : '';
document.getElementById('window').textContent = S.window.from + ' → ' + S.window.to + ' · base ' + S.window.baseTimeframe + ' · ' + S.window.baseCandles.toLocaleString() + ' candles';
const kpis = [['Net PnL', S.netPnl], ['Return %', S.returnPercent], ['Final equity', S.finalEquity], ['Trades', S.trades], ['Win rate %', S.winRate],
  ['Profit factor', S.profitFactor], ['Expectancy', S.expectancy], ['Max DD %', S.maxDrawdown.percent], ['Daily Sharpe', S.dailySharpe],
  ['Exposure %', S.exposurePercent], ['Fees', S.feesPaid], ['Funding', S.fundingPaid]];
document.getElementById('kpis').innerHTML = kpis.map(([k, v]) => '<div class="kpi"><b class="' + cls(k === 'Net PnL' || k === 'Return %' ? v : null) + '">' + fmt(v) + '</b><span>' + k + '</span></div>').join('');
// Only money and PnL columns are coloured; counts and rates stay neutral.
function table(title, head, rows, signed = []) {
  return '<h2>' + title + '</h2><table><tr>' + head.map(h => '<th>' + h + '</th>').join('') + '</tr>' +
    rows.map(r => '<tr>' + r.map((c, i) => '<td class="' + (signed.includes(i) ? cls(c) : '') + '">' + fmt(c) + '</td>').join('') + '</tr>').join('') + '</table>';
}
let html = table('Per coin', ['symbol', 'trades', 'win rate %', 'net PnL', 'profit factor', 'avg PnL % (margin)', 'fees'],
  Object.entries(S.perCoin).map(([k, v]) => [k, v.trades, v.winRate, v.netPnl, v.profitFactor, v.avgPnlPercent, v.fees]), [3, 5]);
html += table('Win rate by confidence', ['bucket', 'trades', 'wins', 'win rate %', 'avg PnL %', 'net PnL'], S.perConfidence.map(b => [b.bucket, b.trades, b.wins, b.winRate, b.avgPnlPercent, b.netPnl]), [4, 5]);
html += table('Performance by factor', ['factor', 'trades with', 'avg PnL % with', 'win rate with', 'trades without', 'avg PnL % without', 'win rate without'],
  S.perFactor.map(f => [f.factor, f.tradesWith, f.avgPnlPercentWith, f.winRateWith, f.tradesWithout, f.avgPnlPercentWithout, f.winRateWithout]), [2, 5]);
html += table('Exit reasons', ['reason', 'trades'], Object.entries(S.exitReasons));
html += table('Signals by fate', ['fate', 'signals'], Object.entries(S.signals.byFate));
document.getElementById('tables').innerHTML = html;

const theme = { layout: { background: { color: '#0f1419' }, textColor: '#d8dee9' }, grid: { vertLines: { color: '#1c2128' }, horzLines: { color: '#1c2128' } }, timeScale: { timeVisible: true, minBarSpacing: 0.05 } };
const chart = LC.createChart(document.getElementById('chart'), theme);
const candles = chart.addSeries(LC.CandlestickSeries, { upColor: '#3fb950', downColor: '#f85149', wickUpColor: '#3fb950', wickDownColor: '#f85149', borderVisible: false });
const COLORS = { ob_bullish: 'rgba(63,185,80,0.18)', ob_bearish: 'rgba(248,81,73,0.18)', fvg_bullish: 'rgba(56,189,248,0.16)', fvg_bearish: 'rgba(251,146,60,0.16)' };
// Zones drawn as rectangles from when they became known until mitigated/filled.
const zonePrimitive = {
  zones: [], trades: [], chart: null, series: null,
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
      // Each trade's entry, take profit and initial stop, drawn while the trade was open.
      for (const t of self.trades) {
        if (t.xt < range.from || t.et > range.to) continue;
        const x0 = ts.timeToCoordinate(Math.max(snap(t.et), range.from)), x1 = ts.timeToCoordinate(Math.min(snap(t.xt), range.to));
        if (x0 === null || x1 === null) continue;
        for (const [level, color, dash] of [[t.ep, '#e3b341', []], [t.tp, '#3fb950', [6, 4]], [t.sl, '#f85149', [6, 4]]]) {
          const y = self.series.priceToCoordinate(level);
          if (y === null) continue;
          ctx.strokeStyle = color; ctx.lineWidth = 2 * scope.verticalPixelRatio; ctx.setLineDash(dash.map((d) => d * scope.horizontalPixelRatio));
          ctx.beginPath(); ctx.moveTo(x0 * scope.horizontalPixelRatio, y * scope.verticalPixelRatio); ctx.lineTo(Math.max(x1, x0 + 6) * scope.horizontalPixelRatio, y * scope.verticalPixelRatio); ctx.stroke();
        }
        ctx.setLineDash([]);
      }
    }); } }; } }];
  },
};
candles.attachPrimitive(zonePrimitive);
const markers = LC.createSeriesMarkers(candles, []);
const tfSec = { '1m': 60, '5m': 300, '15m': 900, '1h': 3600, '4h': 14400 }[DATA.chartTf];
const snap = (t) => Math.floor(t / tfSec) * tfSec;
// Prices with precision by size, so BTC and DOGE both read naturally (as in the chat alerts).
const px = (p) => { const a = Math.abs(p); const d = a >= 1000 ? 2 : a >= 10 ? 3 : a >= 1 ? 4 : a >= 0.01 ? 5 : 8; return p.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }); };
const utc = (t) => new Date(t * 1000).toISOString().slice(0, 16).replace('T', ' ');
const sel = document.getElementById('sym');
sel.innerHTML = DATA.symbols.map((s, i) => '<option value="' + i + '">' + s.symbol + ' (' + s.trades.length + ' trades)</option>').join('');
let current = 0;
// A whole month of candles is a blur; a trade is read with ~40 candles of context before it.
function zoomTo(k) {
  const t = DATA.symbols[current].trades[k];
  if (!t) { chart.timeScale().fitContent(); return; }
  chart.timeScale().setVisibleRange({ from: snap(t.et) - 40 * tfSec, to: snap(t.xt) + 16 * tfSec });
  document.querySelectorAll('#trades tr.t').forEach((r) => r.classList.toggle('sel', +r.dataset.k === k));
}
function show(i, k = 0) {
  current = i;
  sel.value = String(i);
  const s = decoded(DATA.symbols[i]);
  candles.setData(s.bars);
  zonePrimitive.zones = s.boxes;
  zonePrimitive.trades = s.trades;
  const m = [];
  for (const [t, side, level] of s.sweepMarks) m.push({ time: snap(t), position: side === 'bullish' ? 'belowBar' : 'aboveBar', shape: side === 'bullish' ? 'arrowUp' : 'arrowDown', color: '#a371f7', size: 0.6 });
  for (const t of s.trades) {
    m.push({ time: snap(t.et), position: t.side === 'long' ? 'belowBar' : 'aboveBar', shape: t.side === 'long' ? 'arrowUp' : 'arrowDown', color: '#e3b341', text: t.side + ' ' + t.conf, size: 1.4 });
    m.push({ time: snap(t.xt), position: t.side === 'long' ? 'aboveBar' : 'belowBar', shape: 'circle', color: t.pnl >= 0 ? '#3fb950' : '#f85149', text: t.reason + ' ' + t.pnl, size: 1.2 });
  }
  m.sort((a, b) => a.time - b.time);
  markers.setMarkers(m);
  document.getElementById('trades').innerHTML = s.trades.length === 0 ? '<div class="legend">no trades on ' + s.symbol + '</div>' :
    '<table><tr><th>#</th><th>side</th><th>conf.</th><th>entry (UTC)</th><th>entry</th><th>exit (UTC)</th><th>exit</th><th>reason</th><th>net PnL</th></tr>' +
    s.trades.map((t, k) => '<tr class="t" data-k="' + k + '"><td>' + (k + 1) + '</td><td>' + t.side + '</td><td>' + t.conf + '</td><td>' + utc(t.et) + '</td><td>' + px(t.ep) +
      '</td><td>' + utc(t.xt) + '</td><td>' + px(t.xp) + '</td><td>' + t.reason + '</td><td class="' + cls(t.pnl) + '">' + fmt(t.pnl) + '</td></tr>').join('') + '</table>';
  document.querySelectorAll('#trades tr.t').forEach((r) => { r.onclick = () => { zoomTo(+r.dataset.k); history.replaceState(null, '', '#' + s.symbol + '/' + (+r.dataset.k + 1)); }; });
  zoomTo(Math.min(k, s.trades.length - 1));
}
sel.onchange = () => { show(+sel.value); history.replaceState(null, '', '#' + DATA.symbols[+sel.value].symbol); };
document.getElementById('all').onclick = () => chart.timeScale().fitContent();
// report.html#SOLUSDT/2 opens on SOLUSDT's second trade (links, screenshots).
const [hashSym, hashTrade] = decodeURIComponent(location.hash.slice(1)).split('/');
const start = Math.max(0, DATA.symbols.findIndex((s) => s.symbol === hashSym));
show(start, Math.max(0, (parseInt(hashTrade, 10) || 1) - 1));
const eq = LC.createChart(document.getElementById('equity'), theme);
eq.addSeries(LC.LineSeries, { color: '#58a6ff', lineWidth: 2 }).setData(DATA.equity.map(([time, value]) => ({ time, value })).filter((p, i, a) => i === 0 || p.time > a[i - 1].time));
eq.timeScale().fitContent();
`;
