import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { FEATURE_COUNT, FEATURE_SCHEMA, featuresToRecord } from '../../engine/features.js';
import { datasetCsv, DATASET_HEADER, writeDataset, type DatasetRow } from '../../src/ml/dataset.js';
import { datasetFromMlFeatures } from '../../src/ml/export.js';
import { registerMlCommand } from '../../src/cli/commands/ml.js';
import type { MlFeatureRecord } from '../../src/storage/store.js';

const dir = mkdtempSync(join(tmpdir(), 'smc-ds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function features(seed: number): Float64Array {
  return Float64Array.from({ length: FEATURE_COUNT }, (_, k) => seed + k / 10);
}

const T = Date.UTC(2024, 2, 1, 12, 5);

describe('dataset CSV', () => {
  it('has the header ml/train.py expects and rows in time order with win = positive net PnL', () => {
    const f = features(1);
    f[3] = NaN;
    const rows: DatasetRow[] = [
      { time: T + 60_000, symbol: 'ETHUSDT', direction: 'short', features: features(2), pnl: -1.25 },
      { time: T, symbol: 'BTCUSDT', direction: 'long', features: f, pnl: 3.5 },
      { time: T + 60_000, symbol: 'SOLUSDT', direction: 'long', features: features(3), pnl: 0 },
    ];
    const lines = datasetCsv(rows).trimEnd().split('\n');
    expect(lines[0]).toBe(['time', 'symbol', 'direction', ...FEATURE_SCHEMA.names, 'pnl', 'win'].join(','));
    expect(DATASET_HEADER.length).toBe(FEATURE_COUNT + 5);
    const cells = lines.slice(1).map((l) => l.split(','));
    expect(cells.map((c) => c[1])).toEqual(['BTCUSDT', 'ETHUSDT', 'SOLUSDT']); // time, then given order
    expect(cells[0]![0]).toBe('2024-03-01T12:05:00.000Z');
    expect(cells[0]![3 + 3]).toBe(''); // missing value
    expect(cells[0]![3]).toBe('1');
    expect(cells[0]![4]).toBe('1.1');
    expect(cells.map((c) => c.slice(-2))).toEqual([['3.5', '1'], ['-1.25', '0'], ['0', '0']]);
    expect(cells.every((c) => c.length === DATASET_HEADER.length)).toBe(true);
  });

  it('refuses a row that would corrupt the file, naming it', () => {
    const ok: DatasetRow = { time: T, symbol: 'BTCUSDT', direction: 'long', features: features(1), pnl: 1 };
    expect(() => datasetCsv([ok, { ...ok, features: new Float64Array(4) }])).toThrow(/dataset row 2 \(BTCUSDT long at 2024-03-01T12:05:00.000Z\): has 4 features, schema v1 has 22/);
    expect(() => datasetCsv([{ ...ok, symbol: 'BTC,USDT' }])).toThrow(/symbol must be/);
    expect(() => datasetCsv([{ ...ok, pnl: NaN }])).toThrow(/pnl must be a finite number/);
  });
});

describe('ml_features export', () => {
  const rec = (over: Partial<MlFeatureRecord>): MlFeatureRecord => ({
    id: 'x', trade_id: 't', signal_id: `ETHUSDT-short-${T}`, created_at: new Date(T + 5_000), schema_version: 1,
    features: featuresToRecord(features(1)), outcome: 'loss', pnl_percent: -2, source: 'live', ...over,
  });

  it('turns closed trades of this schema into rows and counts what it leaves out', () => {
    const { rows, skippedOpen, skippedOtherSchema } = datasetFromMlFeatures([
      rec({}),
      rec({ outcome: null, pnl_percent: null }),
      rec({ schema_version: 2 }),
      rec({ signal_id: null, outcome: 'win', pnl_percent: 4 }),
    ]);
    expect([skippedOpen, skippedOtherSchema]).toEqual([1, 1]);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ time: T, symbol: 'ETHUSDT', direction: 'short', pnl: -2 });
    expect(Array.from(rows[0]!.features)).toEqual(Array.from(features(1)));
    // without a signal id: the record's time, and the direction from is_long (features(1)[2] = 1.2 ≠ 1 → short)
    expect(rows[1]).toMatchObject({ time: T + 5_000, symbol: 'UNKNOWN', direction: 'short', pnl: 4 });
  });
});

describe('smc ml train', () => {
  async function run(args: string[]): Promise<number> {
    const program = new Command().exitOverride();
    registerMlCommand(program);
    process.exitCode = 0;
    await program.parseAsync(['node', 'smc', 'ml', 'train', ...args]);
    const code = Number(process.exitCode ?? 0);
    process.exitCode = 0;
    return code;
  }

  it("passes the trainer's refusal through as its exit code", async () => {
    const ds = join(dir, 'small.csv');
    const rows: DatasetRow[] = Array.from({ length: 30 }, (_, i) => ({
      time: T + i * 60_000, symbol: 'BTCUSDT', direction: 'long', features: features(i), pnl: i % 2 ? 1 : -1,
    }));
    writeDataset(ds, rows);
    expect(readFileSync(ds, 'utf8').split('\n').length).toBe(32);
    expect(await run(['--dataset', ds, '--out', join(dir, 'm')])).toBe(2); // 30 < 500 samples
  });

  it('refuses a missing dataset and a missing interpreter with a clear message', async () => {
    await expect(run(['--dataset', join(dir, 'none.csv'), '--out', dir])).rejects.toThrow(/dataset .*none\.csv does not exist/);
    const ds = join(dir, 'x.csv');
    writeDataset(ds, []);
    await expect(run(['--dataset', ds, '--out', dir, '--python', 'no-such-python-3'])).rejects.toThrow(/no-such-python-3 was not found: install Python 3.11/);
  });
});

describe('smc ml export', () => {
  it("writes the store's closed ml_features rows as a dataset the trainer reads", async () => {
    const { PgliteStore } = await import('../../src/storage/pglite-store.js');
    const dataDir = join(dir, 'store');
    const store = await PgliteStore.open(dataDir);
    await store.migrate();
    const f = features(1);
    f[5] = NaN; // stored as JSON null, read back as missing
    const base = { trade_id: null, schema_version: 1, features: featuresToRecord(f), source: 'live' };
    await store.upsertMlFeaturesBatch([
      { ...base, id: '00000000-0000-4000-8000-000000000002', signal_id: `SOLUSDT-long-${T + 300_000}`, created_at: new Date(T + 300_000), outcome: 'win', pnl_percent: 6.5 },
      { ...base, id: '00000000-0000-4000-8000-000000000001', signal_id: `ETHUSDT-short-${T}`, created_at: new Date(T), outcome: 'loss', pnl_percent: -3 },
      { ...base, id: '00000000-0000-4000-8000-000000000003', signal_id: `BTCUSDT-long-${T + 600_000}`, created_at: new Date(T + 600_000), outcome: null, pnl_percent: null },
    ]);
    await store.close();

    const out = join(dir, 'export.csv');
    const saved = process.env.DATA_DIR;
    process.env.DATA_DIR = dataDir;
    try {
      const program = new Command().exitOverride();
      registerMlCommand(program);
      await program.parseAsync(['node', 'smc', 'ml', 'export', '--out', out]);
    } finally {
      if (saved === undefined) delete process.env.DATA_DIR;
      else process.env.DATA_DIR = saved;
    }
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe(DATASET_HEADER.join(','));
    expect(lines).toHaveLength(3); // the open trade is left out
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows.map((r) => [r[0], r[1], r[2]])).toEqual([
      [new Date(T).toISOString(), 'ETHUSDT', 'short'],
      [new Date(T + 300_000).toISOString(), 'SOLUSDT', 'long'],
    ]);
    expect(rows[0]![3 + 5]).toBe('');
    expect(rows.map((r) => r.slice(-2))).toEqual([['-3', '0'], ['6.5', '1']]);
  });
});
