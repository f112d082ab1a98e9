// Loads the numbered plain-SQL migrations from `sql/` and applies the missing ones in order,
// each in its own transaction together with its schema_migrations row.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

/** The repo's sql/ folder, from src/storage (tsx) or dist/src/storage (build). */
export function migrationsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const rel of ['../../sql', '../../../sql']) {
    const dir = join(here, rel);
    if (existsSync(join(dir, '001_trading_tables.sql'))) return dir;
  }
  throw new Error(`migrations not found: no sql/ folder above ${here}`);
}

export function loadMigrations(dir = migrationsDir()): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => {
      const sql = readFileSync(join(dir, f), 'utf8');
      return { name: f.replace(/\.sql$/, ''), sql, checksum: createHash('sha256').update(sql).digest('hex').slice(0, 16) };
    });
}

export const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  name TEXT PRIMARY KEY,
  checksum TEXT NOT NULL,
  applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`;

/** Serialises concurrent migrators (two deploys starting at once) on PostgreSQL. */
export const MIGRATION_LOCK = 'SELECT pg_advisory_xact_lock(736174001)';

/** sql/<name>.sql differs from the file that was applied to this database. */
export class MigrationChangedError extends Error {
  /** Printed as one line by the CLI. */
  readonly userFacing = true;
  constructor(readonly migration: string, readonly applied: string, readonly file: string) {
    super(
      `migration ${migration} was changed after it was applied to this database (checksum ${applied} applied, ${file} in sql/): ` +
        'restore the original file and put the change in a new numbered migration',
    );
    this.name = 'MigrationChangedError';
  }
}

/** The database behind Supabase's REST API lacks migrations this version writes to. */
export class SchemaBehindError extends Error {
  readonly userFacing = true;
  constructor(readonly pending: string[]) {
    super(
      `the Supabase database is missing migration${pending.length === 1 ? '' : 's'} ${pending.join(', ')}: set DATABASE_URL to the ` +
        'project\'s connection string (Supabase dashboard → Connect) and run `smc db migrate` once, then start again',
    );
    this.name = 'SchemaBehindError';
  }
}
