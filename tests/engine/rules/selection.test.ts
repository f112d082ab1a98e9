import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { pearson, ReturnsWindow } from '../../../engine/correlation.js';
import { selectSignals, type SelectionContext } from '../../../engine/selection.js';
import type { Direction, Signal } from '../../../engine/types.js';

function sig(symbol: string, direction: Direction, confidence: number, ml: number | null = null, time = 1000): Signal {
  return {
    id: `${symbol}-${direction}-${time}`, symbol, direction, time, price: 100, confidence, factors: [],
    snapshot: {
      htf_bias: 'neutral', near_bullish_ob: false, near_bearish_ob: false, in_bullish_fvg: false, in_bearish_fvg: false,
      bullish_sweep: false, bearish_sweep: false, mtf_rsi: 50, market_structure: 'neutral',
    },
    atr: 1, targets: { tpDistance: 2, slDistance: 1, takeProfit: 102, stopLoss: 99, leverage: 10 }, mlProbability: ml,
  };
}

const ctx = (over: Partial<SelectionContext> = {}): SelectionContext => ({
  minConfidence: () => 85, openPositions: [], maxConcurrent: 3, maxCorrelation: 0.8,
  correlation: () => 0, paused: false, mlMinConfidence: 0, ...over,
});

const fates = (d: { signal: Signal; fate: string }[]) => Object.fromEntries(d.map((x) => [x.signal.id, x.fate]));

describe('pearson and ReturnsWindow', () => {
  it('computes the textbook correlation', () => {
    const a = Float64Array.from([1, 2, 3, 4, 5]);
    expect(pearson(a, Float64Array.from([2, 4, 6, 8, 10]))).toBeCloseTo(1, 12);
    expect(pearson(a, Float64Array.from([5, 4, 3, 2, 1]))).toBeCloseTo(-1, 12);
    // hand computed: x = 1..4, y = 1,3,2,4 → r = 0.8
    expect(pearson(Float64Array.from([1, 2, 3, 4]), Float64Array.from([1, 3, 2, 4]))).toBeCloseTo(0.8, 12);
    expect(pearson(a, Float64Array.from([1, 1, 1, 1, 1]))).toBeNaN();
    expect(pearson(a, Float64Array.from([1, 2]))).toBeNaN();
  });

  it('keeps only the last N returns and is undefined until enough pairs exist', () => {
    const w = new ReturnsWindow(4);
    for (const r of [9, 1, 2, 3, 4]) w.push(r);
    expect(Array.from(w.toArray())).toEqual([1, 2, 3, 4]);
    const v = new ReturnsWindow(4);
    v.push(1);
    expect(w.correlation(v)).toBeNaN(); // 1 pair < minSamples 2
    v.push(3);
    for (const r of [2, 4]) v.push(r);
    expect(w.correlation(v)).toBeCloseTo(0.8, 12);
    v.push(NaN); // ignored
    expect(v.length).toBe(4);
  });

  it('pairs timed returns by time, so a gap does not shift one series', () => {
    const a = new ReturnsWindow(5, 3);
    const b = new ReturnsWindow(5, 3);
    [[1, 1], [2, 2], [3, 3], [4, 4]].forEach(([t, r]) => a.push(r!, t));
    [[1, 2], [3, 6], [4, 8]].forEach(([t, r]) => b.push(r!, t)); // hour 2 missing on b
    expect(a.correlation(b)).toBeCloseTo(1, 12);
  });

  it('property: incremental window equals pearson over the tail', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.double({ min: -0.1, max: 0.1, noNaN: true }), fc.double({ min: -0.1, max: 0.1, noNaN: true })), { minLength: 0, maxLength: 40 }), (pairs) => {
      const a = new ReturnsWindow(10, 2);
      const b = new ReturnsWindow(10, 2);
      for (const [x, y] of pairs) { a.push(x); b.push(y); }
      const tail = pairs.slice(-10);
      const want = tail.length < 2 ? NaN : pearson(Float64Array.from(tail.map((p) => p[0])), Float64Array.from(tail.map((p) => p[1])));
      const got = a.correlation(b);
      if (Number.isNaN(want)) expect(got).toBeNaN();
      else expect(got).toBeCloseTo(want, 9);
    }));
  });
});

describe('selectSignals', () => {
  it('below the coin threshold → below_threshold', () => {
    const d = selectSignals([sig('BTCUSDT', 'long', 89), sig('SOLUSDT', 'long', 86)], ctx({ minConfidence: (s) => (s === 'BTCUSDT' ? 90 : 85) }));
    expect(fates(d)).toEqual({ 'BTCUSDT-long-1000': 'below_threshold', 'SOLUSDT-long-1000': 'executed' });
  });

  it('one position per symbol', () => {
    const d = selectSignals([sig('BTCUSDT', 'short', 95)], ctx({ openPositions: [{ symbol: 'BTCUSDT', direction: 'long' }] }));
    expect(d[0]!.fate).toBe('position_open');
  });

  it('max concurrent: the best-ranked take the free slots', () => {
    const d = selectSignals(
      [sig('A', 'long', 90), sig('B', 'long', 95), sig('C', 'short', 92)],
      ctx({ openPositions: [{ symbol: 'X', direction: 'long' }], maxConcurrent: 2 }),
    );
    expect(fates(d)).toEqual({ 'B-long-1000': 'executed', 'C-short-1000': 'max_positions', 'A-long-1000': 'max_positions' });
    expect(d.map((x) => x.signal.symbol)).toEqual(['B', 'C', 'A']); // rank order
  });

  it('correlated with an open position or a better accepted signal in the SAME direction only', () => {
    const corr = (a: string, b: string) => ([a, b].sort().join() === 'ETH,SOL' || [a, b].sort().join() === 'BTC,ETH' ? 0.9 : 0.1);
    const d = selectSignals(
      [sig('ETH', 'long', 90), sig('SOL', 'short', 92), sig('DOGE', 'long', 88)],
      ctx({ openPositions: [{ symbol: 'BTC', direction: 'short' }], correlation: corr, maxConcurrent: 4 }),
    );
    // SOL short (ranked first) correlates with nothing short... ETH long vs BTC short: other direction → fine;
    // ETH long vs SOL short: other direction → fine.
    expect(fates(d)).toEqual({ 'SOL-short-1000': 'executed', 'ETH-long-1000': 'executed', 'DOGE-long-1000': 'executed' });
    const d2 = selectSignals(
      [sig('ETH', 'long', 90), sig('SOL', 'long', 92)],
      ctx({ openPositions: [{ symbol: 'BTC', direction: 'short' }], correlation: corr }),
    );
    expect(fates(d2)).toEqual({ 'SOL-long-1000': 'executed', 'ETH-long-1000': 'correlated' });
    const d3 = selectSignals([sig('ETH', 'short', 90)], ctx({ openPositions: [{ symbol: 'BTC', direction: 'short' }], correlation: corr }));
    expect(d3[0]!.fate).toBe('correlated');
  });

  it('correlation exactly at the limit or NaN does not filter', () => {
    const d = selectSignals([sig('ETH', 'long', 90)], ctx({ openPositions: [{ symbol: 'BTC', direction: 'long' }], correlation: () => 0.8 }));
    expect(d[0]!.fate).toBe('executed');
    const n = selectSignals([sig('ETH', 'long', 90)], ctx({ openPositions: [{ symbol: 'BTC', direction: 'long' }], correlation: () => NaN }));
    expect(n[0]!.fate).toBe('executed');
  });

  it('ranks by confidence, then ML probability (none last), then symbol', () => {
    const d = selectSignals(
      [sig('C', 'long', 90, null), sig('B', 'long', 90, 70), sig('A', 'long', 90, null), sig('D', 'long', 90, 80)],
      ctx({ maxConcurrent: 2 }),
    );
    expect(d.map((x) => `${x.signal.symbol}:${x.fate}`)).toEqual(['D:executed', 'B:executed', 'A:max_positions', 'C:max_positions']);
  });

  it('paused and ml_filter', () => {
    expect(selectSignals([sig('A', 'long', 95)], ctx({ paused: true }))[0]!.fate).toBe('paused');
    expect(selectSignals([sig('A', 'long', 80)], ctx({ paused: true }))[0]!.fate).toBe('below_threshold');
    const m = selectSignals([sig('A', 'long', 95, 59.9), sig('B', 'long', 95, 60), sig('C', 'long', 95, null)], ctx({ mlMinConfidence: 60 }));
    expect(fates(m)).toEqual({ 'A-long-1000': 'ml_filter', 'B-long-1000': 'executed', 'C-long-1000': 'executed' });
  });

  it('property: every candidate gets exactly one fate, open ≤ max, one per symbol, deterministic', () => {
    const syms = ['A', 'B', 'C', 'D', 'E'];
    const arbSig = fc.record({
      symbol: fc.constantFrom(...syms), direction: fc.constantFrom<Direction>('long', 'short'),
      confidence: fc.integer({ min: 70, max: 100 }), ml: fc.option(fc.integer({ min: 0, max: 100 })), time: fc.integer({ min: 0, max: 3 }),
    }).map((r) => sig(r.symbol, r.direction, r.confidence, r.ml, r.time));
    fc.assert(fc.property(
      fc.uniqueArray(arbSig, { selector: (s) => s.id, maxLength: 12 }),
      fc.uniqueArray(fc.constantFrom(...syms), { maxLength: 3 }),
      fc.integer({ min: 0, max: 4 }), fc.boolean(), fc.integer({ min: 0, max: 3 }),
      (cands, openSyms, maxConcurrent, paused, seed) => {
        const open = openSyms.slice(0, maxConcurrent).map((symbol, i) => ({ symbol, direction: (i % 2 ? 'long' : 'short') as Direction }));
        const corr = (a: string, b: string) => ((a.charCodeAt(0) + b.charCodeAt(0) + seed) % 3 === 0 ? 0.95 : 0.2);
        const c = ctx({ openPositions: open, maxConcurrent, paused, correlation: corr, mlMinConfidence: 50 });
        const d = selectSignals(cands, c);
        expect(d.length).toBe(cands.length);
        expect(new Set(d.map((x) => x.signal.id))).toEqual(new Set(cands.map((s) => s.id)));
        const exec = d.filter((x) => x.fate === 'executed');
        expect(open.length + exec.length).toBeLessThanOrEqual(Math.max(maxConcurrent, open.length));
        const execSyms = exec.map((x) => x.signal.symbol);
        expect(new Set(execSyms).size).toBe(execSyms.length);
        for (const s of execSyms) expect(open.some((o) => o.symbol === s)).toBe(false);
        if (paused) expect(exec.length).toBe(0);
        expect(selectSignals([...cands].reverse(), c)).toEqual(d);
      },
    ));
  });
});
