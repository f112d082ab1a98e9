import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { findBaseFiles, loadDataSources, loadDataSourcesAsync } from '../../src/data/load.js';
import { FIVE_COINS, OHLCV_DIR, ohlcv, scratch } from './paths.js';

const SPOT = ohlcv('binance-spot');
const sc = scratch();
afterAll(() => sc.cleanup());
const row = (m: number) => `${m * 300000},1,2,0.5,1.5,3`;

describe('a data folder', () => {
  it('picks the 1m file per symbol when a folder also has 5m and 1h', () => {
    const files = findBaseFiles(SPOT);
    expect(files.map((f) => f.symbol)).toEqual([...FIVE_COINS].sort());
    expect(new Set(files.map((f) => f.tf))).toEqual(new Set(['1m']));
  });

  it('falls back to 5m when a symbol has no 1m file, and ignores other files', () => {
    sc.write('XRPUSDT-5m.csv', ['ts,open,high,low,close,volume', row(0), row(1)].join('\n'));
    sc.write('XRPUSDT-1h.csv', 'not read');
    sc.write('notes.txt', 'not a candle file');
    const [s] = loadDataSources([sc.dir]);
    expect([s.symbol, s.tf, s.length]).toEqual(['XRPUSDT', '5m', 2]);
  });

  it('selects symbols case-insensitively and slices by from/to without copying', () => {
    const from = Date.UTC(2021, 3, 10);
    const to = Date.UTC(2021, 3, 11);
    const out = loadDataSources([SPOT], { symbols: ['ethusdt', 'BTCUSDT'], from, to });
    expect(out.map((s) => s.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
    for (const s of out) {
      expect(s.length).toBe(1440);
      expect(s.ts[0]).toBe(from);
      expect(s.ts[s.length - 1]).toBe(to - 60000);
    }
  });

  it('a missing symbol is one clear line naming what is there', () => {
    expect(() => loadDataSources([SPOT], { symbols: ['BTCUSDT', 'XRPUSDT'] })).toThrow(
      `no candle data for XRPUSDT in ${SPOT} (found: BTCUSDT); a folder needs <SYMBOL>-1m.csv.gz or <SYMBOL>-5m.csv.gz (or .csv) per symbol`,
    );
  });

  it('a missing folder and a folder without candle files', () => {
    expect(() => loadDataSources([`${OHLCV_DIR}/nope`])).toThrow(`${OHLCV_DIR}/nope: no such file or folder`);
    expect(() => loadDataSources([OHLCV_DIR])).toThrow(`${OHLCV_DIR}: no <SYMBOL>-1m or <SYMBOL>-5m candle files (.csv or .csv.gz)`);
  });
});

describe('loadDataSources', () => {
  it('mixes a folder and single files, filtered by symbols', () => {
    const out = loadDataSources([SPOT, ohlcv('binance-usdm/BTCUSDT-4h.csv.gz')], { symbols: ['SOLUSDT'] });
    expect(out.map((s) => `${s.symbol}:${s.tf}`)).toEqual(['SOLUSDT:1m']);
  });

  it('a symbol given twice and a symbol found nowhere are errors', () => {
    expect(() => loadDataSources([SPOT, ohlcv('binance-usdm/BTCUSDT-1m.csv.gz')])).toThrow(
      `BTCUSDT is provided twice (${SPOT} and ${ohlcv('binance-usdm/BTCUSDT-1m.csv.gz')}); pass each symbol once`,
    );
    expect(() => loadDataSources([ohlcv('binance-usdm/BTCUSDT-4h.csv.gz')], { symbols: ['BTCUSDT', 'ADAUSDT'] })).toThrow(
      `no candle data for ADAUSDT in ${ohlcv('binance-usdm/BTCUSDT-4h.csv.gz')} (found: BTCUSDT)`,
    );
    expect(() => loadDataSources([`${OHLCV_DIR}/missing.csv`])).toThrow(`${OHLCV_DIR}/missing.csv: no such file or folder`);
  });
});

describe('loadDataSourcesAsync (files read and gunzipped ahead of the parser)', () => {
  it('gives the same series as the synchronous loader, in the same order, also with more files than it reads ahead', async () => {
    const sel = { from: Date.parse('2024-01-10T00:00:00Z'), to: Date.parse('2024-01-20T00:00:00Z'), baseTf: '5m' as const };
    const sources = [SPOT, ohlcv('binance-usdm/ETHUSDT-1m.csv.gz')];
    const sync = loadDataSources([SPOT], sel);
    const async = await loadDataSourcesAsync([SPOT], sel);
    expect(async.map((s) => s.symbol)).toEqual(sync.map((s) => s.symbol));
    expect(async.length).toBeGreaterThan(4);
    for (let i = 0; i < sync.length; i++) {
      expect(async[i].tf).toBe(sync[i].tf);
      expect(Array.from(async[i].ts)).toEqual(Array.from(sync[i].ts));
      expect(Array.from(async[i].close)).toEqual(Array.from(sync[i].close));
      expect(Array.from(async[i].volume)).toEqual(Array.from(sync[i].volume));
    }
    await expect(loadDataSourcesAsync(sources, { symbols: ['ETHUSDT'] })).rejects.toThrow(
      `ETHUSDT is provided twice (${SPOT} and ${ohlcv('binance-usdm/ETHUSDT-1m.csv.gz')}); pass each symbol once`,
    );
  });

  it('a corrupt or unreadable file is the same one-line error, whichever file it is', async () => {
    const dir = scratch();
    try {
      dir.write('AAAUSDT-1m.csv', 'ts,open,high,low,close,volume\n' + [0, 1, 2].map((m) => `${m * 60000},1,2,0.5,1.5,3`).join('\n') + '\n');
      const bad = dir.write('BBBUSDT-1m.csv.gz', 'x');
      writeFileSync(bad, 'not gzip at all');
      await expect(loadDataSourcesAsync([dir.dir])).rejects.toThrow(`${bad}: name ends in .gz but the content is not gzip`);
      expect(() => loadDataSources([dir.dir])).toThrow(`${bad}: name ends in .gz but the content is not gzip`);
      writeFileSync(bad, Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(20, 7)]));
      await expect(loadDataSourcesAsync([dir.dir])).rejects.toThrow(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: corrupt gzip data`));
    } finally {
      dir.cleanup();
    }
  });
});
