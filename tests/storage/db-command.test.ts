// `smc db status` / `smc db migrate` as functions: store choice, masked target, reachability,
// migrations, journal queue length.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dbMigrate, dbStatus, formatDbStatus } from '../../src/cli/commands/db.js';
import { loadMigrations } from '../../src/storage/migrations.js';
import { Journal } from '../../src/storage/journal.js';
import { lockDataDir } from '../../src/storage/lockfile.js';
import { journalDir, storeKind } from '../../src/storage/open.js';
import { trade } from './fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'smc-db-cmd-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const names = loadMigrations().map((m) => m.name);

describe('smc db', () => {
  it('picks the store from the environment', () => {
    expect(storeKind({})).toBe('pglite');
    expect(storeKind({ DATABASE_URL: 'postgres://x@h/db' })).toBe('postgres');
    expect(storeKind({ DATABASE_URL: 'postgres://x@h/db', SUPABASE_URL: 'https://p.supabase.co', SUPABASE_KEY: 'k' })).toBe('supabase');
  });

  it('status and migrate on the embedded store, with the journal queue length', async () => {
    const env = { DATA_DIR: join(root, 'data') };
    const before = await dbStatus(env);
    expect(before).toMatchObject({ kind: 'pglite', target: `${env.DATA_DIR}/pglite`, reachable: false, applied: [], pending: names, queueLength: 0 });
    expect(before.error).toMatch(/no database yet/);
    expect((await dbMigrate(env)).applied).toEqual(names);
    expect(await dbStatus(env)).toMatchObject({ reachable: true, error: null, applied: names, pending: [] });
    expect((await dbMigrate(env)).applied).toEqual([]);
    const j = await Journal.open(journalDir(env), () => {});
    await j.append('upsertTrade', trade());
    await j.append('upsertTrade', trade());
    await j.close();
    const after = await dbStatus(env);
    expect(after).toMatchObject({ applied: names, pending: [], queueLength: 2 });
    expect(formatDbStatus(after)).toContain('queue:      2 writes waiting in the journal');
  });

  it('reports a data directory held by a running bot instead of opening it', async () => {
    const env = { DATA_DIR: join(root, 'data') }; // migrated by the test above
    const release = lockDataDir(env.DATA_DIR);
    try {
      const s = await dbStatus(env);
      expect(s.reachable).toBe(false);
      expect(s.error).toMatch(/is in use by process \d+ \(DATA_DIR\)/);
    } finally {
      release();
    }
  });

  it('an unreachable PostgreSQL is reported with the password masked', async () => {
    const s = await dbStatus({ DATA_DIR: join(root, 'pg'), DATABASE_URL: 'postgres://smc:hunter2secret@127.0.0.1:1/smc' });
    expect(s.kind).toBe('postgres');
    expect(s.reachable).toBe(false);
    expect(s.error).toMatch(/ECONNREFUSED/);
    const text = formatDbStatus(s).join('\n');
    expect(text).toContain('postgres://smc:***@127.0.0.1:1/smc');
    expect(text).not.toContain('hunter2secret');
  });

  it('migrate for Supabase without DATABASE_URL says what to set', async () => {
    await expect(dbMigrate({ SUPABASE_URL: 'https://p.supabase.co', SUPABASE_KEY: 'k' })).rejects.toThrow(/needs|DATABASE_URL/);
  });
});
