// `smc backtest --store` on PGlite (DATA_DIR) and on a real PostgreSQL server (DATABASE_URL): trades,
// signals and ml_features land with source 'backtest', the views give the numbers of summary.json and of
// trades.csv, and running the same backtest again adds no row.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backtestCommand, type BacktestCliOptions } from '../../src/cli/commands/backtest.js';
import { confidenceBucket, CONFIDENCE_BUCKETS } from '../../src/backtest/summary.js';
import { datasetFromMlFeatures } from '../../src/ml/export.js';
import { openRawStore } from '../../src/storage/open.js';
import type { Store } from '../../src/storage/store.js';
import { freshDatabase } from '../storage/pg-server.js';
import { dataPath } from '../helpers/data.js';

const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'AVAXUSDT', 'DOGEUSDT'];
const ENV_KEYS = ['DATA_DIR', 'DATABASE_URL', 'SUPABASE_URL', 'SUPABASE_KEY', 'MODEL_PATH', 'ML_MIN_CONFIDENCE'] as const;
const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
const restoreEnv = () => { for (const k of ENV_KEYS) if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; };

const pgDb = await freshDatabase();
let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'smc-bt-store-')); });
afterAll(async () => {
  restoreEnv();
  rmSync(dir, { recursive: true, force: true });
  await pgDb?.drop();
});

function opts(out: string): BacktestCliOptions {
  return {
    data: [dataPath('binance-spot')], symbols: SYMBOLS, from: Date.parse('2021-04-05T00:00:00Z'), to: Date.parse('2021-04-12T00:00:00Z'),
    set: SYMBOLS.map((s) => `${s}.min_confidence=70`), out, report: false, quiet: true, store: true,
  };
}

function csv(text: string): Record<string, string>[] {
  const [head, ...lines] = text.trim().split('\n');
  const keys = head!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, k) => [keys[k]!, v])));
}

async function count(store: Store, table: string): Promise<number> {
  const sql = table === 'ml_features' ? 'SELECT count(*)::int AS n FROM ml_features' : `SELECT count(*)::int AS n FROM ${table} WHERE source = 'backtest'`;
  const s = store as unknown as { db?: { query: (q: string) => Promise<{ rows: { n: number }[] }> }; pool?: { query: (q: string) => Promise<{ rows: { n: number }[] }> } };
  const r = await (s.db ?? s.pool)!.query(sql);
  return Number(r.rows[0]!.n);
}

/** The per-bucket and per-factor numbers straight from trades.csv (independent of the summary code). */
function fromTradesCsv(path: string) {
  const trades = csv(readFileSync(path, 'utf8')).map((r) => ({
    confidence: Number(r.confidence), win: Number(r.net_pnl) > 0, pct: Number(r.pnl_percent), factors: r.factors!.split(' ').map((f) => f.split(':')[0]),
  }));
  const rate = (ts: typeof trades) => (ts.length ? Math.round((ts.filter((t) => t.win).length / ts.length) * 10000) / 100 : null);
  const buckets = CONFIDENCE_BUCKETS.map((b) => {
    const ts = trades.filter((t) => confidenceBucket(t.confidence) === b);
    return { bucket: b, trades: ts.length, wins: ts.filter((t) => t.win).length, winRate: rate(ts) };
  }).filter((b) => b.trades > 0);
  const factor = (key: string) => {
    const w = trades.filter((t) => t.factors.includes(key));
    const wo = trades.filter((t) => !t.factors.includes(key));
    return [w.length, wo.length, rate(w), rate(wo)];
  };
  return { buckets, factors: { 'Order Block': factor('order_block'), FVG: factor('fvg'), 'Liquidity Sweep': factor('sweep') } };
}

async function storeRoundTrip(env: Record<string, string>) {
  restoreEnv();
  for (const k of ENV_KEYS) delete process.env[k];
  Object.assign(process.env, env);
  const out = join(dir, `out-${env.DATABASE_URL ? 'pg' : 'pglite'}`);
  const first = await backtestCommand(opts(out));
  const { result, summary } = first;
  expect(result.trades.length).toBeGreaterThan(10);
  const store = await openRawStore(env);
  try {
    const counts = { trades: await count(store, 'trades'), signals: await count(store, 'signals'), ml: await count(store, 'ml_features') };
    expect(counts).toEqual({ trades: result.trades.length, signals: result.signals.length, ml: result.signals.length });

    // SELECT * FROM win_rate_by_confidence = summary.json perConfidence = trades.csv
    const view = await store.winRateByConfidence('backtest');
    const fromCsv = fromTradesCsv(join(out, 'trades.csv'));
    const viewRows = view.map((v) => ({ bucket: v.confidence_bucket, trades: v.total_trades, wins: v.wins, winRate: v.win_rate }));
    expect(viewRows).toEqual(summary.perConfidence.filter((b) => b.trades > 0).map((b) => ({ bucket: b.bucket, trades: b.trades, wins: b.wins, winRate: b.winRate })));
    expect(viewRows).toEqual(fromCsv.buckets);
    view.forEach((v) => {
      const s = summary.perConfidence.find((b) => b.bucket === v.confidence_bucket)!;
      expect(Math.abs(v.avg_pnl! - s.avgPnlPercent!)).toBeLessThanOrEqual(1.5e-4); // the store keeps pnl_percent at 4 decimals
    });

    // performance_by_factor = summary.json perFactor = trades.csv
    const factors = await store.performanceByFactor('backtest');
    expect(factors.map((f) => f.factor)).toEqual(['Order Block', 'FVG', 'Liquidity Sweep']);
    for (const f of factors) {
      const s = summary.perFactor.find((x) => x.factor === f.factor)!;
      const row = [f.trades_with, f.trades_without, f.win_rate_with, f.win_rate_without];
      expect(row).toEqual([s.tradesWith, s.tradesWithout, s.winRateWith, s.winRateWithout]);
      expect(row).toEqual(fromCsv.factors[f.factor]);
    }

    // ml_features: outcome on exactly the traded signals of the dataset; `smc ml export` reads them back
    const ml = await store.mlFeatures();
    const labelled = result.trades.filter((t) => t.exitReason !== 'end_of_data');
    expect(ml.filter((r) => r.outcome !== null)).toHaveLength(labelled.length);
    const exported = datasetFromMlFeatures(ml);
    expect(exported.rows.map((r) => `${r.time} ${r.symbol} ${r.pnl}`).sort())
      .toEqual(result.dataset.map((r) => `${r.time} ${r.symbol} ${r.pnl}`).sort());

    // the same backtest again upserts the same rows
    await store.close();
    await backtestCommand(opts(out));
    const again = await openRawStore(env);
    try {
      expect({ trades: await count(again, 'trades'), signals: await count(again, 'signals'), ml: await count(again, 'ml_features') }).toEqual(counts);
    } finally {
      await again.close();
    }
  } finally {
    await store.close().catch(() => undefined);
  }
}

describe('smc backtest --store', () => {
  it('PGlite (DATA_DIR): rows, views = summary.json = trades.csv, rerun adds nothing', async () => {
    await storeRoundTrip({ DATA_DIR: join(dir, 'pglite-data') });
  });

  it.skipIf(!pgDb)('PostgreSQL (DATABASE_URL): the same', async () => {
    await storeRoundTrip({ DATA_DIR: join(dir, 'pg-data'), DATABASE_URL: pgDb!.url });
  });
});
