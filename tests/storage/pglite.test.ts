// Migrations, views and the Store contract on PGlite. Each test gets a clone of one migrated
// template (stack.md §3: cloning is ~8× faster than creating a database).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PGlite } from '@electric-sql/pglite';
import { PgliteStore } from '../../src/storage/pglite-store.js';
import { loadMigrations } from '../../src/storage/migrations.js';
import { storeContract } from './contract.js';
import { trade } from './fixtures.js';

let template: PGlite;
let store: PgliteStore;

beforeAll(async () => {
  template = await PGlite.create();
  await PgliteStore.fromInstance(template).migrate();
});
afterAll(async () => { await template.close(); });
beforeEach(async () => { store = PgliteStore.fromInstance(await template.clone()); });
afterEach(async () => { await store.close(); });

describe('migrations on PGlite', () => {
  it('apply in order, are recorded, and a second run (even of the SQL itself) changes nothing', async () => {
    const fresh = PgliteStore.fromInstance(await PGlite.create());
    try {
      const names = loadMigrations().map((m) => m.name);
      expect(names.length).toBeGreaterThanOrEqual(4);
      expect(await fresh.migrate()).toEqual(names);
      expect(await fresh.migrate()).toEqual([]);
      expect(await fresh.appliedMigrations()).toEqual(names);
      // Every file is itself idempotent: running them all again on a migrated database succeeds.
      for (const m of loadMigrations()) await fresh.db.exec(m.sql);
      const objects = await fresh.db.query<{ name: string }>(
        `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`);
      expect(objects.rows.map((r) => r.name)).toEqual(expect.arrayContaining([
        'approvals', 'bot_state', 'coin_performance', 'coin_performance_view', 'daily_stats', 'daily_stats_view', 'ml_features',
        'orders', 'performance_by_factor', 'schema_migrations', 'signals', 'trade_lease', 'trades', 'win_rate_by_confidence',
      ]));
    } finally {
      await fresh.close();
    }
  });

  it("locks Supabase's public roles out: no table, view or function for anon/authenticated, the owner unaffected", async () => {
    const db = await PGlite.create();
    const fresh = PgliteStore.fromInstance(db);
    try {
      // Supabase's roles and default grants: everything new in public is granted to all three.
      await db.exec(`CREATE ROLE anon; CREATE ROLE authenticated; CREATE ROLE service_role BYPASSRLS;
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;`);
      await fresh.migrate();
      await fresh.upsertTrade(trade({ source: 'live' }));
      for (const role of ['anon', 'authenticated']) {
        await db.exec(`SET ROLE ${role}`);
        for (const sql of ['SELECT * FROM trades', 'SELECT * FROM win_rate_by_confidence', 'SELECT * FROM daily_stats_by_run',
          'SELECT * FROM ml_features', "SELECT acquire_lease('a', 'b', 1000)",
          `INSERT INTO bot_state (id, mode, paused) VALUES (true, 'auto', false)`]) {
          await expect(db.query(sql), `${role}: ${sql}`).rejects.toThrow(/permission denied/);
        }
        await db.exec('RESET ROLE');
      }
      await db.exec('SET ROLE service_role');
      expect((await db.query<{ ok: boolean }>("SELECT acquire_lease('acct', 'me', 1000) AS ok")).rows[0].ok).toBe(true);
      expect((await db.query('SELECT * FROM trades')).rows).toHaveLength(1);
      expect((await db.query(`SELECT * FROM win_rate_by_confidence_by_run WHERE source = 'live'`)).rows).toHaveLength(0); // open trade
      await db.exec('RESET ROLE');
      expect((await fresh.openTrades('live')).length).toBe(1);
      const rls = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND NOT rowsecurity`);
      expect(rls.rows[0].n).toBe(0);
    } finally {
      await fresh.close();
    }
  });

  it('refuses to run when an applied migration file was edited, naming it', async () => {
    const fresh = PgliteStore.fromInstance(await PGlite.create());
    try {
      const migrations = loadMigrations();
      await fresh.migrate(migrations);
      const edited = migrations.map((m, i) => (i === 1 ? { ...m, sql: m.sql + '\n-- edited', checksum: 'ffffffffffffffff' } : m));
      await expect(fresh.migrate(edited)).rejects.toThrow(
        new RegExp(`migration ${migrations[1].name} was changed after it was applied.*new numbered migration`),
      );
      expect(await fresh.migrate(migrations)).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('refuses a second bot_state row and a duplicate orderLinkId', async () => {
    await expect(store.db.query(`INSERT INTO bot_state (id, mode) VALUES (false, 'auto')`)).rejects.toThrow(/check/i);
    await store.db.query(`INSERT INTO orders (id, order_link_id, symbol, side, order_type, purpose, qty, status)
      VALUES (gen_random_uuid(), 'dup-1', 'BTCUSDT', 'Buy', 'market', 'entry', 1, 'intent')`);
    await expect(store.db.query(`INSERT INTO orders (id, order_link_id, symbol, side, order_type, purpose, qty, status)
      VALUES (gen_random_uuid(), 'dup-1', 'BTCUSDT', 'Buy', 'market', 'entry', 1, 'intent')`)).rejects.toThrow(/duplicate key/);
  });

  it('compute_daily_stats stores the view numbers in daily_stats, once per day and source', async () => {
    const { tradeSet } = await import('./fixtures.js');
    const trades = tradeSet('backtest', 40, 3);
    await store.upsertTrades(trades);
    const day = trades.find((t) => t.exit_time)!.exit_time!.toISOString().slice(0, 10);
    const first = await store.computeDailyStats(day);
    const again = await store.computeDailyStats(day);
    expect(again).toEqual(first);
    expect(first).toEqual(await store.dailyStats(day, day));
    const n = await store.db.query<{ n: number }>('SELECT count(*)::int AS n FROM daily_stats WHERE date = $1', [day]);
    expect(n.rows[0].n).toBe(1);
  });
});

describe('PgliteStore', () => {
  storeContract(() => store);
});
