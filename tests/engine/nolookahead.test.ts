// No lookahead: what the detectors emit up to a moment never depends on candles after it, and
// nothing is emitted before the candle that reveals it has closed.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { run, T0, type Emitted } from './helpers/smc.js';
import { TF_MS } from '../../engine/timeframe.js';
import type { Candle } from '../../engine/types.js';
import type { SmcRecord } from '../../engine/smc/timeframe-state.js';
import { readCandles } from './helpers/read-csv.js';

const TF = '5m' as const;
const MS = TF_MS[TF];

/** Random walks with ties, zero-range candles and gaps in time (prices on a 0.5 grid so equal highs happen). */
const candleSeq = fc
  .array(
    fc.record({
      move: fc.integer({ min: -6, max: 6 }),
      body: fc.integer({ min: -4, max: 4 }),
      up: fc.integer({ min: 0, max: 3 }),
      down: fc.integer({ min: 0, max: 3 }),
      skip: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 5 }) }),
    }),
    { minLength: 5, maxLength: 160 },
  )
  .map((steps) => {
    const out: Candle[] = [];
    let price = 200;
    let slot = 0;
    for (const s of steps) {
      slot += 1 + s.skip;
      const open = Math.max(20, price + s.move * 0.5);
      const close = Math.max(10, open + s.body * 0.5);
      const high = Math.max(open, close) + s.up * 0.5;
      const low = Math.max(5, Math.min(open, close) - s.down * 0.5);
      out.push({ ts: T0 + slot * MS, open, high, low, close, volume: 1 });
      price = close;
    }
    return out;
  });

const paramsArb = fc.record({
  swing_length: fc.integer({ min: 1, max: 4 }),
  ob_lookback: fc.integer({ min: 1, max: 6 }),
  ob_impulse_atr: fc.constantFrom(0.5, 1, 1.5),
  atr_period: fc.integer({ min: 2, max: 6 }),
  fvg_min_size: fc.constantFrom(0, 0.001, 0.01),
});

/** The time a record says it became known. */
function knownAt(r: SmcRecord): number {
  return r.type === 'ob_mitigated' || r.type === 'fvg_filled' ? r.ts : r.data.confirmedAt;
}

describe('no lookahead', () => {
  const seen = new Set<string>();

  it('a prefix emits exactly what the full run emitted up to the prefix end; each record is known when emitted', () => {
    fc.assert(
      fc.property(candleSeq, paramsArb, fc.nat(), (candles, over, cut) => {
        const full = run(candles, over, { structures: true, sweeps: true }, TF).out;
        const n = 1 + (cut % candles.length);
        const end = candles[n - 1].ts + MS;
        const prefix = run(candles.slice(0, n), over, { structures: true, sweeps: true }, TF).out;
        expect(prefix).toEqual(full.filter((e: Emitted) => e.at <= end));
        for (const e of full) {
          seen.add(e.rec.type);
          // Emitted during the update of the candle that closed at e.at, and known exactly then.
          expect(knownAt(e.rec)).toBe(e.at);
          // What it describes existed before: a zone was known before the candle that ended it;
          // a structure's candle opened before it became known.
          if (e.rec.type === 'ob_mitigated' || e.rec.type === 'fvg_filled') expect(e.rec.ref.confirmedAt).toBeLessThan(e.at);
          else expect(e.rec.data.ts).toBeLessThan(e.at);
        }
      }),
      { numRuns: 300 },
    );
    // The random walks are rich enough to exercise every kind of record.
    expect([...seen].sort()).toEqual(['fvg', 'fvg_filled', 'ob_mitigated', 'order_block', 'structure', 'sweep', 'swing']);
  });

  it('changing candles after a moment never changes what was emitted up to it', () => {
    fc.assert(
      fc.property(candleSeq, candleSeq, paramsArb, fc.nat(), (a, b, over, cut) => {
        const n = 1 + (cut % a.length);
        const head = a.slice(0, n);
        const last = head[n - 1].ts;
        // A different future: b's shape, shifted to start after the head.
        const shift = last + MS - b[0].ts;
        const tail = b.map((c) => ({ ...c, ts: c.ts + shift }));
        const end = last + MS;
        const x = run([...head, ...a.slice(n)], over, { structures: true, sweeps: true }, TF).out.filter((e) => e.at <= end);
        const y = run([...head, ...tail], over, { structures: true, sweeps: true }, TF).out.filter((e) => e.at <= end);
        expect(y).toEqual(x);
      }),
      { numRuns: 200 },
    );
  });

  it('on a real file, the first 80 % gives exactly the records of the full run known inside it', () => {
    const candles = readCandles('binance-spot/SOLUSDT-5m.csv.gz', 20_000);
    const cut = Math.floor(candles.length * 0.8);
    const full = run(candles, {}, { structures: true, sweeps: true }, TF).out;
    const part = run(candles.slice(0, cut), {}, { structures: true, sweeps: true }, TF).out;
    const end = candles[cut - 1].ts + MS;
    expect(part.length).toBeGreaterThan(1000);
    expect(part).toEqual(full.filter((e) => e.at <= end));
  });
});
