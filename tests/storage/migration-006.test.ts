// sql/006 on a database that already holds rows (migrated to 005): ml_features gets the source of its
// trade, else of its signal when that is unambiguous, else stays 'live'; running the file again
// changes nothing. On PGlite and a real PostgreSQL server.
import { afterAll, describe, expect, it } from 'vitest';
import { PGlite } from '@electric-sql/pglite';
import { loadMigrations } from '../../src/storage/migrations.js';
import { PgliteStore } from '../../src/storage/pglite-store.js';
import { PostgresStore } from '../../src/storage/postgres-store.js';
import type { SqlStore } from '../../src/storage/sql-store.js';
import { freshDatabase } from './pg-server.js';

const T = Date.UTC(2025, 4, 5, 12, 0);
const ids = {
  paperTrade: '00000000-0000-4000-8000-0000000000a1',
  mlOfPaperTrade: '00000000-0000-4000-8000-0000000000b1',
  mlOfBacktestSignal: '00000000-0000-4000-8000-0000000000b2',
  mlAmbiguous: '00000000-0000-4000-8000-0000000000b3',
  mlUnknown: '00000000-0000-4000-8000-0000000000b4',
};

type Query = (sql: string, params?: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;
const rawQuery = (s: SqlStore): Query => {
  const x = s as unknown as { db?: { query: Query }; pool?: { query: Query } };
  return (sql, params) => (x.db ?? x.pool)!.query(sql, params);
};
/** Runs a script of several statements (PGlite's query takes one). */
const rawExec = (s: SqlStore) => (sql: string): Promise<unknown> => {
  const x = s as unknown as { db?: { exec: (q: string) => Promise<unknown> }; pool?: { query: Query } };
  return x.db ? x.db.exec(sql) : x.pool!.query(sql);
};

async function backfillCheck(store: SqlStore): Promise<void> {
  const all = loadMigrations();
  const six = all.findIndex((m) => m.name.startsWith('006_'));
  expect(six).toBeGreaterThan(0);
  await store.migrate(all.slice(0, six));
  const q = rawQuery(store);
  const at = (ms: number) => new Date(ms).toISOString();
  await q(`INSERT INTO trades (id, symbol, direction, entry_price, entry_time, leverage, position_size, take_profit_price,
    stop_loss_price, confidence_score, source) VALUES ($1, 'BTCUSDT', 'long', 1, $2, 10, 1, 2, 0.5, 80, 'paper')`, [ids.paperTrade, at(T)]);
  const signal = (id: string, symbol: string, direction: string, ms: number, source: string) =>
    q(`INSERT INTO signals (id, created_at, symbol, direction, confidence_score, factors, source) VALUES ($1, $2, $3, $4, 80, '[]', $5)`,
      [id, at(ms), symbol, direction, source]);
  await signal('s-bt', 'ETHUSDT', 'short', T + 60_000, 'backtest');
  await signal('s-both-1', 'SOLUSDT', 'long', T + 120_000, 'backtest');
  await signal('s-both-2', 'SOLUSDT', 'long', T + 120_000, 'live');
  const ml = (id: string, tradeId: string | null, signalId: string) =>
    q(`INSERT INTO ml_features (id, trade_id, signal_id, features) VALUES ($1, $2, $3, '{}')`, [id, tradeId, signalId]);
  await ml(ids.mlOfPaperTrade, ids.paperTrade, `BTCUSDT-long-${T}`);
  await ml(ids.mlOfBacktestSignal, null, `ETHUSDT-short-${T + 60_000}`);
  await ml(ids.mlAmbiguous, null, `SOLUSDT-long-${T + 120_000}`);
  await ml(ids.mlUnknown, null, `DOGEUSDT-long-${T}`);

  expect((await store.migrate()).map((n) => n.slice(0, 4))).toEqual(all.slice(six).map((m) => m.name.slice(0, 4)));
  const sources = async () => Object.fromEntries((await q('SELECT id, source, run_id FROM ml_features ORDER BY id')).rows
    .map((r) => [String(r.id), `${r.source}${r.run_id ? `/${r.run_id}` : ''}`]));
  const after = {
    [ids.mlOfPaperTrade]: 'paper',
    [ids.mlOfBacktestSignal]: 'backtest',
    [ids.mlAmbiguous]: 'live',
    [ids.mlUnknown]: 'live',
  };
  expect(await sources()).toEqual(after);
  // The file is idempotent: running it again on the migrated data keeps every source.
  await rawExec(store)(all[six]!.sql);
  expect(await sources()).toEqual(after);
  // Rows read through the store carry the source.
  expect((await store.mlFeatures({ source: 'backtest' })).map((r) => r.id)).toEqual([ids.mlOfBacktestSignal]);
}

describe('migration 006 on PGlite', () => {
  it('backfills ml_features.source from the trade, else an unambiguous signal, else leaves live', async () => {
    const store = PgliteStore.fromInstance(await PGlite.create());
    try {
      await backfillCheck(store);
    } finally {
      await store.close();
    }
  });
});

const pgDb = await freshDatabase();
describe.skipIf(!pgDb)('migration 006 on PostgreSQL', () => {
  afterAll(async () => { await pgDb!.drop(); });
  it('backfills the same way', async () => {
    const store = new PostgresStore(pgDb!.url);
    try {
      await backfillCheck(store);
    } finally {
      await store.close();
    }
  });
});
