// The Store over SQL, shared by PGlite and PostgreSQL (pg): the same statements, the same
// migrations, the same analytics views. Subclasses only supply a connection.
import type {
  ApprovalRecord, BotState, CoinPerformanceRow, ConfidenceBucketRow, DailyStatsRow, FactorPerformanceRow,
  MlFeatureFilter, MlFeatureRecord, OrderRecord, SignalRecord, Store, StoreInfo, TradeRecord,
} from './store.js';
import {
  APPROVAL_COLUMNS, ML_COLUMNS, ORDER_COLUMNS, SIGNAL_COLUMNS, TRADE_COLUMNS, FINAL_ORDER_STATES, toParams,
  toApproval, toBotState, toCoinPerformance, toConfidenceBucket, toDailyStats, toFactorPerformance, toMlFeatures,
  toOrder, toSignal, toTrade, type Row,
} from './rows.js';
import { CREATE_MIGRATIONS_TABLE, MIGRATION_LOCK, MigrationChangedError, loadMigrations, type Migration } from './migrations.js';

/** One connection (or transaction) that runs statements. */
export interface SqlConn {
  query(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Runs a script of several statements without parameters. */
  exec(sql: string): Promise<void>;
}

export const DEFAULT_ACCOUNT = 'default';
/** Rows per multi-row INSERT; keeps parameters far below PostgreSQL's 65535 limit. */
const MAX_PARAMS = 30_000;

/** `INSERT ... VALUES (...), (...) ON CONFLICT (key) DO UPDATE` for n rows of `columns`. */
export function upsertStatement(table: string, columns: readonly string[], n: number, key = 'id', touch = false): string {
  const values: string[] = [];
  for (let r = 0; r < n; r++) {
    values.push(`(${columns.map((_, c) => `$${r * columns.length + c + 1}`).join(', ')})`);
  }
  const sets = columns.filter((c) => c !== key).map((c) => `${c} = EXCLUDED.${c}`);
  if (touch) sets.push('updated_at = now()');
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values.join(', ')} ON CONFLICT (${key}) DO UPDATE SET ${sets.join(', ')}`;
}

/** ` WHERE a = $1 AND b = $2` for the given (column, value) pairs whose value is defined. */
function whereEq(pairs: [string, string | undefined][], first = 1): { sql: string; params: string[] } {
  const set = pairs.filter((p): p is [string, string] => p[1] !== undefined);
  return {
    sql: set.length ? ` WHERE ${set.map(([c], i) => `${c} = $${first + i}`).join(' AND ')}` : '',
    params: set.map(([, v]) => v),
  };
}

const OPEN_ORDER_FILTER = `status NOT IN (${FINAL_ORDER_STATES.map((s) => `'${s}'`).join(', ')})`;
const DAILY_COLUMNS = `date::text AS date, source, total_trades, winning_trades, losing_trades, win_rate, total_pnl_usd,
  total_pnl_percent, best_trade_pnl, worst_trade_pnl, avg_confidence, avg_duration_minutes, signals_generated, signals_executed`;

export abstract class SqlStore implements Store {
  abstract readonly kind: StoreInfo['kind'];
  /** Where the data lives, with any password masked. */
  abstract readonly target: string;
  protected abstract conn(): SqlConn;
  protected abstract inTransaction<T>(fn: (c: SqlConn) => Promise<T>): Promise<T>;
  abstract close(): Promise<void>;

  protected q(sql: string, params?: unknown[]): Promise<Row[]> {
    return this.conn().query(sql, params);
  }

  // ---- migrations ----

  async migrate(migrations: Migration[] = loadMigrations()): Promise<string[]> {
    // Under the lock too: two servers racing on CREATE TABLE IF NOT EXISTS can still collide.
    await this.inTransaction(async (c) => {
      await c.query(MIGRATION_LOCK);
      await c.exec(CREATE_MIGRATIONS_TABLE);
    });
    const applied: string[] = [];
    for (const m of migrations) {
      const done = await this.inTransaction(async (c) => {
        await c.query(MIGRATION_LOCK);
        const seen = await c.query('SELECT checksum FROM schema_migrations WHERE name = $1', [m.name]);
        if (seen.length) {
          // An applied migration never changes: a schema change is a new numbered file.
          if (seen[0].checksum !== m.checksum) throw new MigrationChangedError(m.name, String(seen[0].checksum), m.checksum);
          return false;
        }
        await c.exec(m.sql);
        await c.query('INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)', [m.name, m.checksum]);
        return true;
      });
      if (done) applied.push(m.name);
    }
    return applied;
  }

  async appliedMigrations(): Promise<string[]> {
    const exists = await this.q(`SELECT to_regclass('schema_migrations') IS NOT NULL AS present`);
    if (!exists[0]?.present) return [];
    return (await this.q('SELECT name FROM schema_migrations ORDER BY name')).map((r) => String(r.name));
  }

  async info(): Promise<StoreInfo> {
    try {
      await this.q('SELECT 1');
      return { kind: this.kind, target: this.target, reachable: true, queueLength: 0 };
    } catch (e) {
      return { kind: this.kind, target: this.target, reachable: false, queueLength: 0, error: (e as Error).message };
    }
  }

  // ---- writes ----

  private async upsert(table: string, columns: readonly string[], rows: object[], touch = false): Promise<void> {
    if (!rows.length) return;
    // One statement must not carry the same id twice ("ON CONFLICT DO UPDATE command cannot affect row a second time").
    const last = new Map<unknown, object>();
    for (const r of rows) last.set((r as Row).id, r);
    if (last.size !== rows.length) rows = [...last.values()];
    const per = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
    const run = async (c: SqlConn) => {
      for (let i = 0; i < rows.length; i += per) {
        const chunk = rows.slice(i, i + per);
        await c.query(upsertStatement(table, columns, chunk.length, 'id', touch), chunk.flatMap((r) => toParams(r, columns)));
      }
    };
    if (rows.length <= per) await run(this.conn());
    else await this.inTransaction(run);
  }

  upsertTrade(t: TradeRecord): Promise<void> { return this.upsert('trades', TRADE_COLUMNS, [t], true); }
  upsertTrades(rows: TradeRecord[]): Promise<void> { return this.upsert('trades', TRADE_COLUMNS, rows, true); }
  upsertSignal(s: SignalRecord): Promise<void> { return this.upsert('signals', SIGNAL_COLUMNS, [s]); }
  upsertSignals(rows: SignalRecord[]): Promise<void> { return this.upsert('signals', SIGNAL_COLUMNS, rows); }
  upsertOrder(o: OrderRecord): Promise<void> { return this.upsert('orders', ORDER_COLUMNS, [o]); }
  upsertMlFeatures(f: MlFeatureRecord): Promise<void> { return this.upsert('ml_features', ML_COLUMNS, [f]); }
  upsertMlFeaturesBatch(rows: MlFeatureRecord[]): Promise<void> { return this.upsert('ml_features', ML_COLUMNS, rows); }
  upsertApproval(a: ApprovalRecord): Promise<void> { return this.upsert('approvals', APPROVAL_COLUMNS, [a]); }

  async setBotState(s: BotState): Promise<void> {
    await this.q(
      `INSERT INTO bot_state (id, mode, paused, daily_loss_lock, updated_at) VALUES (TRUE, $1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET mode = EXCLUDED.mode, paused = EXCLUDED.paused,
         daily_loss_lock = EXCLUDED.daily_loss_lock, updated_at = EXCLUDED.updated_at`,
      [s.mode, s.paused, s.daily_loss_lock, s.updated_at],
    );
  }

  // ---- reads ----

  async orderByLinkId(orderLinkId: string): Promise<OrderRecord | null> {
    const rows = await this.q('SELECT * FROM orders WHERE order_link_id = $1', [orderLinkId]);
    return rows.length ? toOrder(rows[0]) : null;
  }

  async openOrders(): Promise<OrderRecord[]> {
    return (await this.q(`SELECT * FROM orders WHERE ${OPEN_ORDER_FILTER} ORDER BY created_at, id`)).map(toOrder);
  }

  async openTrades(source?: string): Promise<TradeRecord[]> {
    const rows = source === undefined
      ? await this.q('SELECT * FROM trades WHERE exit_time IS NULL ORDER BY entry_time, id')
      : await this.q('SELECT * FROM trades WHERE exit_time IS NULL AND source = $1 ORDER BY entry_time, id', [source]);
    return rows.map(toTrade);
  }

  async tradesBetween(from: Date, to: Date, source?: string): Promise<TradeRecord[]> {
    const rows = source === undefined
      ? await this.q('SELECT * FROM trades WHERE entry_time >= $1 AND entry_time < $2 ORDER BY entry_time, id', [from, to])
      : await this.q('SELECT * FROM trades WHERE entry_time >= $1 AND entry_time < $2 AND source = $3 ORDER BY entry_time, id', [from, to, source]);
    return rows.map(toTrade);
  }

  async mlFeatures(filter: MlFeatureFilter = {}): Promise<MlFeatureRecord[]> {
    const w = whereEq([['source', filter.source], ['run_id', filter.run]]);
    return (await this.q(`SELECT * FROM ml_features${w.sql} ORDER BY created_at, id`, w.params)).map(toMlFeatures);
  }

  async getBotState(): Promise<BotState | null> {
    const rows = await this.q('SELECT mode, paused, daily_loss_lock::text AS daily_loss_lock, updated_at FROM bot_state WHERE id');
    return rows.length ? toBotState(rows[0]) : null;
  }

  async getApproval(id: string): Promise<ApprovalRecord | null> {
    const rows = await this.q('SELECT * FROM approvals WHERE id = $1', [id]);
    return rows.length ? toApproval(rows[0]) : null;
  }

  async pendingApprovals(): Promise<ApprovalRecord[]> {
    return (await this.q(`SELECT * FROM approvals WHERE status = 'pending' ORDER BY created_at, id`)).map(toApproval);
  }

  // ---- atomic operations (SQL functions from sql/004) ----

  async decideApproval(id: string, fromStatus: ApprovalRecord['status'], toStatus: ApprovalRecord['status'], by: string): Promise<boolean> {
    const rows = await this.q('SELECT decide_approval($1::uuid, $2, $3, $4) AS won', [id, fromStatus, toStatus, by]);
    return rows[0]?.won === true;
  }

  async acquireLease(holder: string, ttlMs: number, account = DEFAULT_ACCOUNT): Promise<boolean> {
    const rows = await this.q('SELECT acquire_lease($1, $2, $3::int) AS ok', [account, holder, Math.round(ttlMs)]);
    return rows[0]?.ok === true;
  }

  async renewLease(holder: string, ttlMs: number, account = DEFAULT_ACCOUNT): Promise<boolean> {
    const rows = await this.q('SELECT renew_lease($1, $2, $3::int) AS ok', [account, holder, Math.round(ttlMs)]);
    return rows[0]?.ok === true;
  }

  async releaseLease(holder: string, account = DEFAULT_ACCOUNT): Promise<void> {
    await this.q('SELECT release_lease($1, $2) AS ok', [account, holder]);
  }

  // ---- analytics ----

  async dailyStats(from: string, to: string, source?: string, run?: string): Promise<DailyStatsRow[]> {
    const w = whereEq([['source', source], ['run_id', run]], 3);
    const rows = await this.q(
      `SELECT ${DAILY_COLUMNS}, run_id FROM (SELECT * FROM daily_stats_by_run WHERE date BETWEEN $1::date AND $2::date) v${w.sql}
       ORDER BY date, source, run_id NULLS FIRST`, [from, to, ...w.params]);
    return rows.map(toDailyStats);
  }

  /** Stores one day's numbers in the daily_stats table (the daily report's record). */
  async computeDailyStats(dayIso: string): Promise<DailyStatsRow[]> {
    const rows = await this.q(`SELECT ${DAILY_COLUMNS} FROM compute_daily_stats($1::date) ORDER BY source`, [dayIso]);
    return rows.map(toDailyStats);
  }

  /** A view's rows of one source and/or run; runtime rows (no run) first within a source. */
  private view(name: string, source: string | undefined, run: string | undefined, order: string): Promise<Row[]> {
    const w = whereEq([['source', source], ['run_id', run]]);
    return this.q(`SELECT * FROM ${name}${w.sql} ORDER BY source, run_id NULLS FIRST, ${order}`, w.params);
  }

  async coinPerformance(source?: string, run?: string): Promise<CoinPerformanceRow[]> {
    return (await this.view('coin_performance_by_run', source, run, 'symbol')).map(toCoinPerformance);
  }

  async winRateByConfidence(source?: string, run?: string): Promise<ConfidenceBucketRow[]> {
    return (await this.view('win_rate_by_confidence_by_run', source, run, 'bucket_min DESC')).map(toConfidenceBucket);
  }

  async performanceByFactor(source?: string, run?: string): Promise<FactorPerformanceRow[]> {
    const order = `CASE factor WHEN 'Order Block' THEN 1 WHEN 'FVG' THEN 2 ELSE 3 END`;
    return (await this.view('performance_by_factor_by_run', source, run, order)).map(toFactorPerformance);
  }

  queueLength(): number { return 0; }
  async flush(): Promise<void> {}
}
