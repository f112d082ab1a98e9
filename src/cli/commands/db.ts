// `smc db migrate` and `smc db status`: apply the sql/ migrations, and say which store the
// environment selects, where it is (password masked), whether it answers, what is applied and
// how many writes wait in the journal.
import { COMMAND_SUMMARIES } from '../summaries.js';
import type { Command } from 'commander';
import { loadEnv } from '../../config/env.js';
import { UserError } from '../errors.js';
import { DEFAULT_DATA_DIR, journalDir, openRawStore, storeKind, storeTarget } from '../../storage/open.js';
import { PgliteStore } from '../../storage/pglite-store.js';
import { Journal } from '../../storage/journal.js';
import { loadMigrations } from '../../storage/migrations.js';
import { SUPABASE_MIGRATE_MESSAGE } from '../../storage/supabase-store.js';
import type { StoreEnv } from '../../storage/store.js';

export interface DbStatus {
  kind: string;
  target: string;
  reachable: boolean;
  error: string | null;
  applied: string[];
  pending: string[];
  queueLength: number;
}

export async function dbStatus(env: StoreEnv): Promise<DbStatus> {
  const all = loadMigrations().map((m) => m.name);
  const out: DbStatus = {
    kind: storeKind(env), target: storeTarget(env), reachable: false, error: null, applied: [], pending: all,
    queueLength: Journal.pendingCount(journalDir(env)),
  };
  if (out.kind === 'pglite' && !PgliteStore.exists(env.DATA_DIR || DEFAULT_DATA_DIR)) {
    out.error = 'no database yet (created by the first start or by `smc db migrate`)';
    return out;
  }
  let store;
  try {
    // Read-only look: PGlite still needs the DATA_DIR lock, so a running bot is reported, not disturbed.
    store = await openRawStore(env);
    const info = await store.info();
    out.reachable = info.reachable;
    out.error = info.error ?? null;
    if (info.reachable) {
      out.applied = await store.appliedMigrations();
      out.pending = all.filter((n) => !out.applied.includes(n));
    }
  } catch (e) {
    out.error = (e as Error).message;
  } finally {
    await store?.close().catch(() => {});
  }
  return out;
}

export function formatDbStatus(s: DbStatus): string[] {
  return [
    `store:      ${s.kind}`,
    `target:     ${s.target}`,
    `reachable:  ${s.reachable ? 'yes' : `no${s.error ? ` (${s.error})` : ''}`}`,
    `migrations: ${s.applied.length ? s.applied.join(', ') : 'none applied'}`,
    `pending:    ${s.pending.length ? s.pending.join(', ') : 'none'}`,
    `queue:      ${s.queueLength} write${s.queueLength === 1 ? '' : 's'} waiting in the journal`,
  ];
}

/** Applies pending migrations; Supabase deployments migrate through DATABASE_URL. */
export async function dbMigrate(env: StoreEnv): Promise<{ target: string; applied: string[] }> {
  let target = env;
  if (storeKind(env) === 'supabase') {
    if (!env.DATABASE_URL) throw new UserError(SUPABASE_MIGRATE_MESSAGE);
    target = { DATA_DIR: env.DATA_DIR, DATABASE_URL: env.DATABASE_URL };
  }
  const store = await openRawStore(target);
  try {
    return { target: storeTarget(target), applied: await store.migrate() };
  } catch (e) {
    throw new UserError(`migration failed on ${storeTarget(target)}: ${(e as Error).message}`);
  } finally {
    await store.close();
  }
}

export function registerDbCommand(program: Command): void {
  const db = program.command('db').description(COMMAND_SUMMARIES.db.summary);
  db.command('migrate')
    .description('apply the pending sql/ migrations to the configured store (Supabase: needs DATABASE_URL)')
    .action(async () => {
      const r = await dbMigrate(loadEnv());
      console.log(r.applied.length ? `applied to ${r.target}: ${r.applied.join(', ')}` : `${r.target}: up to date`);
    });
  db.command('status')
    .description('which store, its target, whether it is reachable, applied migrations, journal queue length')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const s = await dbStatus(loadEnv());
      console.log(opts.json ? JSON.stringify(s, null, 2) : formatDbStatus(s).join('\n'));
      if (!s.reachable) process.exitCode = 1;
    });
}
