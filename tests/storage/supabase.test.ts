// SupabaseStore against a local PostgREST stand-in (tests/fakes/postgrest) backed by a migrated
// PGlite: the exact requests supabase-js sends, the Store contract, and an outage.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PGlite, type PGliteInterface } from '@electric-sql/pglite';
import { PgliteStore } from '../../src/storage/pglite-store.js';
import { SupabaseStore, SUPABASE_MIGRATE_MESSAGE } from '../../src/storage/supabase-store.js';
import { QueuedStore } from '../../src/storage/queued-store.js';
import { loadMigrations, SchemaBehindError } from '../../src/storage/migrations.js';
import { openStore } from '../../src/storage/open.js';
import { FakePostgrest } from '../fakes/postgrest/server.js';
import { storeContract } from './contract.js';
import { approval, trade } from './fixtures.js';

const KEY = 'sb-test-service-key-0123456789';
let template: PGlite;
let db: PGliteInterface;
let fake: FakePostgrest;
let store: SupabaseStore;

beforeAll(async () => {
  template = await PGlite.create();
  await PgliteStore.fromInstance(template).migrate();
});
afterAll(async () => { await template.close(); });
beforeEach(async () => {
  db = await template.clone();
  fake = await new FakePostgrest(db, KEY).start();
  store = new SupabaseStore(fake.url, KEY);
});
afterEach(async () => {
  await store.close();
  await fake.stop();
  await db.close();
});

describe('SupabaseStore requests', () => {
  it('upserts by id with the headers PostgREST needs', async () => {
    const t = trade();
    await store.upsertTrade(t);
    const [req] = fake.requests;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/rest/v1/trades');
    expect(req.query).toEqual([['on_conflict', 'id']]);
    expect(req.headers.prefer).toBe('resolution=merge-duplicates');
    expect(req.headers.apikey).toBe(KEY);
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req.headers['content-profile']).toBe('public');
    expect(req.body).toMatchObject({ id: t.id, entry_time: '2026-03-02T10:15:00.000Z', source: 'paper' });
    expect(req.status).toBe(201);
  });

  it('sends bulk rows as one array with the column list', async () => {
    const rows = [trade(), trade()];
    await store.upsertTrades(rows);
    const [req] = fake.requests;
    expect(req.query.find(([k]) => k === 'columns')?.[1]).toMatch(/^"id","symbol","direction",/);
    expect((req.body as unknown[]).length).toBe(2);
  });

  it('reads with filters, order and paging, and calls SQL functions with .rpc', async () => {
    await store.openTrades('paper');
    const get = fake.requests[0];
    expect(get.method).toBe('GET');
    expect(get.path).toBe('/rest/v1/trades');
    expect(get.query).toEqual([['select', '*'], ['exit_time', 'is.null'], ['source', 'eq.paper'],
      ['order', 'entry_time.asc,id.asc'], ['offset', '0'], ['limit', '1000']]);
    expect(get.headers['accept-profile']).toBe('public');
    const a = approval();
    await store.upsertApproval(a);
    expect(await store.decideApproval(a.id, 'pending', 'approved', 'telegram:1')).toBe(true);
    const rpc = fake.requests.at(-1)!;
    expect([rpc.method, rpc.path]).toEqual(['POST', '/rest/v1/rpc/decide_approval']);
    expect(rpc.body).toEqual({ p_id: a.id, p_from: 'pending', p_to: 'approved', p_by: 'telegram:1' });
  });

  it('pages through more rows than one response holds', async () => {
    const rows = Array.from({ length: 1203 }, (_, i) => trade({ source: 'paging', entry_time: new Date(Date.UTC(2026, 0, 1) + i * 60_000) }));
    await store.upsertTrades(rows);
    const open = await store.openTrades('paging');
    expect(open.map((t) => t.id)).toEqual(rows.map((t) => t.id));
    expect(fake.requests.filter((r) => r.method === 'GET').map((r) => r.query.find(([k]) => k === 'offset')?.[1])).toEqual(['0', '1000']);
  });

  it('a wrong key is an error naming the HTTP status, not an empty result', async () => {
    const bad = new SupabaseStore(fake.url, 'wrong-key');
    try {
      await expect(bad.openTrades()).rejects.toThrow(/Invalid API key.*HTTP 401/);
      expect((await bad.info()).reachable).toBe(false);
    } finally {
      await bad.close();
    }
  });

  it('says migrations need DATABASE_URL', async () => {
    await expect(store.migrate()).rejects.toThrow(SUPABASE_MIGRATE_MESSAGE);
    expect(SUPABASE_MIGRATE_MESSAGE).toMatch(/DATABASE_URL.*smc db migrate/);
    expect(await store.appliedMigrations()).toEqual(loadMigrations().map((m) => m.name));
  });
});

describe('SupabaseStore on a database that was never migrated', () => {
  it('is reachable but says to migrate through DATABASE_URL', async () => {
    const empty = await PGlite.create();
    const f = await new FakePostgrest(empty, KEY).start();
    const s = new SupabaseStore(f.url, KEY);
    try {
      const info = await s.info();
      expect(info).toMatchObject({ kind: 'supabase', reachable: true });
      expect(info.error).toMatch(/smc db migrate.*DATABASE_URL/);
      expect(await s.appliedMigrations()).toEqual([]);
    } finally {
      await s.close();
      await f.stop();
      await empty.close();
    }
  });
});

describe('SupabaseStore outage', () => {
  it('503s and a closed port queue the writes; every row arrives once and in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smc-journal-'));
    const q = await QueuedStore.open(store, dir, { retryBaseMs: 5, retryMaxMs: 40 });
    try {
      const rows = Array.from({ length: 30 }, (_, i) => trade({ source: 'outage', entry_time: new Date(Date.UTC(2026, 0, 1, 0, i)) }));
      fake.fail(12, 503);
      for (const r of rows.slice(0, 10)) await q.upsertTrade(r);
      await fake.stop(); // connection refused
      for (const r of rows.slice(10, 20)) await q.upsertTrade(r);
      expect(q.queueLength()).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 100));
      await fake.start();
      for (const r of rows.slice(20)) await q.upsertTrade(r);
      await q.flush(20_000);
      const arrived = fake.writes('trades').map((r) => (r.body as { id: string }).id);
      expect(arrived).toEqual(rows.map((r) => r.id));
      expect(fake.requests.some((r) => r.status === 503)).toBe(true);
      const stored = await db.query<{ id: string }>(`SELECT id FROM trades WHERE source = 'outage' ORDER BY xmin::text::bigint`);
      expect(stored.rows.map((r) => r.id)).toEqual(rows.map((r) => r.id));
    } finally {
      await q.abandon();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SupabaseStore contract', () => {
  storeContract(() => store);
});

describe('opening a Supabase store', () => {
  it('a database behind this version (a migration not run) stops start-up with what to run; a migrated one opens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smc-sb-open-'));
    const behind = await PGlite.create();
    const all = loadMigrations();
    await PgliteStore.fromInstance(behind).migrate(all.slice(0, -1));
    const rest = await new FakePostgrest(behind, KEY).start();
    try {
      const env = { SUPABASE_URL: rest.url, SUPABASE_KEY: KEY, DATA_DIR: dir };
      const err = await openStore(env).then(() => null, (e: Error) => e);
      expect(err).toBeInstanceOf(SchemaBehindError);
      expect(err!.message).toContain(all[all.length - 1].name);
      expect(err!.message).toMatch(/DATABASE_URL.*smc db migrate/);
      expect(rest.requests.filter((r) => r.method !== 'GET')).toEqual([]); // nothing written
      await PgliteStore.fromInstance(behind).migrate(all);
      const opened = await openStore(env);
      await opened.close();
    } finally {
      await rest.stop();
      await behind.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
