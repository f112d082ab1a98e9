import { describe, expect, it } from 'vitest';
import { barClose, barTs, bars, mirror, ofType, run } from './helpers/smc.js';
import type { Candle } from '../../engine/types.js';

type Row = [number, number, number, number];
const P = { swing_length: 1 };
const LTF = { structures: false, sweeps: true };
const sweepsOf = (c: Candle[]) => ofType(run(c, P, LTF).out, 'sweep').map((r) => r.data);

// b1 is a swing low at 9.5 (confirmed at b2's close).
const SETUP: Row[] = [
  [10, 11, 10, 10.5], // b0
  [10.5, 10.8, 9.5, 10], // b1 swing low 9.5
  [10, 11, 9.8, 10.5], // b2
];

describe('liquidity sweeps', () => {
  it('bullish: low below the last swing low, close back above it, bullish candle', () => {
    const c = bars([...SETUP, [9.6, 10.6, 9.2, 9.9]]);
    expect(sweepsOf(c)).toEqual([
      { side: 'bullish', tf: '15m', ts: barTs(3), level: 9.5, swingTs: barTs(1), confirmedAt: barClose(3) },
    ]);
  });

  it('bearish mirrors it with the last swing high', () => {
    const c = mirror(bars([...SETUP, [9.6, 10.6, 9.2, 9.9]]));
    expect(sweepsOf(c)).toEqual([
      { side: 'bearish', tf: '15m', ts: barTs(3), level: 200 - 9.5, swingTs: barTs(1), confirmedAt: barClose(3) },
    ]);
  });

  it('needs a bullish candle, a close strictly above and a low strictly below the level', () => {
    expect(sweepsOf(bars([...SETUP, [10, 10.6, 9.2, 9.9]]))).toEqual([]); // bearish candle
    expect(sweepsOf(bars([...SETUP, [9.9, 9.9, 9.2, 9.9]]))).toEqual([]); // close = open
    expect(sweepsOf(bars([...SETUP, [9.2, 10.6, 9.2, 9.5]]))).toEqual([]); // close at the level
    expect(sweepsOf(bars([...SETUP, [9.6, 10.6, 9.5, 9.9]]))).toEqual([]); // low at the level
    expect(sweepsOf(bars([...SETUP.slice(0, 2), [9.6, 10.6, 9.2, 9.9]]))).toEqual([]); // swing not yet confirmed
  });

  it('uses only swings confirmed before the candle: the one it confirms itself does not count', () => {
    const c = bars([
      ...SETUP,
      [10.5, 10.6, 8, 8.5], // b3: trades below 9.5 but closes below it (no sweep); will be a swing low at 8
      [9.2, 9.9, 9, 9.8], //   b4: confirms the swing low 8, and sweeps the older 9.5 (known before b4)
    ]);
    expect(sweepsOf(c).map((s) => [s.ts, s.level, s.swingTs])).toEqual([[barTs(4), 9.5, barTs(1)]]);
    const { state } = run(c, P, LTF);
    expect(state.lastSwingLow).toMatchObject({ price: 8, ts: barTs(3), confirmedAt: barClose(4) });
  });

  it('counts bars since the last sweep per side; Infinity before any', () => {
    const rows: Row[] = [...SETUP, [9.6, 10.6, 9.2, 9.9]];
    expect(run(bars(SETUP), P, LTF).state.barsSinceSweep('bullish')).toBe(Infinity);
    const after = (extra: number) => {
      const more: Row[] = Array.from({ length: extra }, () => [9.9, 10, 9.8, 9.95] as Row);
      return run(bars([...rows, ...more]), P, LTF).state;
    };
    expect(after(0).barsSinceSweep('bullish')).toBe(0);
    expect(after(0).barsSinceSweep('bearish')).toBe(Infinity);
    expect(after(3).barsSinceSweep('bullish')).toBe(3);
    expect(run(mirror(bars(rows)), P, LTF).state.barsSinceSweep('bearish')).toBe(0);
  });

  it('is off when sweeps are disabled (and on the mtf-style state)', () => {
    const c = bars([...SETUP, [9.6, 10.6, 9.2, 9.9]]);
    const r = run(c, P, { structures: true, sweeps: false });
    expect(ofType(r.out, 'sweep')).toEqual([]);
    expect(r.state.barsSinceSweep('bullish')).toBe(Infinity);
  });
});
