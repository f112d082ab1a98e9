// PostgreSQL through a pg Pool (DATABASE_URL): a local server, RDS, or a Supabase database
// reached directly (use the session pooler or a direct connection, see reliability.md §4.6).
import pg from 'pg';
import { SqlStore, type SqlConn } from './sql-store.js';
import type { Row } from './rows.js';

/** The URL with its password replaced by ***. */
export function maskUrl(url: string): string {
  return url.replace(/:\/\/([^:@/]+):([^@/]*)@/, '://$1:***@');
}

function wrap(c: pg.Pool | pg.PoolClient): SqlConn {
  return {
    query: async (sql, params) => (await c.query<Row>(sql, params as unknown[] | undefined)).rows,
    exec: async (sql) => { await c.query(sql); },
  };
}

export class PostgresStore extends SqlStore {
  readonly kind = 'postgres' as const;
  readonly target: string;
  readonly pool: pg.Pool;
  private readonly c: SqlConn;
  /** Last error of an idle connection (the server went away); reported, never thrown. */
  lastPoolError: Error | null = null;

  constructor(url: string, opts: { max?: number; connectionTimeoutMillis?: number; queryTimeoutMillis?: number } = {}) {
    super();
    this.target = maskUrl(url);
    this.pool = new pg.Pool({
      connectionString: url,
      max: opts.max ?? 4,
      connectionTimeoutMillis: opts.connectionTimeoutMillis ?? 10_000,
      idleTimeoutMillis: 30_000,
      // A half-open connection must not stall the journal's drainer forever; a write that timed
      // out is retried, which is safe because every write is an upsert.
      keepAlive: true,
      query_timeout: opts.queryTimeoutMillis ?? 120_000,
    });
    // Without a listener an idle client's error (server restart) would crash the process.
    this.pool.on('error', (e) => { this.lastPoolError = e; });
    this.c = wrap(this.pool);
  }

  protected conn(): SqlConn { return this.c; }

  protected async inTransaction<T>(fn: (c: SqlConn) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const out = await fn(wrap(client));
      await client.query('COMMIT');
      return out;
    } catch (e) {
      // A failed ROLLBACK means the connection is gone: destroy it instead of returning it to the pool.
      await client.query('ROLLBACK').catch((r: Error) => { broken = r; });
      throw e;
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
