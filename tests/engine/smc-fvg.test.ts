import { describe, expect, it } from 'vitest';
import { barClose, barTs, bars, mirror, ofType, run } from './helpers/smc.js';
import type { Candle } from '../../engine/types.js';

type Row = [number, number, number, number];
const P = { swing_length: 50 };
const gapsOf = (c: Candle[], over = {}) => ofType(run(c, { ...P, ...over }).out, 'fvg').map((r) => r.data);

const BULL: Row[] = [
  [100, 101, 99, 100], // c2: high 101
  [100, 104, 100, 104], // c1
  [104, 106, 102, 105], // c0: low 102 > 101 → zone [101, 102], size 1/105
];

describe('fair value gaps', () => {
  it('finds a bullish gap between c2.high and c0.low, dated by the middle candle', () => {
    expect(gapsOf(bars(BULL))).toEqual([
      { side: 'bullish', tf: '15m', ts: barTs(1), top: 102, bottom: 101, confirmedAt: barClose(2), filledAt: null },
    ]);
  });

  it('mirrors for bearish: c0.high below c2.low, zone [high0, low2]', () => {
    expect(gapsOf(mirror(bars(BULL)))).toEqual([
      { side: 'bearish', tf: '15m', ts: barTs(1), top: 99, bottom: 98, confirmedAt: barClose(2), filledAt: null },
    ]);
  });

  it('touching wicks are no gap', () => {
    const rows: Row[] = [[100, 101, 99, 100], [100, 104, 100, 104], [104, 106, 101, 105]];
    expect(gapsOf(bars(rows), { fvg_min_size: 0 })).toEqual([]);
    expect(gapsOf(mirror(bars(rows)), { fvg_min_size: 0 })).toEqual([]);
  });

  it('a gap exactly at fvg_min_size counts; one just under does not', () => {
    // (1000 - 999) / 1000 is exactly the double 0.001 (the default minimum).
    const at: Row[] = [[995, 999, 990, 998], [998, 1003, 998, 1002], [1002, 1005, 1000, 1000]];
    expect(gapsOf(bars(at))).toHaveLength(1);
    const under: Row[] = [[995, 999, 990, 998], [998, 1003, 998, 1002], [1002, 1005, 1000, 1001]];
    expect(gapsOf(bars(under))).toEqual([]);
    expect(gapsOf(bars(under), { fvg_min_size: 0 })).toHaveLength(1);
    // Bearish at the minimum: (1001 - 1000) / 1000.
    const bear: Row[] = [[1005, 1010, 1001, 1002], [1002, 1002, 998, 999], [999, 1000, 995, 1000]];
    expect(gapsOf(bars(bear)).map((g) => [g.side, g.bottom, g.top])).toEqual([['bearish', 1000, 1001]]);
    const bearUnder: Row[] = [[1005, 1010, 1001, 1002], [1002, 1002, 998, 999], [999, 1000, 995, 1000.5]];
    expect(gapsOf(bars(bearUnder))).toEqual([]);
  });

  it('is filled only by a later close strictly below the bottom (a wick or a close at the bottom is not enough)', () => {
    const rows: Row[] = [...BULL, [105, 106, 100, 101], [101, 102, 100.5, 100.9]];
    const { state, out } = run(bars(rows), P);
    expect(ofType(out, 'fvg_filled').map((e) => [e.ts, e.ref.ts, e.ref.filledAt])).toEqual([[barClose(4), barTs(1), barClose(4)]]);
    expect(state.liveFvgs('bullish')).toEqual([]);
    const before = run(bars(rows.slice(0, 4)), P).state;
    expect(before.liveFvgs('bullish').map((g) => g.ts)).toEqual([barTs(1)]); // wick to 100 and close at 101 did not fill
  });

  it('a bearish gap is filled by a close strictly above its top', () => {
    const rows: Row[] = [...BULL, [105, 106, 100, 101], [101, 102, 100.5, 100.9]];
    const { state, out } = run(mirror(bars(rows)), P);
    expect(ofType(out, 'fvg_filled').map((e) => [e.ref.side, e.ts])).toEqual([['bearish', barClose(4)]]);
    expect(state.liveFvgs('bearish')).toEqual([]);
  });

  it('several gaps live and die independently', () => {
    const rows: Row[] = [
      [100, 101, 99, 100], [100, 104, 100, 104], [104, 108, 102, 107], // gap A [101, 102]
      [107, 110, 106, 109], // gap B: b1 high 104 < b3 low 106 → [104, 106]
      [109, 110, 103, 103.5], //                                        closes below 104: fills B only
    ];
    const { state, out } = run(bars(rows), P);
    expect(ofType(out, 'fvg').map((r) => [r.data.bottom, r.data.top])).toEqual([[101, 102], [104, 106]]);
    expect(ofType(out, 'fvg_filled').map((e) => e.ref.bottom)).toEqual([104]);
    expect(state.liveFvgs('bullish').map((g) => g.bottom)).toEqual([101]);
  });

  it('a time gap between candles does not matter: three consecutive candles are used as they arrive', () => {
    const c = bars(BULL);
    c[2] = { ...c[2], ts: c[2].ts + 3_600_000 };
    expect(gapsOf(c).map((g) => [g.ts, g.confirmedAt])).toEqual([[barTs(1), c[2].ts + 900_000]]);
  });
});
