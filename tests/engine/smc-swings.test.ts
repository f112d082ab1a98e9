import { describe, expect, it } from 'vitest';
import { barClose, barTs, bars, hl, mirror, ofType, run, T0 } from './helpers/smc.js';
import type { Candle } from '../../engine/types.js';

const swingsOf = (candles: Candle[], L = 2) =>
  ofType(run(candles, { swing_length: L }, { structures: false, sweeps: true }).out, 'swing').map((r) => r.data);

describe('swing points', () => {
  it('confirms a pivot high swing_length bars after it, with the pivot candle time', () => {
    const c = bars([hl(10, 9), hl(11, 10), hl(15, 12), hl(13, 11.5), hl(12, 11)]);
    expect(swingsOf(c.slice(0, 4)).filter((s) => s.kind === 'high')).toEqual([]); // right side incomplete
    const highs = swingsOf(c).filter((s) => s.kind === 'high');
    expect(highs).toEqual([{ kind: 'high', tf: '15m', ts: barTs(2), price: 15, confirmedAt: barClose(4) }]);
  });

  it('confirms a pivot low, and the bearish mirror of a pivot high is a pivot low', () => {
    const c = bars([hl(10, 9), hl(11, 10), hl(15, 12), hl(13, 11.5), hl(12, 11)]);
    const lows = swingsOf(mirror(c)).filter((s) => s.kind === 'low');
    expect(lows).toEqual([{ kind: 'low', tf: '15m', ts: barTs(2), price: 200 - 15, confirmedAt: barClose(4) }]);
  });

  it('equal highs make no pivot (strict), on either side', () => {
    const left = bars([hl(10, 9), hl(15, 10), hl(15, 12), hl(13, 11.5), hl(12, 11), hl(11, 10)]);
    expect(swingsOf(left).filter((s) => s.kind === 'high')).toEqual([]);
    const right = bars([hl(10, 9), hl(11, 10), hl(15, 12), hl(13, 11.5), hl(15, 11), hl(11, 10), hl(10, 9)]);
    expect(swingsOf(right).filter((s) => s.kind === 'high' && s.ts === barTs(2))).toEqual([]);
  });

  it('one outside bar can be both a swing high and a swing low', () => {
    const c = bars([hl(12, 10), hl(12, 10), hl(20, 5), hl(12, 10), hl(12, 10)]);
    const s = swingsOf(c);
    expect(s.map((x) => [x.kind, x.ts, x.price])).toEqual([['high', barTs(2), 20], ['low', barTs(2), 5]]);
  });

  it('the first swing_length bars cannot be pivots (no left side)', () => {
    const c = bars([hl(30, 1), hl(12, 10), hl(12, 10), hl(12, 10)]);
    expect(swingsOf(c)).toEqual([]);
  });

  it('zero-range candles of one price produce no swings', () => {
    const c = bars(Array.from({ length: 12 }, () => [50, 50, 50, 50] as [number, number, number, number]));
    expect(swingsOf(c)).toEqual([]);
  });

  it('counts bars, not time, across a gap; confirmation is the close of the confirming candle', () => {
    const c = bars([hl(10, 9), hl(11, 10), hl(15, 12), hl(13, 11.5), hl(12, 11)]);
    const gapMs = 7 * 900_000;
    for (let i = 3; i < c.length; i++) c[i].ts += gapMs;
    const highs = swingsOf(c).filter((s) => s.kind === 'high');
    expect(highs).toEqual([{ kind: 'high', tf: '15m', ts: T0 + 2 * 900_000, price: 15, confirmedAt: c[4].ts + 900_000 }]);
  });

  it('exposes the most recent confirmed swings on the state', () => {
    const c = bars([hl(10, 9), hl(11, 10), hl(15, 12), hl(13, 11.5), hl(12, 11), hl(14, 8), hl(16, 10), hl(17, 11)]);
    const { state } = run(c, { swing_length: 1 }, { structures: false, sweeps: true });
    expect(state.lastSwingHigh).toMatchObject({ kind: 'high', price: 15, ts: barTs(2) });
    expect(state.lastSwingLow).toMatchObject({ kind: 'low', price: 8, ts: barTs(5), confirmedAt: barClose(6) });
  });
});
