// Chooses the store from the environment and puts the write journal in front of it:
// SUPABASE_URL + SUPABASE_KEY → Supabase (REST); DATABASE_URL → PostgreSQL; otherwise PGlite in DATA_DIR.
import { join, resolve } from 'node:path';
import type { Store, StoreEnv, StoreInfo } from './store.js';
import { PgliteStore } from './pglite-store.js';
import { PostgresStore, maskUrl } from './postgres-store.js';
import { SupabaseStore } from './supabase-store.js';
import { QueuedStore, type QueuedStoreOptions } from './queued-store.js';
import { lockDataDir } from './lockfile.js';
import { loadMigrations, SchemaBehindError } from './migrations.js';

export const DEFAULT_DATA_DIR = './data';

export interface OpenStoreOptions extends QueuedStoreOptions {
  /** Journal writes (default true). Off for bulk backtest writes straight to the database. */
  journal?: boolean;
  /** Apply pending migrations on open (default true; never for Supabase, which cannot). */
  migrate?: boolean;
}

export function storeKind(env: StoreEnv): StoreInfo['kind'] {
  if (env.SUPABASE_URL && env.SUPABASE_KEY) return 'supabase';
  if (env.DATABASE_URL) return 'postgres';
  return 'pglite';
}

/** Where the chosen store lives, password masked (for status and logs). */
export function storeTarget(env: StoreEnv): string {
  const kind = storeKind(env);
  if (kind === 'supabase') return env.SUPABASE_URL!;
  if (kind === 'postgres') return maskUrl(env.DATABASE_URL!);
  return `${env.DATA_DIR || DEFAULT_DATA_DIR}/pglite`;
}

export function journalDir(env: StoreEnv): string {
  return join(resolve(env.DATA_DIR || DEFAULT_DATA_DIR), 'journal');
}

/** Opens the store without the journal or the DATA_DIR lock of the journal. */
export async function openRawStore(env: StoreEnv, opts: { lock?: boolean } = {}): Promise<Store & { readonly target: string }> {
  switch (storeKind(env)) {
    case 'supabase': return new SupabaseStore(env.SUPABASE_URL!, env.SUPABASE_KEY!);
    case 'postgres': return new PostgresStore(env.DATABASE_URL!);
    default: return PgliteStore.open(env.DATA_DIR || DEFAULT_DATA_DIR, opts);
  }
}

/**
 * The store the runtime uses: DATA_DIR is locked for this process (PGlite data and the journal
 * live there), migrations are applied, and writes go through the journal.
 */
export async function openStore(env: StoreEnv, opts: OpenStoreOptions = {}): Promise<Store> {
  const dataDir = env.DATA_DIR || DEFAULT_DATA_DIR;
  const kind = storeKind(env);
  // PGlite takes the lock itself; the others still need it for the journal.
  const unlock = kind === 'pglite' ? () => {} : lockDataDir(resolve(dataDir), dataDir);
  let inner: Store | null = null;
  try {
    inner = await openRawStore(env);
    const raw = inner;
    let prepare: (() => Promise<unknown>) | undefined;
    if (opts.migrate !== false && kind !== 'supabase') {
      try {
        await raw.migrate();
      } catch (e) {
        // A database that is down at start must not stop trading: the journal keeps the writes and
        // its drainer migrates before applying them. A broken migration (SQL error) still stops us.
        if (kind === 'pglite' || opts.journal === false || /^(22|23|42)[0-9A-Z]{3}$/.test(String((e as { code?: unknown }).code))) throw e;
        opts.onError?.('database unreachable at start; migrations will run when it returns', e as Error);
        prepare = () => raw.migrate();
      }
    }
    if (opts.migrate !== false && kind === 'supabase') await checkSupabaseSchema(raw, opts);
    if (opts.journal === false) return withRelease(inner, unlock);
    return withRelease(await QueuedStore.open(inner, journalDir(env), { ...opts, prepare }), unlock);
  } catch (e) {
    await inner?.close().catch(() => {});
    unlock();
    throw e;
  }
}

/**
 * Supabase over REST cannot migrate: a database behind this version (e.g. without 006's columns) would
 * refuse every write, so start-up stops with what to run. Unreachable now: the journal keeps the writes.
 */
async function checkSupabaseSchema(store: Store, opts: OpenStoreOptions): Promise<void> {
  let applied: string[];
  try {
    applied = await store.appliedMigrations();
  } catch (e) {
    opts.onError?.('database unreachable at start; schema not checked', e as Error);
    return;
  }
  const have = new Set(applied);
  const pending = loadMigrations().map((m) => m.name).filter((n) => !have.has(n));
  if (pending.length) throw new SchemaBehindError(pending);
}

function withRelease(store: Store, release: () => void): Store {
  const close = store.close.bind(store);
  store.close = async () => {
    try { await close(); } finally { release(); }
  };
  return store;
}
