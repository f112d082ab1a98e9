// The zero-configuration store: PGlite (PostgreSQL in WebAssembly) in DATA_DIR/pglite.
import { PGlite, type PGliteInterface, type Transaction } from '@electric-sql/pglite';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SqlStore, type SqlConn } from './sql-store.js';
import { lockDataDir } from './lockfile.js';
import type { Row } from './rows.js';

type Queryable = Pick<PGliteInterface, 'query' | 'exec'> | Transaction;

function wrap(db: Queryable): SqlConn {
  return {
    query: async (sql, params) => (await db.query<Row>(sql, params)).rows,
    exec: async (sql) => { await db.exec(sql); },
  };
}

export class PgliteStore extends SqlStore {
  readonly kind = 'pglite' as const;
  private readonly c: SqlConn;

  private constructor(readonly db: PGliteInterface, readonly target: string, private readonly unlock: () => void) {
    super();
    this.c = wrap(db);
  }

  /** Opens (creating if needed) the database in `dataDir`, holding the directory's lockfile. */
  static async open(dataDir: string, opts: { lock?: boolean } = {}): Promise<PgliteStore> {
    const unlock = opts.lock === false ? () => {} : lockDataDir(resolve(dataDir), dataDir);
    try {
      mkdirSync(resolve(dataDir), { recursive: true }); // PGlite creates only the last folder
      const db = await PGlite.create(join(resolve(dataDir), 'pglite'));
      return new PgliteStore(db, `${dataDir}/pglite`, unlock);
    } catch (e) {
      unlock();
      throw e;
    }
  }

  /** Whether `dataDir` already holds a database (PGlite creates one, slowly, on first open). */
  static exists(dataDir: string): boolean {
    return existsSync(join(resolve(dataDir), 'pglite', 'PG_VERSION'));
  }

  /** Wraps an existing instance (tests use clones of a migrated template). */
  static fromInstance(db: PGliteInterface, target = 'memory'): PgliteStore {
    return new PgliteStore(db, target, () => {});
  }

  protected conn(): SqlConn { return this.c; }

  protected inTransaction<T>(fn: (c: SqlConn) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(wrap(tx)));
  }

  async close(): Promise<void> {
    try {
      if (!this.db.closed) await this.db.close();
    } finally {
      this.unlock();
    }
  }
}
