import { describe, expect, it } from 'vitest';
import { describeGaps, gapReport } from '../../src/data/gaps.js';
import { parseCandleCsv, loadCandleFile } from '../../src/data/load.js';
import { FIVE_COINS, ohlcv } from './paths.js';

describe('gapReport', () => {
  for (const sym of FIVE_COINS) {
    it(`binance-spot ${sym}-1m: 434 missing candles in 2 gaps, the largest 284 from 2021-04-25 04:01`, () => {
      const s = loadCandleFile(ohlcv(`binance-spot/${sym}-1m.csv.gz`));
      const r = gapReport(s);
      expect(r.count).toBe(2);
      expect(r.missingCandles).toBe(434);
      expect(r.largest).toEqual({ from: Date.UTC(2021, 3, 25, 4, 1), to: Date.UTC(2021, 3, 25, 8, 45), missing: 284 });
      expect(describeGaps(s, r)).toBe('2 gaps, 434 missing 1m candles, largest 284 from 2021-04-25T04:01:00.000Z');
    });
  }

  it('a gap-free file reports none', () => {
    const s = loadCandleFile(ohlcv('binance-spot/BTCUSDT-5m.csv.gz'));
    expect(gapReport(s)).toEqual({ count: 0, missingCandles: 0, largest: null });
  });

  it('the BTC 1h file: 122 missing in 27 gaps, the largest 33 h from 2018-02-08 01:00', () => {
    const r = gapReport(loadCandleFile(ohlcv('binance-spot/BTCUSDT-1h.csv.gz')));
    expect([r.count, r.missingCandles, r.largest?.missing, r.largest?.from]).toEqual([27, 122, 33, Date.UTC(2018, 1, 8, 1)]);
  });

  it('hand-built: two gaps, a tie keeps the earliest', () => {
    const rows = [0, 1, 4, 5, 8, 9].map((m) => `${m * 300000},1,1,1,1,1`);
    const s = parseCandleCsv(Buffer.from(['ts,open,high,low,close,volume', ...rows].join('\n')), { file: 'f', symbol: 'X', tf: '5m' });
    expect(gapReport(s)).toEqual({ count: 2, missingCandles: 4, largest: { from: 600000, to: 1200000, missing: 2 } });
  });
});
