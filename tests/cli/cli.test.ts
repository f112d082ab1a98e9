import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runDetect } from '../../src/cli/commands/detect.js';
import { dataPath } from '../helpers/data.js';

const SMC = resolve(__dirname, '../../bin/smc.js');
const smc = (args: string[]) => spawnSync(process.execPath, [SMC, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

describe('smc detect', () => {
  const file = dataPath('binance-spot', 'BTCUSDT-1m.csv.gz');
  it('lists structures with the time they became known; a prefix of the data gives the same records', () => {
    const full = runDetect({ data: file, timeframe: '15m', set: [] });
    const cut = runDetect({ data: file, timeframe: '15m', set: [], to: Date.parse('2021-05-06T11:00:00Z') });
    expect(full.records.length).toBeGreaterThan(1000);
    for (const t of ['swing_high', 'swing_low', 'ob_bullish', 'ob_bearish', 'fvg_bullish', 'fvg_bearish', 'sweep_bullish', 'bos_bullish', 'choch_bearish']) {
      expect(full.counts[t]).toBeGreaterThan(0);
    }
    const inside = full.records.filter((r) => r.known_at <= cut.to!);
    expect(cut.records).toEqual(inside);
    for (const r of full.records) expect(r.known_at >= r.ts).toBe(true);
  });

  it('--set fvg_min_size=0 finds more gaps than the default', () => {
    const a = runDetect({ data: file, timeframe: '15m', set: [], to: Date.parse('2021-04-10T00:00:00Z') });
    const b = runDetect({ data: file, timeframe: '15m', set: ['fvg_min_size=0'], to: Date.parse('2021-04-10T00:00:00Z') });
    expect((b.counts.fvg_bullish ?? 0) + (b.counts.fvg_bearish ?? 0)).toBeGreaterThan((a.counts.fvg_bullish ?? 0) + (a.counts.fvg_bearish ?? 0));
  });

  it('prints JSON from the command line', () => {
    const out = execFileSync(process.execPath, [SMC, 'detect', '--data', file, '--timeframe', '1h', '--to', '2021-04-05', '--json'], { encoding: 'utf8' });
    const j = JSON.parse(out);
    expect(j.symbol).toBe('BTCUSDT');
    expect(j.timeframe).toBe('1h');
  });
});

describe('bad input stops with one clear line and a non-zero exit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'smc-cli-'));
  const good = ['ts,open,high,low,close,volume', '1617235200000,10,11,9,10.5,1', '1617235260000,10.5,11,10,10.8,2', '1617235320000,10.8,11.2,10.1,11,3'];
  const cases: [string, string[], RegExp][] = [
    ['shuffled', [good[0], good[2], good[1], good[3]], /row 3: .*increasing/],
    ['nan', [good[0], good[1], '1617235260000,10.5,NaN,10,10.8,2', good[3]], /row 3/],
    ['negative-volume', [good[0], good[1], '1617235260000,10.5,11,10,10.8,-2', good[3]], /row 3: .*volume/],
    ['misaligned', [good[0], good[1], '1617235261000,10.5,11,10,10.8,2', good[3]], /row 3: .*align/],
  ];
  for (const [name, lines, pattern] of cases) {
    it(name, () => {
      mkdirSync(join(dir, name));
      const f = join(dir, name, 'BTCUSDT-1m.csv');
      writeFileSync(f, lines.join('\n') + '\n');
      const r = smc(['detect', '--data', f, '--timeframe', '1m', '--json']);
      expect(r.status).not.toBe(0);
      const errLines = r.stderr.trim().split('\n');
      expect(errLines).toHaveLength(1);
      expect(errLines[0]).toMatch(/^error: /);
      expect(errLines[0]).toMatch(pattern);
    });
  }
  it('an unknown --set key names the key', () => {
    const r = smc(['detect', '--data', dataPath('binance-spot', 'BTCUSDT-1h.csv.gz'), '--timeframe', '1h', '--set', 'fvg_min=1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: unknown setting "fvg_min"/);
  });
});

describe('smc backtest', () => {
  it('writes summary.json, trades.csv, signals.csv and a self-contained report; two runs give identical summaries', () => {
    const out1 = mkdtempSync(join(tmpdir(), 'smc-bt-'));
    const out2 = mkdtempSync(join(tmpdir(), 'smc-bt-'));
    const args = ['backtest', '--data', dataPath('binance-spot'), '--symbols', 'BTCUSDT,ETHUSDT,SOLUSDT', '--to', '2021-04-25', '--out'];
    const a = smc([...args, out1]);
    expect(a.status, a.stderr).toBe(0);
    expect(a.stdout).toMatch(/trades \d+/);
    smc([...args, out2]);
    expect(readFileSync(join(out1, 'summary.json'), 'utf8')).toBe(readFileSync(join(out2, 'summary.json'), 'utf8'));
    const summary = JSON.parse(readFileSync(join(out1, 'summary.json'), 'utf8'));
    const trades = readFileSync(join(out1, 'trades.csv'), 'utf8').trim().split('\n');
    expect(trades.length - 1).toBe(summary.trades);
    expect(existsSync(join(out1, 'signals.csv'))).toBe(true);
    const html = readFileSync(join(out1, 'report.html'), 'utf8');
    expect(html).toContain('LightweightCharts');
    expect(html).not.toMatch(/<script[^>]+src=/);
  });
});
