// `smc download` against the fake Bybit: the file format of ../shared/data/ohlcv, resumable.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runDownload } from '../../src/cli/commands/download.js';
import { loadCandleFile } from '../../src/data/load.js';
import { startFakeBybit, type FakeBybit } from '../fakes/bybit/server.js';
import { closedMinutes } from './helpers.js';

let fake: FakeBybit | undefined;
let dir: string | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; if (dir) rmSync(dir, { recursive: true, force: true }); });

describe('smc download', () => {
  it('writes <SYMBOL>-<TF>.csv.gz in the shared format and resumes from the last row', async () => {
    fake = await startFakeBybit();
    dir = mkdtempSync(join(tmpdir(), 'smc-dl-'));
    const times = closedMinutes(3000); // > 2 days
    const half = times.slice(0, 2000);
    for (const [i, ts] of half.entries()) fake.state.addCandle('BTCUSDT', '1', { ts, open: 100 + i, high: 101.5 + i, low: 99.25 + i, close: 100.5 + i, volume: 0.001 * (i + 1) });
    // a still-running candle that must not be written
    const running = Math.floor(Date.now() / 60_000) * 60_000;
    fake.state.addCandle('BTCUSDT', '1', { ts: running, open: 1, high: 1, low: 1, close: 1, volume: 1 });
    const lines: string[] = [];
    await runDownload({ symbols: ['BTCUSDT'], timeframe: '1m', days: 1, out: dir }, fake.restUrl, (s) => lines.push(s));

    const file = join(dir, 'BTCUSDT-1m.csv.gz');
    let s = loadCandleFile(file);
    const firstWanted = running - 1440 * 60_000;
    const expected = half.filter((t) => t >= firstWanted);
    expect(s.length).toBe(expected.length);
    expect(s.ts[0]).toBe(expected[0]);
    const i0 = half.indexOf(expected[0]);
    expect([s.open[0], s.high[0], s.low[0], s.close[0], s.volume[0]]).toEqual([100 + i0, 101.5 + i0, 99.25 + i0, 100.5 + i0, 0.001 * (i0 + 1)]);
    expect(lines[0]).toMatch(/BTCUSDT: \d+ new candles \(0 already there\)/);
    expect(fake.requests.length).toBeGreaterThan(0);
    expect(fake.requests.some((r) => r.signed)).toBe(false); // public data, no keys

    // more history appears; a second run only fetches what comes after the last row
    for (const [j, ts] of times.slice(2000).entries()) fake.state.addCandle('BTCUSDT', '1', { ts, open: 5000 + j, high: 5001 + j, low: 4999 + j, close: 5000 + j, volume: 1 });
    const before = fake.requests.length;
    await runDownload({ symbols: ['BTCUSDT'], timeframe: '1m', days: 1, out: dir }, fake.restUrl, (l) => lines.push(l));
    const starts = fake.requests.slice(before).filter((r) => r.path === '/v5/market/kline').map((r) => Number(new URLSearchParams(r.query).get('start')));
    expect(Math.min(...starts)).toBe(half.at(-1)! + 60_000);
    s = loadCandleFile(file);
    expect(s.length).toBe(expected.length + 1000);
    expect(s.ts[s.length - 1]).toBe(times.at(-1));
    expect(lines[1]).toMatch(/BTCUSDT: 1000 new candles \(\d+ already there\)/);
  });

  it('says clearly when Bybit is unreachable and rejects a bad timeframe', async () => {
    dir = mkdtempSync(join(tmpdir(), 'smc-dl-'));
    await expect(runDownload({ symbols: ['BTCUSDT'], timeframe: '1m', days: 1, out: dir }, 'http://127.0.0.1:1', () => undefined, { backoffMs: 1 })).rejects.toThrow(/Bybit is unreachable/);
    await expect(runDownload({ symbols: ['BTCUSDT'], timeframe: '2m', days: 1, out: dir }, 'http://127.0.0.1:1', () => undefined)).rejects.toThrow(/--timeframe/);
  });
});
