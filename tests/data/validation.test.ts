// Every validation rule stops the load with one line naming file, row (1-based line in the file)
// and the problem.
import { afterAll, describe, expect, it } from 'vitest';
import { loadCandleFile, parseCandleCsv } from '../../src/data/load.js';
import { DataError, isUserError } from '../../src/data/errors.js';
import { scratch } from './paths.js';

const HEADER = 'ts,open,high,low,close,volume';
const GOOD = [
  '1617235200000,100,110,90,105,5', // row 2
  '1617235260000,105,106,104,104.5,1.25', // row 3
  '1617235320000,104.5,108,104,107,0', // row 4
  '1617235380000,107,107,101,102,3', // row 5
];

function messageOf(lines: string[], file = 'BTCUSDT-1m.csv'): string {
  try {
    parseCandleCsv(Buffer.from(lines.join('\n') + '\n'), { file, symbol: 'BTCUSDT', tf: '1m', tfSource: 'the file name' });
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    expect(isUserError(e)).toBe(true);
    const msg = (e as Error).message;
    expect(msg).not.toContain('\n');
    return msg;
  }
  throw new Error('expected the load to fail');
}

const withRow = (row: number, line: string) => {
  const rows = [...GOOD];
  rows[row - 2] = line;
  return [HEADER, ...rows];
};

describe('validation messages', () => {
  it('the good rows load', () => {
    const s = parseCandleCsv(Buffer.from([HEADER, ...GOOD].join('\n')), { file: 'f', symbol: 'BTCUSDT', tf: '1m' });
    expect(s.length).toBe(4);
  });

  it('shuffled rows', () => {
    expect(messageOf([HEADER, GOOD[0], GOOD[2], GOOD[1], GOOD[3]])).toBe(
      "BTCUSDT-1m.csv row 4: ts 1617235260000 is not after the previous row's 1617235320000 (rows must be strictly increasing)",
    );
  });

  it('a duplicated row', () => {
    expect(messageOf([HEADER, GOOD[0], GOOD[1], GOOD[1], GOOD[3]])).toBe(
      "BTCUSDT-1m.csv row 4: ts 1617235260000 is not after the previous row's 1617235260000 (rows must be strictly increasing)",
    );
  });

  it('NaN in a price', () => {
    expect(messageOf(withRow(3, '1617235260000,105,106,104,NaN,1.25'))).toBe('BTCUSDT-1m.csv row 3: close "NaN" is not a number');
  });

  it('garbage and empty fields', () => {
    expect(messageOf(withRow(5, '1617235380000,107,10x7,101,102,3'))).toBe('BTCUSDT-1m.csv row 5: high "10x7" is not a number');
    expect(messageOf(withRow(2, '1617235200000,,110,90,105,5'))).toBe('BTCUSDT-1m.csv row 2: open is empty');
    expect(messageOf(withRow(4, '1617235320000,104.5,108,104,107,'))).toBe('BTCUSDT-1m.csv row 4: volume is empty');
    expect(messageOf(withRow(2, '1617235200000,100,110,90,105,1e999'))).toBe('BTCUSDT-1m.csv row 2: volume "1e999" is not a finite number');
  });

  it('negative volume', () => {
    expect(messageOf(withRow(4, '1617235320000,104.5,108,104,107,-0.5'))).toBe(
      'BTCUSDT-1m.csv row 4: volume -0.5 is negative (volume must be >= 0)',
    );
  });

  it('misaligned ts', () => {
    expect(messageOf(withRow(3, '1617235230000,105,106,104,104.5,1.25'))).toBe(
      'BTCUSDT-1m.csv row 3: ts 1617235230000 is not aligned to 1m (not a multiple of 60000 ms)',
    );
  });

  it('a fractional ts', () => {
    expect(messageOf(withRow(3, '1617235260000.5,105,106,104,104.5,1.25'))).toBe(
      'BTCUSDT-1m.csv row 3: ts 1617235260000.5 is not a whole number of ms',
    );
  });

  it('high below close, high below open, low above open, low above close', () => {
    expect(messageOf(withRow(3, '1617235260000,105,106,104,106.5,1.25'))).toBe(
      'BTCUSDT-1m.csv row 3: high 106 is below close 106.5 (high must be >= max(open, close))',
    );
    expect(messageOf(withRow(3, '1617235260000,107,106,104,104.5,1.25'))).toBe(
      'BTCUSDT-1m.csv row 3: high 106 is below open 107 (high must be >= max(open, close))',
    );
    expect(messageOf(withRow(5, '1617235380000,107,107,107.5,108,3'))).toBe(
      'BTCUSDT-1m.csv row 5: high 107 is below close 108 (high must be >= max(open, close))',
    );
    expect(messageOf(withRow(5, '1617235380000,107,108,107.5,108,3'))).toBe(
      'BTCUSDT-1m.csv row 5: low 107.5 is above open 107 (low must be <= min(open, close))',
    );
    expect(messageOf(withRow(5, '1617235380000,107,108,106,105.5,3'))).toBe(
      'BTCUSDT-1m.csv row 5: low 106 is above close 105.5 (low must be <= min(open, close))',
    );
  });

  it('non-positive prices', () => {
    expect(messageOf(withRow(2, '1617235200000,0,110,0,105,5'))).toBe('BTCUSDT-1m.csv row 2: open 0 is not positive (prices must be > 0)');
    expect(messageOf(withRow(2, '1617235200000,100,110,-90,105,5'))).toBe('BTCUSDT-1m.csv row 2: low -90 is not positive (prices must be > 0)');
  });

  it('bad header', () => {
    expect(messageOf(['timestamp,open,high,low,close,volume', ...GOOD])).toBe(
      'BTCUSDT-1m.csv row 1: header is "timestamp,open,high,low,close,volume" but must be "ts,open,high,low,close,volume"',
    );
    expect(messageOf(GOOD)).toBe(
      'BTCUSDT-1m.csv row 1: header is "1617235200000,100,110,90,105,5" but must be "ts,open,high,low,close,volume"',
    );
  });

  it('wrong field count, too few and too many, also on the last line without newline', () => {
    expect(messageOf(withRow(3, '1617235260000,105,106,104,104.5'))).toBe(
      'BTCUSDT-1m.csv row 3: has 5 fields, expected 6 (ts,open,high,low,close,volume)',
    );
    expect(messageOf(withRow(4, '1617235320000,104.5,108,104,107,0,9'))).toBe(
      'BTCUSDT-1m.csv row 4: has 7 fields, expected 6 (ts,open,high,low,close,volume)',
    );
    expect(() => parseCandleCsv(Buffer.from(`${HEADER}\n${GOOD[0]}\n1617235260000,105`), { file: 'f', symbol: 'X', tf: '1m' })).toThrow(
      'f row 3: has 2 fields, expected 6 (ts,open,high,low,close,volume)',
    );
  });

  it('a blank line in the middle (trailing blank lines are fine)', () => {
    expect(messageOf([HEADER, GOOD[0], '', GOOD[1]])).toBe('BTCUSDT-1m.csv row 3: empty line');
    expect(parseCandleCsv(Buffer.from([HEADER, ...GOOD].join('\n') + '\n\n\r\n'), { file: 'f', symbol: 'X', tf: '1m' }).length).toBe(4);
  });

  it('empty file and header only', () => {
    expect(messageOf([''].slice(1))).toBe('BTCUSDT-1m.csv: file is empty (expected the header ts,open,high,low,close,volume)');
    expect(messageOf([HEADER])).toBe('BTCUSDT-1m.csv: no candle rows after the header');
  });
});

describe('validation through loadCandleFile on files', () => {
  const sc = scratch();
  afterAll(() => sc.cleanup());

  it('a gzipped file with shuffled rows names the path and the row', () => {
    const p = sc.write('ETHUSDT-1m.csv.gz', [HEADER, GOOD[0], GOOD[1], GOOD[3], GOOD[2]].join('\n'));
    expect(() => loadCandleFile(p)).toThrow(
      `${p} row 5: ts 1617235320000 is not after the previous row's 1617235380000 (rows must be strictly increasing)`,
    );
  });

  it('an empty gzip file and a zero-byte file', () => {
    const p = sc.write('ETHUSDT-5m.csv.gz', '');
    expect(() => loadCandleFile(p)).toThrow(`${p}: file is empty (expected the header ts,open,high,low,close,volume)`);
    const q = sc.write('ETHUSDT-15m.csv', '');
    expect(() => loadCandleFile(q)).toThrow(`${q}: file is empty`);
  });

  it('misalignment found after inferring the timeframe names the row', () => {
    const p = sc.write('prices.csv', [HEADER, '0,1,1,1,1,1', '60000,1,1,1,1,1', '150000,1,1,1,1,1'].join('\n'));
    expect(() => loadCandleFile(p)).toThrow(`${p} row 4: ts 150000 is not aligned to 1m (not a multiple of 60000 ms)`);
  });
});
