// Backtest runs in the store (sql/006): two backtests with different configs over the same candles keep
// both sets of trades, signals and ml_features; the same backtest written twice keeps one set; the
// per-run views give each run its own numbers; ml_features carry their source and can be read by
// source and run. On PGlite, a real PostgreSQL server and Supabase (the fake PostgREST).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGlite, type PGliteInterface } from '@electric-sql/pglite';
import { coinConfig } from '../../engine/params.js';
import type { CandleSeries } from '../../engine/types.js';
import { loadDataSources } from '../../src/data/load.js';
import { runBacktest, type BacktestResult } from '../../src/backtest/run.js';
import { backtestRows, backtestRunId, writeBacktestToStore } from '../../src/backtest/store-rows.js';
import { buildRunConfig } from '../../src/config/overrides.js';
import { mlScoringFor } from '../../src/ml/signal-scoring.js';
import { uuidFor } from '../../src/runtime/records.js';
import { PgliteStore } from '../../src/storage/pglite-store.js';
import { PostgresStore } from '../../src/storage/postgres-store.js';
import { SupabaseStore } from '../../src/storage/supabase-store.js';
import type { Store } from '../../src/storage/store.js';
import { FakePostgrest } from '../fakes/postgrest/server.js';
import { dataPath } from '../helpers/data.js';
import { mlRow } from './fixtures.js';
import { freshDatabase } from './pg-server.js';

const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'];
const FROM = Date.parse('2021-04-05T00:00:00Z');
const TO = Date.parse('2021-04-12T00:00:00Z');

interface Run { id: string; result: BacktestResult; config: unknown }

let series: CandleSeries[];
let a: Run;
let b: Run;

/** One backtest with ML features (so ml_features rows exist) under the given `--set` values. */
function backtest(set: string[]): Run {
  const cfg = buildRunConfig({ set });
  const coins = Object.fromEntries(series.map((s) => [s.symbol, coinConfig(s.symbol, cfg.coins)]));
  const ml = mlScoringFor({ params: cfg.params, coins: () => coins, baseTf: series[0]!.tf });
  const result = runBacktest({ series, params: cfg.params, coins, ml });
  const config = { params: cfg.params, coins, ml: null };
  return { id: backtestRunId({ config, series }), result, config };
}

beforeAll(() => {
  series = loadDataSources([dataPath('binance-spot')], { symbols: SYMBOLS, from: FROM, to: TO });
  a = backtest(SYMBOLS.map((s) => `${s}.min_confidence=70`));
  b = backtest(SYMBOLS.map((s) => `${s}.min_confidence=60`));
});

describe('backtestRunId', () => {
  it('is the same for the same config and candles, and differs when the config, the coins or a candle differ', () => {
    expect(a.id).toMatch(/^[0-9a-f]{16}$/);
    expect(backtest(SYMBOLS.map((s) => `${s}.min_confidence=70`)).id).toBe(a.id);
    expect(b.id).not.toBe(a.id);
    // Key order of the config does not matter; a value does.
    const reordered = Object.fromEntries(Object.entries(a.config as Record<string, unknown>).reverse());
    expect(backtestRunId({ config: reordered, series })).toBe(a.id);
    expect(backtestRunId({ config: a.config, model: 'model.onnx (schema v1)', series })).not.toBe(a.id);
    expect(backtestRunId({ config: a.config, series: series.slice(0, 1) })).not.toBe(a.id);
    const changed = series.map((s, k) => (k === 1 ? { ...s, close: Float64Array.from(s.close, (x, i) => (i === 5 ? x + 0.01 : x)) } : s));
    expect(backtestRunId({ config: a.config, series: changed })).not.toBe(a.id);
  });

  it('gives run rows their own ids; the runtime ids (no run) are unchanged', () => {
    // The ids the runtime's rows had before runs existed (computed with the previous uuidFor), so rows
    // already stored keep matching their updates.
    expect(uuidFor('trade', 'T-BTCUSDT-1617580800000', 'live')).toBe('23ee4262-4e74-5f9e-b654-76fe091d23f0');
    expect(uuidFor('signal', 'BTCUSDT-long-1617580800000', 'paper')).toBe('1075f691-5d9c-5b5c-bdd1-9f3e257c6d9c');
    const rows = backtestRows(a.result, a.id);
    const plain = uuidFor('signal', a.result.signals[0]!.signal.id, 'backtest');
    expect(rows.signals[0]!.id).not.toBe(plain);
    expect(rows.signals[0]!.id).toBe(uuidFor('signal', a.result.signals[0]!.signal.id, 'backtest', a.id));
    expect(new Set(rows.trades.map((t) => t.run_id))).toEqual(new Set([a.id]));
    // Links between the rows use the run's ids too.
    const traded = rows.signals.find((s) => s.trade_id !== null)!;
    expect(rows.trades.map((t) => t.id)).toContain(traded.trade_id);
    expect(rows.trades.every((t) => rows.signals.some((s) => s.id === t.signal_id))).toBe(true);
    expect(rows.mlFeatures.every((m) => m.source === 'backtest' && m.run_id === a.id)).toBe(true);
    expect(() => backtestRows(a.result, 'not-a-run')).toThrow(/"not-a-run" is not 16 hex digits/);
  });
});

/** Rows of one run as the store returns them (trades, signals through the per-run daily view, ml_features). */
async function counts(store: Store, run: string) {
  const trades = (await store.tradesBetween(new Date(0), new Date(TO + 30 * 86_400_000), 'backtest')).filter((t) => t.run_id === run);
  const days = await store.dailyStats('2021-01-01', '2021-12-31', 'backtest', run);
  const ml = await store.mlFeatures({ source: 'backtest', run });
  return { trades: trades.length, signals: days.reduce((s, d) => s + d.signals_generated, 0), ml: ml.length };
}

const expected = (r: BacktestResult) => ({ trades: r.trades.length, signals: r.signals.length, ml: r.features.size });

function runsContract(store: () => Store): void {
  it('keeps both runs of different configs, and a rerun of one upserts the same rows', async () => {
    // Both runs traded and saw some of the same signals: with one id per engine signal the second run
    // would have overwritten the first run's rows.
    expect(a.result.trades.length).toBeGreaterThan(0);
    expect(b.result.trades.length).toBeGreaterThan(a.result.trades.length);
    const shared = a.result.signals.filter((s) => b.result.signals.some((x) => x.signal.id === s.signal.id));
    expect(shared.length).toBeGreaterThan(0);

    expect(await writeBacktestToStore(store(), a.result, a.id)).toEqual({ run: a.id, ...{ trades: a.result.trades.length, signals: a.result.signals.length, ml_features: a.result.features.size } });
    await writeBacktestToStore(store(), b.result, b.id);
    await writeBacktestToStore(store(), a.result, a.id);
    expect(await counts(store(), a.id)).toEqual(expected(a.result));
    expect(await counts(store(), b.id)).toEqual(expected(b.result));
    const all = await store().mlFeatures({ source: 'backtest' });
    expect(all).toHaveLength(a.result.features.size + b.result.features.size);
    // A shared signal is one row per run, each with its run's trade (or none).
    const sid = shared[0]!.signal.id;
    expect(all.filter((m) => m.signal_id === sid).map((m) => m.run_id).sort()).toEqual([a.id, b.id].sort());
  });

  it('per-run views give each run its own numbers; runtime rows have no run', async () => {
    const closedOf = (r: BacktestResult) => r.trades.filter((t) => Number.isFinite(t.exitTime)).length;
    const sum = (rows: { total_trades: number }[]) => rows.reduce((s, r) => s + r.total_trades, 0);
    for (const r of [a, b]) {
      const buckets = await store().winRateByConfidence('backtest', r.id);
      expect(buckets.every((x) => x.run_id === r.id)).toBe(true);
      expect(sum(buckets)).toBe(closedOf(r.result));
      const coins = await store().coinPerformance('backtest', r.id);
      expect(sum(coins)).toBe(closedOf(r.result));
      const factors = await store().performanceByFactor('backtest', r.id);
      expect(factors.map((f) => f.factor)).toEqual(['Order Block', 'FVG', 'Liquidity Sweep']);
      for (const f of factors) expect(f.trades_with + f.trades_without).toBe(closedOf(r.result));
      const wins = r.result.trades.filter((t) => t.netPnl > 0).length;
      expect(buckets.reduce((s, x) => s + x.wins, 0)).toBe(wins);
    }
    // Without a run filter the rows of both runs come back, told apart by run_id.
    const both = await store().winRateByConfidence('backtest');
    expect(new Set(both.map((x) => x.run_id))).toEqual(new Set([a.id, b.id]));
    expect(sum(both)).toBe(closedOf(a.result) + closedOf(b.result));
    // A runtime source has no run_id on its rows.
    await store().upsertMlFeatures(mlRow({ source: 'paper' }));
    const paper = await store().mlFeatures({ source: 'paper' });
    expect(paper.length).toBeGreaterThan(0);
    expect(paper.every((m) => m.source === 'paper' && m.run_id === undefined)).toBe(true);
  });

  it('reads ml_features by source: live, backtest, one run, or all', async () => {
    const live = mlRow({ source: 'live', signal_id: 'BTCUSDT-long-1617580800000' });
    await store().upsertMlFeatures(live);
    expect((await store().mlFeatures({ source: 'live' })).map((m) => m.id)).toEqual([live.id]);
    const everything = await store().mlFeatures();
    expect(new Set(everything.map((m) => m.source))).toEqual(new Set(['live', 'paper', 'backtest']));
    expect(await store().mlFeatures({ run: b.id })).toHaveLength(b.result.features.size);
    expect(await store().mlFeatures({ source: 'live', run: b.id })).toEqual([]);
    // A write queued before sql/006 (no source in the record) lands as 'live', the column's default.
    const old = { ...mlRow(), source: undefined } as unknown as Parameters<Store['upsertMlFeatures']>[0];
    await store().upsertMlFeatures(old);
    expect((await store().mlFeatures({ source: 'live' })).map((m) => m.id).sort()).toEqual([live.id, old.id].sort());
  });
}

describe('backtest runs on PGlite', () => {
  let store: PgliteStore;
  beforeAll(async () => {
    store = PgliteStore.fromInstance(await PGlite.create());
    await store.migrate();
  });
  afterAll(async () => { await store?.close(); });
  runsContract(() => store);
});

const pgDb = await freshDatabase();
describe.skipIf(!pgDb)('backtest runs on PostgreSQL', () => {
  let store: PostgresStore;
  beforeAll(async () => {
    store = new PostgresStore(pgDb!.url);
    await store.migrate();
  });
  afterAll(async () => {
    await store?.close();
    await pgDb!.drop();
  });
  runsContract(() => store);
});

describe('backtest runs on Supabase (fake PostgREST)', () => {
  const KEY = 'sb-test-service-key-0123456789';
  let db: PGliteInterface;
  let fake: FakePostgrest;
  let store: SupabaseStore;
  beforeAll(async () => {
    const pglite = await PGlite.create();
    await PgliteStore.fromInstance(pglite).migrate();
    db = pglite;
    fake = await new FakePostgrest(db, KEY).start();
    store = new SupabaseStore(fake.url, KEY);
  });
  afterAll(async () => {
    await store?.close();
    await fake?.stop();
    await db?.close();
  });
  runsContract(() => store);

  it('asks PostgREST for the per-run view and ml_features with eq filters', async () => {
    fake.requests.length = 0;
    await store.winRateByConfidence('backtest', a.id);
    await store.mlFeatures({ source: 'backtest', run: a.id });
    const [view, ml] = fake.requests;
    expect(view!.path).toBe('/rest/v1/win_rate_by_confidence_by_run');
    expect(view!.query).toEqual(expect.arrayContaining([['source', 'eq.backtest'], ['run_id', `eq.${a.id}`]]));
    expect(ml!.path).toBe('/rest/v1/ml_features');
    expect(ml!.query).toEqual(expect.arrayContaining([['source', 'eq.backtest'], ['run_id', `eq.${a.id}`]]));
  });
});
