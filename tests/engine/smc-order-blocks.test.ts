import { describe, expect, it } from 'vitest';
import { barClose, barTs, bars, mirror, ofType, run } from './helpers/smc.js';
import type { Candle } from '../../engine/types.js';

// atr_period 2: ATR after b2 = mean(TR b1, TR b2) = mean(10, 10) = 10, so an impulse needs a body > 15.
type Row = [number, number, number, number];
const BASE: Row[] = [
  [100, 105, 95, 100], // b0
  [100, 105, 95, 100], // b1  TR 10
  [100, 102, 92, 94], //  b2  bearish, TR 10 → ATR 10; the OB candle: zone [92, 102], mid 97
];
const P = { atr_period: 2, swing_length: 50 };
const obsOf = (c: Candle[], over = {}) => ofType(run(c, { ...P, ...over }).out, 'order_block').map((r) => r.data);

describe('order blocks', () => {
  it('finds the last bearish candle before a bullish impulse, confirmed at the impulse close', () => {
    const c = bars([...BASE, [94, 111, 94, 110]]); // body 16 > 1.5 × 10
    expect(obsOf(c)).toEqual([{
      side: 'bullish', tf: '15m', ts: barTs(2), top: 102, bottom: 92, mid: 97,
      impulseTs: barTs(3), confirmedAt: barClose(3), mitigatedAt: null,
    }]);
  });

  it('measures the impulse against the ATR of the previous candle, not one inflated by the impulse', () => {
    // With the impulse's own TR (17) the ATR would be 13.5 and the threshold 20.25 > 16.
    const c = bars([...BASE, [94, 111, 94, 110]]);
    const { state } = run(c, P);
    expect(state.atr).toBe(13.5);
    expect(obsOf(c)).toHaveLength(1);
  });

  it('a body exactly at the threshold is not an impulse; no ATR yet means no impulse', () => {
    expect(obsOf(bars([...BASE, [94, 110, 94, 109]]))).toEqual([]); // body 15 = 1.5 × 10
    expect(obsOf(bars([[100, 102, 92, 94], [94, 200, 94, 190]]))).toEqual([]); // ATR not ready
  });

  it('searches only ob_lookback candles back, nearest first, skipping zero-range and bullish candles', () => {
    const rows: Row[] = [...BASE, [94, 94, 94, 94], [94, 96, 93, 95], [95, 112, 95, 111]];
    // b3 zero-range, b4 bullish, b5 impulse (ATR after b4 is still small enough: check it).
    const { state } = run(bars(rows.slice(0, 5)), P);
    expect(16).toBeGreaterThan(1.5 * state.atr);
    expect(obsOf(bars(rows), { ob_lookback: 2 })).toEqual([]);
    expect(obsOf(bars(rows), { ob_lookback: 3 }).map((o) => o.ts)).toEqual([barTs(2)]);
  });

  it('never emits the same OB candle twice for consecutive impulses', () => {
    const c = bars([...BASE, [94, 111, 94, 110], [110, 140, 110, 139]]);
    expect(obsOf(c).map((o) => o.ts)).toEqual([barTs(2)]);
  });

  it('is mitigated by a later low exactly at the midpoint, not just above it', () => {
    const c = bars([...BASE, [94, 111, 94, 110], [110, 112, 97.01, 111], [111, 112, 97, 111]]);
    const { state, out } = run(c, P);
    const ends = ofType(out, 'ob_mitigated');
    expect(ends.map((e) => [e.ts, e.ref.ts, e.ref.mitigatedAt])).toEqual([[barClose(5), barTs(2), barClose(5)]]);
    expect(state.liveOrderBlocks('bullish')).toEqual([]);
    const live = run(c.slice(0, 5), P).state.liveOrderBlocks('bullish');
    expect(live.map((o) => o.ts)).toEqual([barTs(2)]);
  });

  it('the impulse candle itself cannot mitigate its OB', () => {
    const c = bars([...BASE, [96, 113, 90, 112]]); // low 90 below the mid 97, body 16
    const { state, out } = run(c, P);
    expect(ofType(out, 'ob_mitigated')).toEqual([]);
    expect(state.liveOrderBlocks('bullish').map((o) => o.mitigatedAt)).toEqual([null]);
  });

  it('mirrors for bearish: last bullish candle before a bearish impulse, mitigated when a high reaches the mid', () => {
    const c = mirror(bars([...BASE, [94, 111, 94, 110], [110, 112, 97.01, 111], [111, 112, 97, 111]]));
    const { state, out } = run(c, P);
    const obs = ofType(out, 'order_block').map((r) => r.data);
    expect(obs.map((o) => [o.side, o.ts, o.bottom, o.top, o.mid, o.impulseTs])).toEqual([
      ['bearish', barTs(2), 200 - 102, 200 - 92, 200 - 97, barTs(3)],
    ]);
    expect(ofType(out, 'ob_mitigated').map((e) => e.ts)).toEqual([barClose(5)]);
    expect(state.liveOrderBlocks('bearish')).toEqual([]);
    expect(state.liveOrderBlocks('bullish')).toEqual([]);
  });

  it('keeps several live OBs and kills only those a candle reaches', () => {
    // Two separate bullish OBs at different heights; a dip to 150 kills the upper one only.
    const rows: Row[] = [
      ...BASE, [94, 111, 94, 110], //                     OB1 b2 zone [92,102] mid 97
      [110, 121, 109, 120], [120, 120, 112, 113], //      b5 bearish: zone [112,120], mid 116
      [113, 150, 113, 149], //                            b6 impulse (body 36): OB2 = b5
      [149, 150, 115, 140], //                            low 115 ≤ 116: kills OB2, not OB1
    ];
    const { state, out } = run(bars(rows), P);
    expect(ofType(out, 'order_block').map((r) => r.data.ts)).toEqual([barTs(2), barTs(5)]);
    expect(ofType(out, 'ob_mitigated').map((e) => e.ref.ts)).toEqual([barTs(5)]);
    expect(state.liveOrderBlocks('bullish').map((o) => o.ts)).toEqual([barTs(2)]);
  });
});
