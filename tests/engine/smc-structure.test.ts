import { describe, expect, it } from 'vitest';
import { barClose, barTs, bars, mirror, ofType, run } from './helpers/smc.js';
import type { Candle } from '../../engine/types.js';

// swing_length 1: a pivot needs one lower high / higher low on each side.
// Swings: H b1=14, L b3=10.5, H b5=16, L b7=12, H b9=17.5, L b11=14, H b13=18.2, L b13=13.
const ZIGZAG = bars([
  [10, 11, 9, 10], //      b0
  [10, 14, 10, 13], //     b1 swing high 14 (confirmed b2)
  [13, 13, 11, 12], //     b2
  [12, 12.5, 10.5, 11], // b3 swing low 10.5 (confirmed b4)
  [11, 15, 11, 14.5], //   b4 closes above 14: BOS bullish (trend still neutral)
  [14.5, 16, 13, 15], //   b5 swing high 16: HH
  [15, 15.5, 14, 14.2], // b6
  [14.2, 14.5, 12, 12.5], // b7 swing low 12: HL → bullish (confirmed b8)
  [12.5, 17, 12.5, 16.8], // b8 closes above 16: BOS bullish
  [16.8, 17.5, 16, 17], // b9 swing high 17.5
  [17, 17.2, 15, 15.5], // b10
  [15.5, 16, 14, 14.5], // b11 swing low 14 (confirmed b12)
  [14.5, 18, 14.5, 17.8], // b12 closes above 17.5 in a bullish trend: BOS
  [17.8, 18.2, 13, 13.5], // b13 closes below 14 in a bullish trend: CHoCH bearish; swing high 18.2 and low 13
  [13.5, 14, 13.2, 13.8], // b14 below 14 again: that level already broke, nothing
  [13.8, 13.9, 11.5, 12], // b15 closes below 13; trend neutral (HH + LL): BOS bearish
]);

const events = (c: Candle[]) => ofType(run(c, { swing_length: 1 }).out, 'structure').map((r) => r.data);

describe('market structure', () => {
  it('emits BOS with the trend, CHoCH against it, BOS when neutral, each level once', () => {
    const ev = events(ZIGZAG);
    expect(ev.map((e) => [e.kind, e.side, e.level, e.swingTs, e.ts, e.confirmedAt])).toEqual([
      ['bos', 'bullish', 14, barTs(1), barTs(4), barClose(4)],
      ['bos', 'bullish', 16, barTs(5), barTs(8), barClose(8)],
      ['bos', 'bullish', 17.5, barTs(9), barTs(12), barClose(12)],
      ['choch', 'bearish', 14, barTs(11), barTs(13), barClose(13)],
      ['bos', 'bearish', 13, barTs(13), barTs(15), barClose(15)],
    ]);
    expect(ev.every((e) => e.tf === '15m')).toBe(true);
  });

  it('mirrors: the reflected zigzag gives the same events on the other side', () => {
    const ev = events(mirror(ZIGZAG));
    expect(ev.map((e) => [e.kind, e.side, e.level, e.swingTs])).toEqual([
      ['bos', 'bearish', 200 - 14, barTs(1)],
      ['bos', 'bearish', 200 - 16, barTs(5)],
      ['bos', 'bearish', 200 - 17.5, barTs(9)],
      ['choch', 'bullish', 200 - 14, barTs(11)],
      ['bos', 'bullish', 200 - 13, barTs(13)],
    ]);
  });

  it('tracks the trend: neutral, bullish after HH + HL, neutral after HH + LL', () => {
    const at = (n: number, c = ZIGZAG) => run(c.slice(0, n), { swing_length: 1 }).state.structure;
    expect(at(7)).toBe('neutral'); // one higher high, only one low
    expect(at(9)).toBe('bullish'); // low 12 > 10.5 confirmed at b8
    expect(at(14)).toBe('bullish');
    expect(at(15)).toBe('neutral'); // 18.2 > 17.5 but 13 < 14
    expect(at(9, mirror(ZIGZAG))).toBe('bearish');
  });

  it('equal swing highs are neither higher nor lower: the trend stays neutral', () => {
    const rows: [number, number, number, number][] = [
      [10, 11, 9, 10], [10, 14, 10, 13], [13, 13, 11, 12], [12, 12.5, 10.5, 11], // H 14, L 10.5
      [11, 13.5, 11, 13], [13, 14, 12.5, 13.5], [13.5, 13.8, 12, 12.5], [12.5, 13, 12.2, 12.8], // H 14 again, L 12
    ];
    const trend = (r: typeof rows) => run(bars(r), { swing_length: 1 }).state.structure;
    expect(trend(rows)).toBe('neutral');
    const higher = rows.map((x) => [...x] as typeof x);
    higher[5][1] = 14.5;
    expect(trend(higher)).toBe('bullish');
  });

  it('a close exactly at the swing level is not a break', () => {
    const c = ZIGZAG.slice(0, 5).map((x) => ({ ...x }));
    c[4].close = 14; // b4 closes at the b1 high
    expect(events(c)).toEqual([]);
    c[4].close = 14.01;
    expect(events(c)).toHaveLength(1);
  });

  it('needs a close beyond the level, not a wick', () => {
    const c = ZIGZAG.slice(0, 5).map((x) => ({ ...x }));
    c[4] = { ...c[4], high: 20, close: 13.9 };
    expect(events(c)).toEqual([]);
  });

  it('is off (neutral, no events) when structures are disabled', () => {
    const r = run(ZIGZAG, { swing_length: 1 }, { structures: false, sweeps: true });
    expect(ofType(r.out, 'structure')).toEqual([]);
    expect(r.state.structure).toBe('neutral');
  });
});
