import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCandleFile, parseCandleCsv, sliceSeries } from '../../src/data/load.js';
import { DataError, isUserError } from '../../src/data/errors.js';
import type { CandleSeries } from '../../engine/types.js';
import { ohlcv, scratch } from './paths.js';

/** The obvious parser the byte-level one must agree with. */
function naiveParse(path: string): number[][] {
  const text = gunzipSync(readFileSync(path)).toString('utf8');
  const lines = text.split('\n').filter((l) => l !== '');
  expect(lines[0]).toBe('ts,open,high,low,close,volume');
  return lines.slice(1).map((l) => l.split(',').map(Number));
}

function expectSameAsNaive(s: CandleSeries, rows: number[][]) {
  expect(s.length).toBe(rows.length);
  const cols = [s.ts, s.open, s.high, s.low, s.close, s.volume];
  let mismatches = 0;
  for (let i = 0; i < rows.length; i++) {
    for (let k = 0; k < 6; k++) if (!Object.is(cols[k][i], rows[i][k])) mismatches++;
  }
  expect(mismatches).toBe(0);
}

const sc = scratch();
afterAll(() => sc.cleanup());

describe('loadCandleFile on the real files', () => {
  const files = [
    'binance-spot/BTCUSDT-1m.csv.gz',
    'binance-spot/DOGEUSDT-1m.csv.gz',
    'binance-spot/ETHUSDT-5m.csv.gz',
    'binance-spot/SOLUSDT-1h.csv.gz',
    'binance-usdm/BTCUSDT-4h.csv.gz',
    'binance-spot-2025/ETHUSDT-1m.csv.gz',
  ];
  for (const rel of files) {
    it(`${rel}: every value equals Number(text)`, () => {
      const s = loadCandleFile(ohlcv(rel));
      const [sym, tf] = rel.split('/')[1].replace('.csv.gz', '').split('-');
      expect(s.symbol).toBe(sym);
      expect(s.tf).toBe(tf);
      expectSameAsNaive(s, naiveParse(ohlcv(rel)));
    });
  }

  it('reads a plain (not gzipped) copy the same, found by content rather than name', () => {
    const text = gunzipSync(readFileSync(ohlcv('binance-usdm/AVAXUSDT-4h.csv.gz'))).toString('latin1');
    const gz = loadCandleFile(ohlcv('binance-usdm/AVAXUSDT-4h.csv.gz'));
    const plain = loadCandleFile(sc.write('AVAXUSDT-4h.csv', text));
    expect(plain.length).toBe(828);
    expect(Array.from(plain.close)).toEqual(Array.from(gz.close));
    expect(Array.from(plain.ts)).toEqual(Array.from(gz.ts));
  });
});

describe('loader input forms', () => {
  const rows = ['ts,open,high,low,close,volume', '60000,1.5,2,1,1.75,10', '120000,1.75,1.8,1.7,1.72,0'];

  it('accepts CRLF, a missing trailing newline and a BOM', () => {
    for (const text of [rows.join('\r\n') + '\r\n', rows.join('\n'), '\ufeff' + rows.join('\n') + '\n']) {
      const s = parseCandleCsv(Buffer.from(text, 'utf8'), { file: 'x.csv', symbol: 'X', tf: '1m' });
      expect(Array.from(s.ts)).toEqual([60000, 120000]);
      expect(Array.from(s.close)).toEqual([1.75, 1.72]);
      expect(Array.from(s.volume)).toEqual([10, 0]);
    }
  });

  it('keeps every row when later rows are much shorter than the first (the row estimate grows)', () => {
    const lines = ['ts,open,high,low,close,volume', '60000,12345.678901,12345.678901,12345.678901,12345.678901,98765.4321'];
    for (let i = 2; i <= 500; i++) lines.push(`${i * 60000},1,1,1,1,${i}`);
    const s = parseCandleCsv(Buffer.from(lines.join('\n') + '\n'), { file: 'x.csv', symbol: 'X', tf: '1m' });
    expect(s.length).toBe(500);
    expect(s.ts[499]).toBe(500 * 60000);
    expect(s.volume[499]).toBe(500);
    expect(s.open[0]).toBe(12345.678901);
    expect(Array.from(s.volume.subarray(1, 4))).toEqual([2, 3, 4]);
  });

  it('a multi-member gzip (its trailer gives only the last member\'s size) still gunzips completely', () => {
    const rows = Array.from({ length: 300 }, (_, i) => `${(i + 1) * 60000},1.5,2,1,1.75,${i}`);
    const head = 'ts,open,high,low,close,volume\n' + rows.slice(0, 290).join('\n') + '\n';
    const tail = rows.slice(290).join('\n') + '\n';
    const path = sc.write('MULTI-1m.csv', '').replace('.csv', '.csv.gz');
    writeFileSync(path, Buffer.concat([gzipSync(Buffer.from(head)), gzipSync(Buffer.from(tail))]));
    const s = loadCandleFile(path);
    expect(s.length).toBe(300);
    expect(s.volume[299]).toBe(299);
  });

  it('accepts scientific notation and long mantissas through Number()', () => {
    const text = 'ts,open,high,low,close,volume\n60000,1.5e2,151,1.49E2,150.00000000000000000001,1e-8\n';
    const s = parseCandleCsv(Buffer.from(text), { file: 'x.csv', symbol: 'X', tf: '1m' });
    expect([s.open[0], s.high[0], s.low[0], s.close[0], s.volume[0]]).toEqual([150, 151, 149, Number('150.00000000000000000001'), 1e-8]);
  });

  it('decimal digits give exactly Number(text) for typical and tricky prices', () => {
    const prices = ['0.1', '0.3', '58720.45', '0.00001234', '1.0000000000000002', '9007199254740991', '123456789.12345678', '0.000000000000000000000123', '69000.00'];
    const text = 'ts,open,high,low,close,volume\n' + prices.map((p, i) => `${(i + 1) * 60000},${p},${p},${p},${p},${p}`).join('\n');
    const s = parseCandleCsv(Buffer.from(text), { file: 'x.csv', symbol: 'X', tf: '1m' });
    expect(Array.from(s.open)).toEqual(prices.map(Number));
  });

  it('mantissas at and beyond 2^53 take the exact slow path', () => {
    const prices = ['900719925474099.3', '9007199254740993', '90071992547409.93', '1234567890123456789.5'];
    const text = 'ts,open,high,low,close,volume\n' + prices.map((p, i) => `${(i + 1) * 60000},${p},${p},${p},${p},${p}`).join('\n');
    const s = parseCandleCsv(Buffer.from(text), { file: 'x.csv', symbol: 'X', tf: '1m' });
    expect(Array.from(s.close)).toEqual(prices.map(Number));
  });

  it('property: any plain decimal parses to exactly Number(text)', () => {
    const decimal = fc
      .tuple(fc.stringMatching(/^[1-9][0-9]{0,9}$/), fc.option(fc.stringMatching(/^[0-9]{1,12}$/)))
      .map(([int, frac]) => (frac === null ? int : `${int}.${frac}`));
    fc.assert(
      fc.property(fc.array(decimal, { minLength: 1, maxLength: 20 }), (prices) => {
        const text = 'ts,open,high,low,close,volume\n' + prices.map((p, i) => `${(i + 1) * 60000},${p},${p},${p},${p},${p}`).join('\n');
        const s = parseCandleCsv(Buffer.from(text), { file: 'x.csv', symbol: 'X', tf: '1m' });
        for (let i = 0; i < prices.length; i++) {
          if (!Object.is(s.open[i], Number(prices[i])) || !Object.is(s.volume[i], Number(prices[i]))) return false;
        }
        return true;
      }),
      { numRuns: 500 },
    );
  });

  it('infers the timeframe from the data when the file name has none', () => {
    const p = sc.write('mydata.csv', 'ts,open,high,low,close,volume\n0,1,1,1,1,1\n900000,1,1,1,1,1\n2700000,1,1,1,1,1\n');
    const s = loadCandleFile(p, { symbol: 'abc' });
    expect(s.tf).toBe('15m');
    expect(s.symbol).toBe('abc');
  });

  it('rejects a file whose name says 1m but whose rows are 5m apart', () => {
    const p = sc.write('BTCUSDT-1m.csv', 'ts,open,high,low,close,volume\n0,1,1,1,1,1\n300000,1,1,1,1,1\n');
    expect(() => loadCandleFile(p)).toThrow(`${p}: the file name says 1m but the smallest step between rows is 5m (300000 ms)`);
  });

  it('an override of the timeframe is still checked against the data', () => {
    expect(() => loadCandleFile(ohlcv('binance-usdm/BTCUSDT-4h.csv.gz'), { tf: '1h' })).toThrow(
      /the --timeframe option says 1h but the smallest step between rows is 4h/,
    );
  });

  it('missing file and corrupt gzip are one-line user errors', () => {
    const missing = sc.dir + '/NOPE-1m.csv.gz';
    expect(() => loadCandleFile(missing)).toThrow(`${missing}: file not found`);
    const bad = sc.write('BAD-1m.csv', 'x');
    const gz = bad.replace('.csv', '.csv.gz');
    renameSync(bad, gz);
    let err: unknown;
    try {
      loadCandleFile(gz);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataError);
    expect(isUserError(err)).toBe(true);
    expect((err as Error).message).toBe(`${gz}: name ends in .gz but the content is not gzip`);
  });
});

describe('slicing by time', () => {
  const s = loadCandleFile(ohlcv('binance-usdm/BTCUSDT-4h.csv.gz'));

  it('from is inclusive, to exclusive, and the result is a view', () => {
    const from = s.ts[10];
    const to = s.ts[20];
    const v = sliceSeries(s, from, to);
    expect(v.length).toBe(10);
    expect(v.ts[0]).toBe(from);
    expect(v.ts[9]).toBe(s.ts[19]);
    expect(v.close.buffer).toBe(s.close.buffer);
  });

  it('bounds between candles, outside the data and reversed give the right (possibly empty) ranges', () => {
    expect(sliceSeries(s, s.ts[10] + 1, s.ts[12] + 1).length).toBe(2);
    expect(sliceSeries(s, 0, s.ts[0]).length).toBe(0);
    expect(sliceSeries(s, s.ts[s.length - 1] + 1).length).toBe(0);
    expect(sliceSeries(s, s.ts[20], s.ts[10]).length).toBe(0);
    expect(sliceSeries(s).length).toBe(s.length);
  });

  it('loadCandleFile applies from/to', () => {
    const v = loadCandleFile(ohlcv('binance-usdm/BTCUSDT-4h.csv.gz'), { from: Date.UTC(2025, 2, 1), to: Date.UTC(2025, 3, 1) });
    expect(v.length).toBe(31 * 6);
    expect(new Date(v.ts[0]).toISOString()).toBe('2025-03-01T00:00:00.000Z');
  });
});
