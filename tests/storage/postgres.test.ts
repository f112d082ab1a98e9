// Migrations, views and the Store contract on a real PostgreSQL server (CI: TEST_DATABASE_URL).
// In CI a missing server fails these tests; locally they are skipped with a visible message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/storage/postgres-store.js';
import { loadMigrations } from '../../src/storage/migrations.js';
import { storeContract } from './contract.js';
import { freshDatabase } from './pg-server.js';

const db = await freshDatabase();
let store: PostgresStore;

describe.skipIf(!db)('PostgresStore on a real PostgreSQL server', () => {
  beforeAll(async () => {
    store = new PostgresStore(db!.url);
  });
  afterAll(async () => {
    await store?.close();
    await db!.drop();
  });

  it('migrations apply in order, are recorded, and a second run (even of the SQL itself) changes nothing', async () => {
    const names = loadMigrations().map((m) => m.name);
    expect(await store.migrate()).toEqual(names);
    expect(await store.migrate()).toEqual([]);
    expect(await store.appliedMigrations()).toEqual(names);
    for (const m of loadMigrations()) await store.pool.query(m.sql);
    const v = await store.pool.query<{ v: number }>(`SELECT current_setting('server_version_num')::int AS v`);
    expect(v.rows[0].v).toBeGreaterThanOrEqual(130000);
  });

  it('two migrators at once apply each migration once', async () => {
    const other = new PostgresStore(db!.url);
    try {
      const [a, b] = await Promise.all([store.migrate(), other.migrate()]);
      expect([...a, ...b]).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('masks the password in its target', () => {
    expect(new PostgresStore('postgres://u:s3cret@db.example:5432/x').target).toBe('postgres://u:***@db.example:5432/x');
  });

  storeContract(() => store);
});
