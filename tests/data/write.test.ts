import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCandleFile } from '../../src/data/load.js';
import { candleCsv, writeCandleCsv } from '../../src/data/write.js';
import { ohlcv, scratch } from './paths.js';

const sc = scratch();
afterAll(() => sc.cleanup());

describe('writeCandleCsv', () => {
  it('a real file written back (gzipped and plain) loads to the same values', () => {
    const s = loadCandleFile(ohlcv('binance-usdm/DOGEUSDT-4h.csv.gz'));
    for (const name of ['DOGEUSDT-4h.csv.gz', 'DOGEUSDT-4h.csv']) {
      const p = `${sc.dir}/${name}`;
      writeCandleCsv(p, s);
      const back = loadCandleFile(p);
      expect(back.length).toBe(s.length);
      for (const k of ['ts', 'open', 'high', 'low', 'close', 'volume'] as const) expect(Array.from(back[k])).toEqual(Array.from(s[k]));
    }
    const raw = readFileSync(`${sc.dir}/DOGEUSDT-4h.csv.gz`);
    expect([raw[0], raw[1]]).toEqual([0x1f, 0x8b]);
  });

  it('writes candle objects in the loader format, tiny volumes round-trip through scientific notation', () => {
    const candles = [
      { ts: 0, open: 0.1, high: 0.3, low: 0.1, close: 0.2, volume: 1e-7 },
      { ts: 60000, open: 0.2, high: 0.2, low: 0.2, close: 0.2, volume: 0 },
    ];
    expect(candleCsv(candles)).toBe('ts,open,high,low,close,volume\n0,0.1,0.3,0.1,0.2,1e-7\n60000,0.2,0.2,0.2,0.2,0\n');
    const p = `${sc.dir}/ABC-1m.csv`;
    writeCandleCsv(p, candles);
    expect(loadCandleFile(p).volume[0]).toBe(1e-7);
  });
});
