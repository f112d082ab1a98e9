import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aggregateSeries, Aggregator } from '../../engine/aggregate.js';
import { TF_MS, type Timeframe } from '../../engine/timeframe.js';
import type { Candle, CandleSeries } from '../../engine/types.js';
import { loadCandleFile } from '../../src/data/load.js';
import { FIVE_COINS, ohlcv } from './paths.js';

const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 1); // a 4h boundary

/** A 1m candle at minute `m` after T0 whose prices encode m, so every aggregate is checkable. */
const c1 = (m: number): Candle => ({ ts: T0 + m * MIN, open: 100 + m, high: 200 + m, low: 50 - m / 100, close: 101 + m, volume: 1 + m });

function series(candles: Candle[], tf: Timeframe): CandleSeries {
  const col = (k: keyof Candle) => Float64Array.from(candles, (c) => c[k]);
  return { symbol: 'X', tf, length: candles.length, ts: col('ts'), open: col('open'), high: col('high'), low: col('low'), close: col('close'), volume: col('volume') };
}

/** Pushes every candle, recording what each push emitted (with its partial flag). */
function runIncremental(agg: Aggregator, candles: Candle[]) {
  const out: { at: number; candle: Candle; partial: boolean }[] = [];
  for (const c of candles) {
    for (let k = agg.push(c); k; k = agg.next()) out.push({ at: c.ts, candle: k, partial: agg.lastPartial });
  }
  return out;
}

const minutes = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('Aggregator rules (15m from 1m)', () => {
  it('a full bucket closes exactly when its :14 candle arrives, with open/high/low/close/volume of its candles', () => {
    const agg = new Aggregator('1m', '15m');
    for (const m of minutes(0, 13)) expect(agg.push(c1(m))).toBeNull();
    const k = agg.push(c1(14));
    expect(k).toEqual({ ts: T0, open: 100, high: 214, low: 50 - 14 / 100, close: 115, volume: minutes(0, 14).reduce((s, m) => s + 1 + m, 0) });
    expect(agg.lastPartial).toBe(false);
    expect(agg.next()).toBeNull();
  });

  it('a gap inside the bucket: still closes at :14, flagged partial', () => {
    const out = runIncremental(new Aggregator('1m', '15m'), [...minutes(0, 5), ...minutes(9, 14)].map(c1));
    expect(out).toHaveLength(1);
    expect(out[0].at).toBe(T0 + 14 * MIN);
    expect(out[0].partial).toBe(true);
    expect(out[0].candle.volume).toBe([...minutes(0, 5), ...minutes(9, 14)].reduce((s, m) => s + 1 + m, 0));
  });

  it('a gap that swallows :14 closes the bucket when the next bucket starts, flagged partial; nothing is invented', () => {
    const agg = new Aggregator('1m', '15m');
    for (const m of minutes(0, 11)) expect(agg.push(c1(m))).toBeNull();
    const k = agg.push(c1(17));
    expect(k).toEqual({ ts: T0, open: 100, high: 211, low: 50 - 11 / 100, close: 112, volume: minutes(0, 11).reduce((s, m) => s + 1 + m, 0) });
    expect(agg.lastPartial).toBe(true);
    expect(agg.next()).toBeNull();
    // The :15 bucket goes on with :17 as its first candle.
    for (const m of minutes(18, 28)) expect(agg.push(c1(m))).toBeNull();
    const k2 = agg.push(c1(29));
    expect(k2?.ts).toBe(T0 + 15 * MIN);
    expect(k2?.open).toBe(117);
    expect(agg.lastPartial).toBe(true);
  });

  it('one push can close two buckets: the gap-closed one from push(), the one it completes from next()', () => {
    const agg = new Aggregator('1m', '15m');
    for (const m of minutes(0, 12)) agg.push(c1(m));
    const first = agg.push(c1(29));
    expect(first?.ts).toBe(T0);
    expect(agg.lastPartial).toBe(true);
    const second = agg.next();
    expect(second).toEqual({ ts: T0 + 15 * MIN, open: 129, high: 229, low: 50 - 29 / 100, close: 130, volume: 30 });
    expect(agg.lastPartial).toBe(true);
    expect(agg.next()).toBeNull();
    expect(agg.push(c1(30))).toBeNull();
  });

  it('data starting mid-bucket gives a partial first bucket; a whole missing bucket is skipped, not filled', () => {
    const out = runIncremental(new Aggregator('1m', '15m'), [...minutes(7, 14), ...minutes(45, 59)].map(c1));
    expect(out.map((o) => [o.candle.ts - T0, o.partial])).toEqual([[0, true], [45 * MIN, false]]);
  });

  it('buckets are UTC-aligned: 4h from 1h starts at 00, 04, 08 UTC', () => {
    const hours = Array.from({ length: 13 }, (_, h) => ({ ts: T0 + 2 * 3_600_000 + h * 3_600_000, open: 1, high: 2, low: 1, close: 1, volume: 1 }));
    const out = runIncremental(new Aggregator('1h', '4h'), hours);
    expect(out.map((o) => new Date(o.candle.ts).toISOString().slice(11, 16))).toEqual(['00:00', '04:00', '08:00']);
    expect(out.map((o) => o.partial)).toEqual([true, false, false]);
    expect(out.map((o) => new Date(o.at).toISOString().slice(11, 16))).toEqual(['03:00', '07:00', '11:00']);
  });

  it('rejects candles out of order, misaligned, and a target finer than the base', () => {
    const agg = new Aggregator('1m', '5m');
    agg.push(c1(3));
    expect(() => agg.push(c1(3))).toThrow(/is not after/);
    expect(() => agg.push({ ...c1(4), ts: T0 + 4 * MIN + 1 })).toThrow(/not aligned to 1m/);
    expect(() => new Aggregator('1h', '15m')).toThrow('cannot aggregate 1h candles to 15m');
  });
});

describe('aggregateSeries', () => {
  it('does not emit the unfinished last bucket and marks partial buckets', () => {
    const s = aggregateSeries(series([...minutes(0, 14), ...minutes(15, 20), ...minutes(31, 44), ...minutes(45, 50)].map(c1), '1m'), '15m');
    expect(Array.from(s.ts, (t) => (t - T0) / MIN)).toEqual([0, 15, 30]);
    expect(Array.from(s.partial!)).toEqual([0, 1, 1]);
    expect(s.tf).toBe('15m');
  });

  it('an empty series gives an empty one', () => {
    expect(aggregateSeries(series([], '1m'), '1h').length).toBe(0);
  });
});

// ---- properties ----

const PAIRS: [Timeframe, Timeframe][] = [['1m', '5m'], ['1m', '15m'], ['1m', '1h'], ['5m', '15m'], ['5m', '1h'], ['5m', '4h'], ['1h', '4h']];

/** Random base candles: a random start, random gaps (single holes and long runs). */
const arbCase = fc
  .record({
    pair: fc.constantFrom(...PAIRS),
    start: fc.integer({ min: 0, max: 500 }),
    steps: fc.array(fc.oneof(fc.constant(1), fc.constant(1), fc.constant(1), fc.integer({ min: 2, max: 80 })), { minLength: 0, maxLength: 400 }),
    seed: fc.integer({ min: 1, max: 1000 }),
  })
  .map(({ pair: [base, target], start, steps, seed }) => {
    const ms = TF_MS[base];
    const candles: Candle[] = [];
    let k = start;
    for (let i = 0; i <= steps.length; i++) {
      const p = 100 + ((k * seed) % 37);
      candles.push({ ts: T0 + k * ms, open: p, high: p + 3 + (k % 5), low: p - 2 - (k % 3), close: p + ((k % 7) - 3) / 2, volume: (k % 11) + 0.1 });
      k += steps[i] ?? 1;
    }
    return { base, target, candles };
  });

describe('properties', () => {
  it('incremental and batch aggregation give the same candles and partial flags', () => {
    fc.assert(
      fc.property(arbCase, ({ base, target, candles }) => {
        const inc = runIncremental(new Aggregator(base, target), candles);
        const bat = aggregateSeries(series(candles, base), target);
        expect(bat.length).toBe(inc.length);
        for (let i = 0; i < inc.length; i++) {
          const k = inc[i].candle;
          expect([bat.ts[i], bat.open[i], bat.high[i], bat.low[i], bat.close[i], bat.volume[i]]).toEqual([k.ts, k.open, k.high, k.low, k.close, k.volume]);
          expect(bat.partial![i] === 1).toBe(inc[i].partial);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a bucket is emitted only once closed and as soon as it is known closed; partial exactly when candles are missing', () => {
    fc.assert(
      fc.property(arbCase, ({ base, target, candles }) => {
        const baseMs = TF_MS[base];
        const targetMs = TF_MS[target];
        const out = runIncremental(new Aggregator(base, target), candles);
        const tsList = candles.map((c) => c.ts);
        for (const { at, candle, partial } of out) {
          const bucketEnd = candle.ts + targetMs;
          // Never before close: the candle that revealed it closes at or after the bucket's close.
          expect(at + baseMs).toBeGreaterThanOrEqual(bucketEnd);
          // As soon as known: the revealing candle is the first one at or after the bucket's last slot.
          const first = tsList.find((t) => t >= bucketEnd - baseMs);
          expect(at).toBe(first);
          const inBucket = tsList.filter((t) => t >= candle.ts && t < bucketEnd).length;
          expect(partial).toBe(inBucket < targetMs / baseMs);
          expect(candle.ts % targetMs).toBe(0);
        }
      }),
      { numRuns: 300 },
    );
  });
});

// ---- real data ----

describe('aggregation on the real files', () => {
  for (const sym of FIVE_COINS) {
    it(`${sym}: binance-spot 2024 5m summed to 1h reproduces the 1h file for every overlapping hour`, () => {
      const base = loadCandleFile(ohlcv(`binance-spot/${sym}-5m.csv.gz`));
      const hourly = loadCandleFile(ohlcv(`binance-spot/${sym}-1h.csv.gz`));
      const agg = aggregateSeries(base, '1h');
      let j = 0;
      let compared = 0;
      for (let i = 0; i < agg.length; i++) {
        expect(agg.partial![i]).toBe(0); // the 2024 5m files have no gaps
        while (hourly.ts[j] < agg.ts[i]) j++;
        expect(hourly.ts[j]).toBe(agg.ts[i]);
        expect([agg.open[i], agg.high[i], agg.low[i], agg.close[i]]).toEqual([hourly.open[j], hourly.high[j], hourly.low[j], hourly.close[j]]);
        // Twelve binary-float additions can differ from the decimal sum in the last bit.
        expect(Math.abs(agg.volume[i] - hourly.volume[j])).toBeLessThanOrEqual(2e-15 * hourly.volume[j]);
        compared++;
      }
      expect(compared).toBeGreaterThan(5900);
    });
  }

  it('BTCUSDT 2021 1m to 1h: the gap hours are partial, 1017 of 1020 complete hours match the 1h file (README)', () => {
    const agg = aggregateSeries(loadCandleFile(ohlcv('binance-spot/BTCUSDT-1m.csv.gz')), '1h');
    const hourly = loadCandleFile(ohlcv('binance-spot/BTCUSDT-1h.csv.gz'));
    const partial: string[] = [];
    const differ: string[] = [];
    let complete = 0;
    let j = 0;
    for (let i = 0; i < agg.length; i++) {
      const iso = new Date(agg.ts[i]).toISOString().slice(0, 16);
      if (agg.partial![i]) {
        partial.push(iso);
        continue;
      }
      complete++;
      while (hourly.ts[j] < agg.ts[i]) j++;
      const same = hourly.ts[j] === agg.ts[i] && agg.open[i] === hourly.open[j] && agg.high[i] === hourly.high[j] && agg.low[i] === hourly.low[j] && agg.close[i] === hourly.close[j] && Math.abs(agg.volume[i] - hourly.volume[j]) <= 1e-12 * hourly.volume[j];
      if (!same) differ.push(iso);
    }
    expect(complete).toBe(1020);
    expect(partial).toEqual(['2021-04-20T04:00', '2021-04-25T04:00', '2021-04-25T08:00']);
    expect(differ).toEqual(['2021-04-22T02:00', '2021-04-23T01:00', '2021-04-23T02:00']);
  });
});
