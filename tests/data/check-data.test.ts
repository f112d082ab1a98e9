import { describe, expect, it } from 'vitest';
import { checkData } from '../../src/cli/commands/check-data.js';
import { ohlcv } from './paths.js';

describe('smc check-data', () => {
  it('summarises a real file with its gaps', () => {
    const f = ohlcv('binance-spot/BTCUSDT-1m.csv.gz');
    expect(checkData([f])).toEqual([
      `${f}: BTCUSDT 1m, 61272 candles, 2021-04-02T00:00Z .. 2021-05-14T20:25Z, 2 gaps, 434 missing 1m candles, largest 284 from 2021-04-25T04:01:00.000Z`,
    ]);
  });

  it('expands a folder to its candle files', () => {
    const lines = checkData([ohlcv('binance-usdm')]);
    expect(lines).toHaveLength(15);
    expect(lines.find((l) => l.includes('AVAXUSDT-4h'))).toMatch(/AVAXUSDT 4h, 828 candles, 2025-05-09T00:00Z .. 2025-09-23T20:00Z, no gaps in 828 4h candles$/);
  });

  it('a missing path is one line', () => {
    expect(() => checkData([ohlcv('nope')])).toThrow(`${ohlcv('nope')}: no such file or folder`);
  });
});
