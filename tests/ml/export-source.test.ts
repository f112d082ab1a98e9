// `smc backtest --store` twice with different --set values, then `smc ml export --source/--run` on the
// same PGlite store (DATA_DIR): both runs keep their rows, the run id is in summary.json, a rerun adds
// nothing, and the export takes live rows by default, one source, one run, or all.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FEATURE_SCHEMA, featuresToRecord } from '../../engine/features.js';
import { backtestCommand, type BacktestCliOptions } from '../../src/cli/commands/backtest.js';
import { exportFilter, registerMlCommand } from '../../src/cli/commands/ml.js';
import { PgliteStore } from '../../src/storage/pglite-store.js';
import { dataPath } from '../helpers/data.js';

const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'];
const ENV_KEYS = ['DATA_DIR', 'DATABASE_URL', 'SUPABASE_URL', 'SUPABASE_KEY', 'MODEL_PATH', 'ML_MIN_CONFIDENCE'] as const;
const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
let dir: string;
let dataDir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'smc-ml-export-'));
  dataDir = join(dir, 'store');
  for (const k of ENV_KEYS) delete process.env[k];
  process.env.DATA_DIR = dataDir;
});
afterAll(() => {
  for (const k of ENV_KEYS) if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
  rmSync(dir, { recursive: true, force: true });
});

const opts = (minConfidence: number, out: string): BacktestCliOptions => ({
  data: [dataPath('binance-spot')], symbols: SYMBOLS, from: Date.parse('2021-04-05T00:00:00Z'), to: Date.parse('2021-04-12T00:00:00Z'),
  set: SYMBOLS.map((s) => `${s}.min_confidence=${minConfidence}`), out, report: false, quiet: true, store: true,
});

/** Runs `smc ml export ...args`; returns the CSV's data lines and what it printed. */
async function mlExport(...args: string[]): Promise<{ lines: string[]; printed: string }> {
  const out = join(dir, `export-${Math.random().toString(36).slice(2)}.csv`);
  const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    const program = new Command().exitOverride();
    registerMlCommand(program);
    await program.parseAsync(['node', 'smc', 'ml', 'export', '--out', out, ...args]);
    const printed = write.mock.calls.map((c) => String(c[0])).join('');
    return { lines: readFileSync(out, 'utf8').trimEnd().split('\n').slice(1), printed };
  } finally {
    write.mockRestore();
  }
}

async function mlRowCount(): Promise<Record<string, number>> {
  const store = await PgliteStore.open(dataDir);
  try {
    const rows = (await store.db.query<{ k: string; n: number }>(
      `SELECT source || coalesce('/' || run_id, '') AS k, count(*)::int AS n FROM ml_features GROUP BY 1 ORDER BY 1`)).rows;
    return Object.fromEntries(rows.map((r) => [r.k, r.n]));
  } finally {
    await store.close();
  }
}

describe('smc backtest --store runs and smc ml export --source', () => {
  it('keeps two configs apart, reruns in place, and exports by source and run', async () => {
    const a = await backtestCommand(opts(70, join(dir, 'a')));
    const b = await backtestCommand(opts(60, join(dir, 'b')));
    expect(a.run).toMatch(/^[0-9a-f]{16}$/);
    expect(b.run).not.toBe(a.run);
    for (const [r, out] of [[a, 'a'], [b, 'b']] as const) {
      expect(JSON.parse(readFileSync(join(dir, out, 'summary.json'), 'utf8')).store).toEqual({ source: 'backtest', run_id: r.run });
    }
    const twoRuns = { [`backtest/${a.run}`]: a.result.signals.length, [`backtest/${b.run}`]: b.result.signals.length };
    expect(await mlRowCount()).toEqual(twoRuns);
    const again = await backtestCommand(opts(70, join(dir, 'a2')));
    expect(again.run).toBe(a.run);
    expect(await mlRowCount()).toEqual(twoRuns);

    // One live row with an outcome, as the runtime writes it.
    const store = await PgliteStore.open(dataDir);
    try {
      await store.upsertMlFeatures({
        id: '00000000-0000-4000-8000-00000000c0de', trade_id: null, signal_id: 'BTCUSDT-long-1618000000000',
        created_at: new Date(1618000000000), schema_version: FEATURE_SCHEMA.version,
        features: featuresToRecord(new Float64Array(FEATURE_SCHEMA.names.length).fill(0.5)), outcome: 'win', pnl_percent: 4, source: 'live',
      });
    } finally {
      await store.close();
    }

    const live = await mlExport();
    expect(live.lines).toHaveLength(1);
    expect(live.lines[0]).toMatch(/^2021-04-09T20:26:40.000Z,BTCUSDT,long,/);
    expect(live.printed).toMatch(/wrote 1 rows \(source live\)/);

    const backtests = await mlExport('--source', 'backtest');
    expect(backtests.lines).toHaveLength(a.result.dataset.length + b.result.dataset.length);
    expect(backtests.printed).toMatch(/warning: rows of 2 backtest runs/);

    const one = await mlExport('--run', a.run!);
    expect(one.lines.map((l) => l.split(',').slice(0, 3).join(',')).sort())
      .toEqual(a.result.dataset.map((r) => `${new Date(r.time).toISOString()},${r.symbol},${r.direction}`).sort());
    expect(one.printed).toMatch(new RegExp(`source backtest, run ${a.run}`));
    expect(one.printed).not.toMatch(/warning/);

    const all = await mlExport('--source', 'all');
    expect(all.lines).toHaveLength(1 + a.result.dataset.length + b.result.dataset.length);

    const paper = await mlExport('--source', 'paper');
    expect(paper.lines).toHaveLength(0);
    expect(paper.printed).toMatch(/no ml_features rows of that source; --source all/);
  });

  it('refuses a bad --source, a malformed --run, and a run with a non-backtest source, naming the problem', async () => {
    await expect(mlExport('--source', 'mainnet')).rejects.toThrow(/"mainnet" is not a source: use one of live, paper, testnet, demo, replay, backtest, all/);
    await expect(mlExport('--run', 'abc')).rejects.toThrow(/"abc" is not a backtest run id/);
    expect(() => exportFilter({ source: 'live', run: '0123456789abcdef' })).toThrow(/--run 0123456789abcdef names a backtest run, but --source is live/);
    expect(exportFilter({})).toEqual({ source: 'live' });
    expect(exportFilter({ source: 'all' })).toEqual({});
    expect(exportFilter({ run: '0123456789abcdef' })).toEqual({ source: 'backtest', run: '0123456789abcdef' });
  });
});
