// The session's side of the coin universe on real SOLUSDT candles: a coin added to a running
// session trades like one configured from the start; an unscanned coin gets no new entries but
// its analysis keeps up, so it signals again as soon as it is scanned again.
import { beforeAll, describe, expect, it } from 'vitest';
import { coinConfig } from '../../engine/params.js';
import type { Candle } from '../../engine/types.js';
import { findSignal, play, session, solCandles, warmed } from './universe-signal.js';

let c: Candle[];
let found: ReturnType<typeof findSignal>;
beforeAll(() => {
  c = solCandles();
  found = findSignal(c);
});

describe('TradingSession and the coin universe', () => {
  it('a coin added with addSymbol signals exactly like a coin the session started with', () => {
    const s = session(['BTCUSDT']);
    expect(s.isScanning('SOLUSDT')).toBe(false); // unknown yet
    expect(s.addSymbol('SOLUSDT', coinConfig('SOLUSDT'))).toBe(true);
    expect(s.addSymbol('SOLUSDT')).toBe(false); // already there: left as it is
    expect(s.isScanning('SOLUSDT')).toBe(true);
    const got = play(warmed(c, found.start, s), c, found.start, found.signalIndex + 1);
    expect(got[0]).toEqual({ i: found.signalIndex, time: found.signalTime });
  });

  it('an unscanned coin gets no signal; scanned again, its analysis is current and it signals on time', () => {
    const off = warmed(c, found.start);
    off.setScanning('SOLUSDT', false);
    expect(off.isScanning('SOLUSDT')).toBe(false);
    expect(play(off, c, found.start, found.signalIndex + 1)).toEqual([]);

    const back = warmed(c, found.start);
    back.setScanning('SOLUSDT', false);
    expect(play(back, c, found.start, found.signalIndex - 1)).toEqual([]);
    back.setScanning('SOLUSDT', true);
    expect(play(back, c, found.signalIndex, found.signalIndex + 1)[0]).toEqual({ i: found.signalIndex, time: found.signalTime });
  });
});
