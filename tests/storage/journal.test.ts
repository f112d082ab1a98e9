// The write journal: durable before applied, replayed after a crash, in order, exactly once;
// bad rows set aside instead of blocking; and a real PostgreSQL server going away mid-stream.
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PGlite } from '@electric-sql/pglite';
import { PgliteStore } from '../../src/storage/pglite-store.js';
import { PostgresStore } from '../../src/storage/postgres-store.js';
import { QueuedStore, isPermanentError } from '../../src/storage/queued-store.js';
import { Journal } from '../../src/storage/journal.js';
import { openStore } from '../../src/storage/open.js';
import pg from 'pg';
import { loadMigrations } from '../../src/storage/migrations.js';
import { order, trade } from './fixtures.js';
import { PgServer, inCI, pgBin } from './pg-server.js';

let template: PGlite;
let dir: string;
const opened: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  template = await PGlite.create();
  await PgliteStore.fromInstance(template).migrate();
});
afterAll(async () => { await template.close(); });
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'smc-journal-')); });
afterEach(async () => {
  for (const c of opened.splice(0)) await c.close().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

async function cloneStore(): Promise<PgliteStore> {
  const s = PgliteStore.fromInstance(await template.clone());
  opened.push(s);
  return s;
}

/** A store whose writes fail with a connection error while `down` is true. */
function flaky(inner: PgliteStore) {
  const state = { down: true, attempts: 0 };
  const s = Object.create(inner) as PgliteStore;
  s.upsertTrade = async (t) => {
    state.attempts++;
    if (state.down) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    return inner.upsertTrade(t);
  };
  return { store: s, state };
}

const idsInInsertOrder = async (s: PgliteStore, source: string) =>
  (await s.db.query<{ id: string }>('SELECT id FROM trades WHERE source = $1 ORDER BY xmin::text::bigint', [source])).rows.map((r) => r.id);

describe('journal', () => {
  it('writes every entry to disk before it is applied, and replays the un-acknowledged tail after a crash', async () => {
    const db = await cloneStore();
    const { store, state } = flaky(db);
    const q1 = await QueuedStore.open(store, dir, { retryBaseMs: 5, retryMaxMs: 20 });
    const rows = Array.from({ length: 25 }, (_, i) => trade({ source: 'crash', entry_time: new Date(Date.UTC(2026, 0, 1, 0, i)) }));
    for (const r of rows) await q1.upsertTrade(r);
    // Resolved writes are on disk even though none reached the database.
    const lines = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n'));
    expect(lines.map((l) => JSON.parse(l).args.id)).toEqual(rows.map((r) => r.id));
    expect(q1.queueLength()).toBe(25);
    expect(await idsInInsertOrder(db, 'crash')).toEqual([]);
    await q1.abandon(); // the process dies here
    expect(Journal.pendingCount(dir)).toBe(25);

    state.down = false;
    const q2 = await QueuedStore.open(store, dir);
    expect(q2.queueLength()).toBe(25);
    await q2.flush(10_000);
    expect(await idsInInsertOrder(db, 'crash')).toEqual(rows.map((r) => r.id));
    const back = await db.tradesBetween(new Date(0), new Date(Date.UTC(2027, 0, 1)), 'crash');
    expect(back).toEqual(rows); // Dates and numbers survive the JSON journal
    await q2.abandon();
    // Nothing is replayed twice: the third start finds an empty queue.
    const q3 = await QueuedStore.open(store, dir);
    expect(q3.queueLength()).toBe(0);
    await q3.abandon();
  });

  it('keeps queueing while the database is down and drains in order when it returns', async () => {
    const db = await cloneStore();
    const { store, state } = flaky(db);
    const q = await QueuedStore.open(store, dir, { retryBaseMs: 5, retryMaxMs: 20 });
    const rows = Array.from({ length: 40 }, (_, i) => trade({ source: 'down', entry_time: new Date(Date.UTC(2026, 0, 1, 0, i)) }));
    for (const r of rows.slice(0, 20)) await q.upsertTrade(r);
    await new Promise((r) => setTimeout(r, 60));
    expect(state.attempts).toBeGreaterThan(1); // retried with back-off
    expect((await q.info()).error).toMatch(/ECONNREFUSED/);
    for (const r of rows.slice(20)) await q.upsertTrade(r);
    expect(q.queueLength()).toBe(40);
    state.down = false;
    await q.flush(10_000);
    expect(q.queueLength()).toBe(0);
    expect(await idsInInsertOrder(db, 'down')).toEqual(rows.map((r) => r.id));
    await q.abandon();
  });

  it('rolls over to new segments and deletes the ones fully applied', async () => {
    const seen: number[] = [];
    const j = await Journal.open(dir, (e) => seen.push(e.seq), { segmentBytes: 300 });
    for (let i = 0; i < 12; i++) await j.append('upsertTrade', trade());
    const segments = () => readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort();
    expect(segments().length).toBeGreaterThan(3);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    j.ack(9);
    const left = segments();
    expect(left.length).toBeLessThan(6);
    // What remains starts at or before the first un-acknowledged entry.
    expect(Number.parseInt(left[0], 10)).toBeLessThanOrEqual(10);
    await j.close();
    const replayed: number[] = [];
    const j2 = await Journal.open(dir, (e) => replayed.push(e.seq));
    expect(replayed).toEqual([10, 11, 12]);
    expect((await j2.append('upsertTrade', trade())).seq).toBe(13);
    await j2.close();
  });

  it('ignores a torn last line (a write that never finished) and applies the rest', async () => {
    const db = await cloneStore();
    const { store, state } = flaky(db);
    const q1 = await QueuedStore.open(store, dir, { retryBaseMs: 5 });
    const rows = [trade({ source: 'torn' }), trade({ source: 'torn' })];
    for (const r of rows) await q1.upsertTrade(r);
    await q1.abandon();
    const seg = readdirSync(dir).find((f) => f.endsWith('.jsonl'))!;
    appendFileSync(join(dir, seg), '{"seq":3,"op":"upsertTrade","args":{"id":"half');
    state.down = false;
    const q2 = await QueuedStore.open(store, dir);
    await q2.flush(10_000);
    expect(await idsInInsertOrder(db, 'torn')).toEqual(rows.map((r) => r.id));
    await q2.abandon();
  });

  it('sets aside a row the database refuses for good instead of blocking the queue', async () => {
    const db = await cloneStore();
    const errors: string[] = [];
    const q = await QueuedStore.open(db, dir, { onError: (m) => errors.push(m) });
    const a = order({ order_link_id: 'same-link' });
    const b = order({ order_link_id: 'same-link' }); // unique violation (23505)
    const c = order();
    await q.upsertOrder(a);
    await q.upsertOrder(b);
    await q.upsertOrder(c);
    await q.flush(10_000);
    expect((await db.orderByLinkId('same-link'))?.id).toBe(a.id);
    expect(await db.orderByLinkId(c.order_link_id)).not.toBeNull();
    const rejected = readFileSync(join(dir, 'rejected.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rejected.map((r) => r.args.id)).toEqual([b.id]);
    expect(rejected[0].error).toMatch(/duplicate key/);
    expect(errors.join('\n')).toMatch(/rejected\.jsonl/);
    expect(isPermanentError({ code: 'ECONNREFUSED' })).toBe(false);
    await q.abandon();
  });

  it('refuses a NaN at the call instead of journaling a silent null', async () => {
    const db = await cloneStore();
    const q = await QueuedStore.open(db, dir);
    await expect(q.upsertTrade(trade({ pnl_usd: Number.NaN }))).rejects.toThrow('upsertTrade: pnl_usd=NaN is not a finite number');
    await expect(q.upsertTrades([trade(), trade({ leverage: Infinity })])).rejects.toThrow(/leverage=Infinity/);
    expect(q.queueLength()).toBe(0);
    expect(Journal.pendingCount(dir)).toBe(0);
    await expect(db.upsertTrade(trade({ mtf_rsi: Number.NaN }))).rejects.toMatchObject({ code: '22023' });
    await q.abandon();
  });

  it('shows a queued order intent to readers before the database has it', async () => {
    const db = await cloneStore();
    const { store } = flaky(db);
    store.upsertOrder = async () => { throw Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }); };
    const q = await QueuedStore.open(store, dir, { retryBaseMs: 1000 });
    const o = order();
    await q.upsertOrder(o);
    await q.upsertOrder({ ...o, status: 'new', exchange_order_id: 'ex-9' });
    expect((await q.orderByLinkId(o.order_link_id))?.status).toBe('new');
    expect((await q.openOrders()).map((x) => x.id)).toEqual([o.id]);
    await q.abandon();
  });
});

const bin = pgBin();
describe.skipIf(!bin && !inCI)('journal over a real PostgreSQL server that goes away', () => {
  let server: PgServer;
  beforeAll(async () => {
    if (!bin) throw new Error('CI=true but PostgreSQL server binaries are missing (SMC_PG_BIN)');
    server = await PgServer.create();
  });
  afterAll(() => server?.destroy());

  it('every row written during the outage arrives exactly once, in order', async () => {
    const pgStore = new PostgresStore(server.url, { connectionTimeoutMillis: 2000 });
    await pgStore.migrate();
    const q = await QueuedStore.open(pgStore, dir, { retryBaseMs: 20, retryMaxMs: 200 });
    try {
      const rows = Array.from({ length: 30 }, (_, i) => trade({ source: 'pg-outage', entry_time: new Date(Date.UTC(2026, 0, 1, 0, i)) }));
      for (const r of rows.slice(0, 10)) await q.upsertTrade(r);
      await q.flush(10_000);
      server.stop();
      for (const r of rows.slice(10, 25)) await q.upsertTrade(r);
      await new Promise((r) => setTimeout(r, 300));
      expect(q.queueLength()).toBeGreaterThan(0);
      server.start();
      for (const r of rows.slice(25)) await q.upsertTrade(r);
      await q.flush(30_000);
      const got = await pgStore.pool.query<{ id: string }>(
        `SELECT id FROM trades WHERE source = 'pg-outage' ORDER BY xmin::text::bigint`);
      expect(got.rows.map((r) => r.id)).toEqual(rows.map((r) => r.id));
    } finally {
      await q.close();
    }
  });

  it('starts while the database is down: writes queue, migrations and writes run when it returns', async () => {
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query('CREATE DATABASE late_start');
    await admin.end();
    const url = server.url.replace(/\/postgres$/, '/late_start');
    server.stop();
    const errors: string[] = [];
    const store = await openStore({ DATA_DIR: dir, DATABASE_URL: url }, { retryBaseMs: 20, retryMaxMs: 200, onError: (m) => errors.push(m) });
    try {
      expect(await store.migrate()).toEqual([]); // deferred, not fatal
      const rows = Array.from({ length: 5 }, () => trade({ source: 'late' }));
      for (const r of rows) await store.upsertTrade(r);
      expect(store.queueLength()).toBe(5);
      expect(errors.join('\n')).toMatch(/unreachable/);
      server.start();
      await store.flush(30_000);
      expect(await store.appliedMigrations()).toEqual(loadMigrations().map((m) => m.name));
      expect((await store.openTrades('late')).map((t) => t.id).sort()).toEqual(rows.map((r) => r.id).sort());
    } finally {
      await store.close();
    }
  });
});
