import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeFeatures } from '../../engine/features.js';
import { btcContext, FeatureTracker, hourlyCorrelation, RecentOutcomes } from '../../engine/feature-tracker.js';
import type { Candle } from '../../engine/types.js';

const MIN = 60_000;
const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1); // Monday 00:00 UTC

function candle(ts: number, close: number, over: Partial<Candle> = {}): Candle {
  return { ts, open: close, high: close, low: close, close, volume: 1, ...over };
}

/** 1m candles whose closes follow `price(i)`. */
function feedMinutes(t: FeatureTracker, n: number, price: (i: number) => number, start = T0): void {
  for (let i = 0; i < n; i++) t.onBase(candle(start + i * MIN, price(i)));
}

describe('FeatureTracker market snapshot', () => {
  it('ranks the current mtf ATR among the recent ones and compares it with their mean', () => {
    const t = new FeatureTracker({ baseTf: '1m', atrHistory: 4 });
    [10, 1, 2, 3].forEach((atr, i) => t.onMtf(candle(T0 + i * 15 * MIN, 100), atr, 50));
    // history 10,1,2,3 with current 3: 3 of 4 are ≤ 3
    expect(t.snapshot().atrPercentile).toBe(0.75);
    expect(t.snapshot().atrMean).toBe(4);
    t.onMtf(candle(T0 + 4 * 15 * MIN, 100), 4, 50); // 10 drops out of the ring of 4
    expect(t.snapshot().atrPercentile).toBe(1);
    expect(t.snapshot().atrMean).toBe(2.5);
    t.onMtf(candle(T0 + 5 * 15 * MIN, 100), NaN, 50); // warm-up style NaN: unknown, not counted
    expect(t.snapshot().atr).toBeNaN();
    expect(t.snapshot().atrPercentile).toBeNaN();
  });

  it('keeps the volume SMA of the mtf candles', () => {
    const t = new FeatureTracker({ baseTf: '1m', volumeSmaPeriod: 3 });
    [100, 200, 600].forEach((v, i) => t.onMtf(candle(T0 + i * 15 * MIN, 100, { volume: v }), 1, 50));
    const s = t.snapshot();
    expect(s.volume).toBe(600);
    expect(s.volumeSma).toBe(300);
  });

  it('tracks the high and low of the current UTC day and starts over at midnight', () => {
    const t = new FeatureTracker({ baseTf: '1m' });
    const lateDay = T0 + 23 * HOUR + 58 * MIN;
    t.onBase(candle(lateDay, 100, { high: 110, low: 90 }));
    t.onBase(candle(lateDay + MIN, 100, { high: 105, low: 80 }));
    expect([t.snapshot().dayHigh, t.snapshot().dayLow]).toEqual([110, 80]);
    t.onBase(candle(lateDay + 2 * MIN, 101, { high: 102, low: 99 })); // 00:00 of the next day
    expect([t.snapshot().dayHigh, t.snapshot().dayLow]).toEqual([102, 99]);
  });

  it('refuses base candles out of order', () => {
    const t = new FeatureTracker({ baseTf: '1m' });
    t.onBase(candle(T0 + MIN, 1));
    expect(() => t.onBase(candle(T0, 1))).toThrow(/is not after/);
  });

  it('finds a bullish RSI divergence (lower low, higher RSI low) and lets it age out', () => {
    const L = 2;
    const t = new FeatureTracker({ baseTf: '1m', pivotLength: L, divergenceMaxAge: 4 });
    // lows: pivot at bar 2 (low 90, rsi 25) and bar 6 (low 85, rsi 35)
    const lows = [100, 95, 90, 95, 100, 95, 85, 95, 100];
    const rsis = [40, 30, 25, 35, 45, 40, 35, 45, 50];
    let bar = 0;
    const push = (low: number, rsi: number): void => {
      t.onMtf(candle(T0 + bar++ * 15 * MIN, low + 5, { low, high: low + 10 }), 1, rsi);
    };
    for (let i = 0; i < lows.length; i++) push(lows[i]!, rsis[i]!);
    // bar 6 was confirmed at bar 8 (L later); age 2 ≤ 4
    expect(t.snapshot().divergence).toBe(1);
    push(101, 50); // age 3
    push(102, 50); // age 4
    expect(t.snapshot().divergence).toBe(1);
    push(103, 50); // age 5 > 4
    expect(t.snapshot().divergence).toBe(0);
  });

  it('finds a bearish divergence (higher high, lower RSI high) and none when RSI confirms the high', () => {
    const run = (rsiSecond: number): number => {
      const t = new FeatureTracker({ baseTf: '1m', pivotLength: 2 });
      const highs = [100, 105, 110, 105, 100, 105, 115, 105, 100];
      const rsis = [60, 70, 75, 65, 55, 60, rsiSecond, 60, 50];
      highs.forEach((h, i) => t.onMtf(candle(T0 + i * 15 * MIN, h - 5, { high: h, low: h - 10 }), 1, rsis[i]!));
      return t.snapshot().divergence;
    };
    expect(run(70)).toBe(-1);
    expect(run(80)).toBe(0);
  });
});

describe('FeatureTracker prices and hourly returns', () => {
  it('reads the close at a time and the change over a look-back, across a missing candle', () => {
    const t = new FeatureTracker({ baseTf: '1m' });
    feedMinutes(t, 400, (i) => 100 + i);
    // candle i closes at T0 + (i+1) min
    expect(t.closeAt(T0 + 300 * MIN)).toBe(399);
    expect(t.closeAt(T0 + 400 * MIN)).toBe(499);
    expect(t.closeAt(T0 + 240 * MIN)).toBe(339);
    expect(t.change(T0 + 300 * MIN, HOUR)).toBeCloseTo(399 / 339 - 1, 12);
    expect(t.closeAt(T0 + 50 * MIN)).toBeNaN(); // 350 candles back: older than the ring (5 h + 8) holds
    const g = new FeatureTracker({ baseTf: '1m' });
    g.onBase(candle(T0, 50));
    g.onBase(candle(T0 + 2 * MIN, 52)); // the candle at +1 min is missing
    expect(g.closeAt(T0 + 2 * MIN)).toBe(50); // the latest close at or before
    expect(g.closeAt(T0 + 3 * MIN)).toBe(52);
    expect(g.closeAt(T0 + 10 * MIN)).toBe(52); // nothing newer was fed
  });

  it('builds hourly returns from base candles and correlates symbols by hour', () => {
    const a = new FeatureTracker({ baseTf: '1m', minCorrelationSamples: 5 });
    const b = new FeatureTracker({ baseTf: '1m', minCorrelationSamples: 5 });
    const c = new FeatureTracker({ baseTf: '1m', minCorrelationSamples: 5 });
    const wave = (i: number): number => 100 + 10 * Math.sin(i / 37) + i / 100;
    feedMinutes(a, 12 * 60, wave);
    feedMinutes(b, 12 * 60, (i) => 2 * wave(i));
    feedMinutes(c, 12 * 60, (i) => 300 - wave(i));
    const end = T0 + 12 * HOUR;
    const r = a.hourlyReturns(end);
    expect(r.values.length).toBe(11); // 12 hours make 11 returns
    expect(r.times[10]).toBe(end);
    expect(r.values[0]).toBeCloseTo(wave(119) / wave(59) - 1, 12);
    expect(hourlyCorrelation(a, b, end)).toBeCloseTo(1, 9);
    expect(hourlyCorrelation(a, c, end)).toBeLessThan(-0.9);
    expect(hourlyCorrelation(a, b, T0 + 5 * HOUR)).toBeNaN(); // 4 returns < 5 needed
    expect(() => a.onHourly(candle(end, 1))).toThrow(/built from the base candles/);
  });

  it('takes hourly candles from onHourly when asked to', () => {
    const t = new FeatureTracker({ baseTf: '5m', hourlyFromBase: false });
    [100, 110, 99].forEach((p, i) => t.onHourly(candle(T0 + i * HOUR, p)));
    const r = t.hourlyReturns(Infinity);
    expect(Array.from(r.values).map((x) => +x.toFixed(12))).toEqual([0.1, -0.1]);
    expect(Array.from(r.times)).toEqual([T0 + 2 * HOUR, T0 + 3 * HOUR]);
  });
});

describe('btcContext', () => {
  it("uses BTC's closes one base candle before the signal", () => {
    const own = new FeatureTracker({ baseTf: '1m' });
    const btc = new FeatureTracker({ baseTf: '1m' });
    feedMinutes(own, 300, () => 10);
    feedMinutes(btc, 300, (i) => 1000 + i);
    const time = T0 + 300 * MIN; // last candle (i = 299) closes here; BTC's cut-off is i = 298
    const b = btcContext(own, btc, time, false);
    expect(b.change1h).toBeCloseTo(1298 / 1238 - 1, 12);
    expect(b.change4h).toBeCloseTo(1298 / 1058 - 1, 12);
    expect(btcContext(own, null, time, false).change1h).toBeNaN();
    expect(btcContext(btc, btc, time, true).correlation).toBe(1);
  });
});

describe('RecentOutcomes', () => {
  it('is 0.5 without history and counts only trades closed before the time', () => {
    const o = new RecentOutcomes(20);
    expect(o.winRate(T0)).toBe(0.5);
    o.record('ETHUSDT', T0 + 1, true);
    o.record('BTCUSDT', T0 + 2, false);
    o.record('ETHUSDT', T0 + 3, false);
    expect(o.winRate(T0 + 3, 'ETHUSDT')).toBe(1); // the loss closing at T0+3 is not "before"
    expect(o.winRate(T0 + 4, 'ETHUSDT')).toBe(0.5);
    expect(o.winRate(T0 + 4)).toBeCloseTo(1 / 3, 12);
    expect(o.winRate(T0 + 4, 'SOLUSDT')).toBe(0.5);
  });

  it('looks at the last `window` trades only, even when they arrive out of order', () => {
    const o = new RecentOutcomes(3);
    [true, true, true, false, false].forEach((w, i) => o.record('X', T0 + i, w));
    expect(o.winRate(T0 + 10, 'X')).toBeCloseTo(1 / 3, 12); // true, false, false
    o.record('X', T0 + 3.5, true); // belongs between the two losses
    expect(o.winRate(T0 + 10, 'X')).toBeCloseTo(1 / 3, 12); // false, true, false
    expect(o.winRate(T0 + 3.6, 'X')).toBeCloseTo(2 / 3, 12); // true, false, true
  });
});

describe('RecentOutcomes ties', () => {
  it('does not depend on the order in which trades closing at the same time are recorded', () => {
    const a = new RecentOutcomes(1);
    const b = new RecentOutcomes(1);
    a.record('BTCUSDT', T0, true);
    a.record('ETHUSDT', T0, false);
    b.record('ETHUSDT', T0, false);
    b.record('BTCUSDT', T0, true);
    expect(a.winRate(T0 + 1)).toBe(b.winRate(T0 + 1));
  });
});

describe('no lookahead', () => {
  it('features at a signal do not change when BTC candles after its cut-off are fed or altered', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -0.01, max: 0.01, noNaN: true }), { minLength: 400, maxLength: 600 }),
        fc.array(fc.double({ min: -0.01, max: 0.01, noNaN: true }), { minLength: 400, maxLength: 600 }),
        fc.integer({ min: 300, max: 399 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (ownSteps, btcSteps, k, extra, seed) => {
          const path = (steps: number[], p0: number): number[] => {
            const out: number[] = [];
            let p = p0;
            for (const s of steps) out.push((p *= 1 + s));
            return out;
          };
          const own = path(ownSteps, 50);
          const btc = path(btcSteps, 40_000);
          const time = T0 + (k + 1) * MIN; // signal at the close of own candle k
          const featuresWith = (btcUpTo: number, alterFuture: boolean): Float64Array => {
            const o = new FeatureTracker({ baseTf: '1m', minCorrelationSamples: 2 });
            const b = new FeatureTracker({ baseTf: '1m', minCorrelationSamples: 2 });
            for (let i = 0; i <= k; i++) {
              o.onBase(candle(T0 + i * MIN, own[i]!));
              if (i % 15 === 14) o.onMtf(candle(T0 + (i - 14) * MIN, own[i]!), own[i]! * 0.01, 50);
            }
            for (let i = 0; i <= btcUpTo && i < btc.length; i++) {
              // candles after the cut-off (k − 1) may be anything
              const p = alterFuture && i >= k ? btc[i]! * (1 + (((seed >> (i % 31)) & 1) ? 0.05 : -0.05)) : btc[i]!;
              b.onBase(candle(T0 + i * MIN, p));
            }
            return computeFeatures({
              time, direction: 'long', price: own[k]!, confidence: 60, htfBias: 'neutral',
              hasOrderBlock: false, hasFvg: false, hasSweep: false,
              market: o.snapshot(), btc: btcContext(o, b, time, false),
              recentWinRateCoin: 0.5, recentWinRateOverall: 0.5,
            });
          };
          const atCutoff = featuresWith(k - 1, false);
          expect(Array.from(featuresWith(k, false))).toEqual(Array.from(atCutoff));
          expect(Array.from(featuresWith(k + extra, true))).toEqual(Array.from(atCutoff));
        },
      ),
      { numRuns: 40 },
    );
  });
});
