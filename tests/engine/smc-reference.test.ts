// Cross-checks the incremental detectors against naive whole-history scans written straight from
// SPEC §3, on real candle files (one with gaps in time).
import { describe, expect, it } from 'vitest';
import { ATR } from 'technicalindicators';
import { readCandles } from './helpers/read-csv.js';
import { ofType, run } from './helpers/smc.js';
import { TF_MS, type Timeframe } from '../../engine/timeframe.js';
import type { Candle } from '../../engine/types.js';

const CASES: [string, Timeframe, number][] = [
  ['binance-spot/BTCUSDT-1m.csv.gz', '1m', 61_272], // two gaps in time
  ['binance-usdm/SOLUSDT-1h.csv.gz', '1h', 8_000],
];

interface NaiveSwing { kind: 'high' | 'low'; i: number; price: number; at: number }

function naiveSwings(c: Candle[], L: number): NaiveSwing[] {
  const out: NaiveSwing[] = [];
  for (let i = L; i + L < c.length; i++) {
    let isHigh = true;
    let isLow = true;
    for (let j = i - L; j <= i + L; j++) {
      if (j === i) continue;
      if (c[j].high >= c[i].high) isHigh = false;
      if (c[j].low <= c[i].low) isLow = false;
    }
    if (isHigh) out.push({ kind: 'high', i, price: c[i].high, at: i + L });
    if (isLow) out.push({ kind: 'low', i, price: c[i].low, at: i + L });
  }
  return out;
}

describe.each(CASES)('naive reference scans agree with the detectors on %s', (file, tf, rows) => {
  const c = readCandles(file, rows);
  const ms = TF_MS[tf];
  const close = (i: number) => c[i].ts + ms;
  const L = 5;

  it('swing points', () => {
    const ours = ofType(run(c, { swing_length: L }, { structures: true, sweeps: true }, tf).out, 'swing').map((r) => r.data);
    const ref = naiveSwings(c, L).map((s) => ({ kind: s.kind, tf, ts: c[s.i].ts, price: s.price, confirmedAt: close(s.at) }));
    expect(ref.length).toBeGreaterThan(100);
    expect(ours).toEqual(ref);
  });

  it.each([0, 0.001])('fair value gaps and their fills (fvg_min_size=%s)', (min) => {
    const { out } = run(c, { fvg_min_size: min }, { structures: true, sweeps: false }, tf);
    const ref: unknown[] = [];
    const fills: [number, number, string][] = [];
    for (let i = 2; i < c.length; i++) {
      let g: { side: 'bullish' | 'bearish'; top: number; bottom: number } | null = null;
      if (c[i].low > c[i - 2].high && (c[i].low - c[i - 2].high) / c[i].close >= min) g = { side: 'bullish', top: c[i].low, bottom: c[i - 2].high };
      if (c[i].high < c[i - 2].low && (c[i - 2].low - c[i].high) / c[i].close >= min) g = { side: 'bearish', top: c[i - 2].low, bottom: c[i].high };
      if (!g) continue;
      ref.push({ side: g.side, tf, ts: c[i - 1].ts, top: g.top, bottom: g.bottom, confirmedAt: close(i) });
      for (let j = i + 1; j < c.length; j++) {
        if (g.side === 'bullish' ? c[j].close < g.bottom : c[j].close > g.top) { fills.push([close(j), c[i - 1].ts, g.side]); break; }
      }
    }
    const ours = ofType(out, 'fvg').map(({ data: { filledAt: _, ...rest } }) => rest);
    expect(ref.length).toBeGreaterThan(min === 0 ? 1000 : 20);
    expect(ours).toEqual(ref);
    const ourFills = ofType(out, 'fvg_filled').map((e) => [e.ts, e.ref.ts, e.ref.side]);
    const byTime = (a: [number, number, string], b: [number, number, string]) => a[0] - b[0] || a[1] - b[1];
    expect(ourFills.sort(byTime as never)).toEqual(fills.sort(byTime));
  });

  it('order blocks and their mitigation (ATR from technicalindicators)', () => {
    const k = 1.5;
    const lookback = 10;
    const atr = ATR.calculate({ period: 14, high: c.map((x) => x.high), low: c.map((x) => x.low), close: c.map((x) => x.close) });
    const atrAfter = (i: number) => (i >= 14 ? atr[i - 14] : NaN);
    const ref: unknown[] = [];
    const mitigations: [number, number, string][] = [];
    const used = new Set<string>();
    for (let i = 1; i < c.length; i++) {
      const body = c[i].close - c[i].open;
      const side = body > k * atrAfter(i - 1) ? 'bullish' : -body > k * atrAfter(i - 1) ? 'bearish' : null;
      if (!side) continue;
      for (let j = i - 1; j >= Math.max(0, i - lookback); j--) {
        const opposite = side === 'bullish' ? c[j].close < c[j].open : c[j].close > c[j].open;
        if (!opposite) continue;
        if (!used.has(side + j)) {
          used.add(side + j);
          const mid = (c[j].high + c[j].low) / 2;
          ref.push({ side, tf, ts: c[j].ts, top: c[j].high, bottom: c[j].low, mid, impulseTs: c[i].ts, confirmedAt: close(i) });
          for (let m = i + 1; m < c.length; m++) {
            if (side === 'bullish' ? c[m].low <= mid : c[m].high >= mid) { mitigations.push([close(m), c[j].ts, side]); break; }
          }
        }
        break;
      }
    }
    const { out } = run(c, {}, { structures: true, sweeps: false }, tf);
    const ours = ofType(out, 'order_block').map(({ data: { mitigatedAt: _, ...rest } }) => rest);
    expect(ref.length).toBeGreaterThan(20);
    expect(ours).toEqual(ref);
    const byTime = (a: [number, number, string], b: [number, number, string]) => a[0] - b[0] || a[1] - b[1];
    expect(ofType(out, 'ob_mitigated').map((e) => [e.ts, e.ref.ts, e.ref.side]).sort(byTime as never)).toEqual(mitigations.sort(byTime));
  });

  it('liquidity sweeps against the swing confirmed before each candle', () => {
    const swings = naiveSwings(c, L);
    const ref: unknown[] = [];
    for (let i = 0; i < c.length; i++) {
      const known = swings.filter((s) => s.at <= i - 1);
      const lastLow = known.filter((s) => s.kind === 'low').at(-1);
      const lastHigh = known.filter((s) => s.kind === 'high').at(-1);
      const x = c[i];
      if (lastLow && x.low < lastLow.price && x.close > lastLow.price && x.close > x.open) {
        ref.push({ side: 'bullish', tf, ts: x.ts, level: lastLow.price, swingTs: c[lastLow.i].ts, confirmedAt: close(i) });
      }
      if (lastHigh && x.high > lastHigh.price && x.close < lastHigh.price && x.close < x.open) {
        ref.push({ side: 'bearish', tf, ts: x.ts, level: lastHigh.price, swingTs: c[lastHigh.i].ts, confirmedAt: close(i) });
      }
      if (i > 3000 && tf === '1m') break; // the filter above is quadratic; 3000 bars is plenty
    }
    const limit = tf === '1m' ? 3001 : c.length;
    const ours = ofType(run(c.slice(0, limit), { swing_length: L }, { structures: false, sweeps: true }, tf).out, 'sweep').map((r) => r.data);
    expect(ref.length).toBeGreaterThan(20);
    expect(ours).toEqual(ref);
  });

  it('BOS / CHoCH from the swings confirmed before each candle', () => {
    const swings = naiveSwings(c, L);
    const broken = new Set<NaiveSwing>();
    const ref: unknown[] = [];
    let k = 0; // swings[0..k) are confirmed before bar i
    const highs: NaiveSwing[] = [];
    const lows: NaiveSwing[] = [];
    for (let i = 0; i < c.length; i++) {
      while (k < swings.length && swings[k].at <= i - 1) (swings[k].kind === 'high' ? highs : lows).push(swings[k++]);
      const [h1, h2] = [highs.at(-2), highs.at(-1)];
      const [l1, l2] = [lows.at(-2), lows.at(-1)];
      const trend = h1 && h2 && l1 && l2
        ? h2.price > h1.price && l2.price > l1.price ? 'bullish' : h2.price < h1.price && l2.price < l1.price ? 'bearish' : 'neutral'
        : 'neutral';
      if (h2 && !broken.has(h2) && c[i].close > h2.price) {
        broken.add(h2);
        ref.push({ kind: trend === 'bearish' ? 'choch' : 'bos', side: 'bullish', tf, ts: c[i].ts, level: h2.price, swingTs: c[h2.i].ts, confirmedAt: close(i) });
      }
      if (l2 && !broken.has(l2) && c[i].close < l2.price) {
        broken.add(l2);
        ref.push({ kind: trend === 'bullish' ? 'choch' : 'bos', side: 'bearish', tf, ts: c[i].ts, level: l2.price, swingTs: c[l2.i].ts, confirmedAt: close(i) });
      }
    }
    const ours = ofType(run(c, { swing_length: L }, { structures: true, sweeps: false }, tf).out, 'structure').map((r) => r.data);
    expect(ref.filter((e) => (e as { kind: string }).kind === 'choch').length).toBeGreaterThan(5);
    expect(ours).toEqual(ref);
  });
});
