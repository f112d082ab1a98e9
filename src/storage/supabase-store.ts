// Supabase through its REST API (PostgREST) with @supabase/supabase-js. Plain upserts by id,
// reads with explicit ordering and paging, and the SQL functions of sql/003-004 through .rpc(),
// so the numbers are the ones PostgreSQL computes. Migrations cannot run over REST.
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import ws from 'ws';
import type {
  ApprovalRecord, BotState, CoinPerformanceRow, ConfidenceBucketRow, DailyStatsRow, FactorPerformanceRow,
  MlFeatureFilter, MlFeatureRecord, OrderRecord, SignalRecord, Store, StoreInfo, TradeRecord,
} from './store.js';
import {
  APPROVAL_COLUMNS, ML_COLUMNS, ORDER_COLUMNS, SIGNAL_COLUMNS, TRADE_COLUMNS, FINAL_ORDER_STATES, toJsonRow,
  toApproval, toBotState, toCoinPerformance, toConfidenceBucket, toDailyStats, toFactorPerformance, toMlFeatures,
  toOrder, toSignal, toTrade, type Row,
} from './rows.js';
import { DEFAULT_ACCOUNT } from './sql-store.js';

export const SUPABASE_MIGRATE_MESSAGE =
  'Supabase over REST (SUPABASE_URL/SUPABASE_KEY) cannot run migrations: set DATABASE_URL to the project\'s ' +
  'database connection string (Supabase dashboard → Connect → session pooler or direct) and run `smc db migrate`';

/** Rows per request: PostgREST caps responses (Supabase default max-rows 1000). */
const PAGE = 1000;
const CHUNK = 500;

interface PgRestError { message: string; code?: string; details?: string | null; hint?: string | null }
interface PgRestResult<T> { data: T | null; error: PgRestError | null; status: number }

/** Turns a supabase-js error result into a thrown Error carrying PostgreSQL's SQLSTATE (`code`). */
function check<T>(what: string, r: PgRestResult<T>): T {
  if (r.error) {
    const detail = r.error.details ? ` (${r.error.details})` : '';
    throw Object.assign(new Error(`supabase ${what}: ${r.error.message}${detail} [HTTP ${r.status}]`), {
      code: r.error.code ?? '', status: r.status,
    });
  }
  return r.data as T;
}

/** PostgREST's answer for a table it does not know (older versions pass PostgreSQL's 42P01 through). */
function isMissingTable(e: unknown): boolean {
  const { code, status } = (e ?? {}) as { code?: string; status?: number };
  return status === 404 && (code === 'PGRST205' || code === '42P01');
}

type Query = PromiseLike<PgRestResult<Row[]>> & { range(from: number, to: number): Query };

export class SupabaseStore implements Store {
  readonly kind = 'supabase' as const;
  readonly client: SupabaseClient;
  readonly target: string;

  constructor(url: string, key: string, opts: { timeoutMs?: number } = {}) {
    this.target = url;
    this.client = createClient(url, key, {
      // Node 20 has no native WebSocket; supabase-js refuses to start without a transport.
      realtime: { transport: ws as never },
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
      db: { schema: 'public', timeout: opts.timeoutMs ?? 15_000 } as never,
    });
  }

  async migrate(): Promise<string[]> {
    throw new Error(SUPABASE_MIGRATE_MESSAGE);
  }

  async appliedMigrations(): Promise<string[]> {
    try {
      const rows = await this.all('schema_migrations', () => this.client.from('schema_migrations').select('name').order('name') as unknown as Query);
      return rows.map((r) => String(r.name));
    } catch (e) {
      if (isMissingTable(e)) return [];
      throw e;
    }
  }

  async info(): Promise<StoreInfo> {
    const r = await this.client.from('schema_migrations').select('name').limit(1).retry(false);
    const base = { kind: this.kind, target: this.target, queueLength: 0 };
    if (!r.error) return { ...base, reachable: true };
    if (isMissingTable({ code: r.error.code, status: r.status })) {
      return { ...base, reachable: true, error: 'no schema_migrations table: run `smc db migrate` with DATABASE_URL' };
    }
    return { ...base, reachable: false, error: `${r.error.message} [HTTP ${r.status}]` };
  }

  /** Reads every page of a query (ordered, so paging is stable). */
  private async all(what: string, build: () => Query): Promise<Row[]> {
    const out: Row[] = [];
    for (let from = 0; ; from += PAGE) {
      const page = check(what, await build().range(from, from + PAGE - 1)) ?? [];
      out.push(...page);
      if (page.length < PAGE) return out;
    }
  }

  private async upsert(table: string, columns: readonly string[], rows: object[]): Promise<void> {
    // A request must not carry the same id twice (PostgreSQL: "cannot affect row a second time").
    const last = new Map<unknown, object>();
    for (const r of rows) last.set((r as Row).id, r);
    const unique = [...last.values()];
    for (let i = 0; i < unique.length; i += CHUNK) {
      const body = unique.slice(i, i + CHUNK).map((r) => toJsonRow(r, columns));
      check(`upsert ${table}`, await this.client.from(table).upsert(body.length === 1 ? body[0] : body, { onConflict: 'id' }));
    }
  }

  upsertTrade(t: TradeRecord) { return this.upsert('trades', TRADE_COLUMNS, [t]); }
  upsertTrades(rows: TradeRecord[]) { return this.upsert('trades', TRADE_COLUMNS, rows); }
  upsertSignal(s: SignalRecord) { return this.upsert('signals', SIGNAL_COLUMNS, [s]); }
  upsertSignals(rows: SignalRecord[]) { return this.upsert('signals', SIGNAL_COLUMNS, rows); }
  upsertOrder(o: OrderRecord) { return this.upsert('orders', ORDER_COLUMNS, [o]); }
  upsertMlFeatures(f: MlFeatureRecord) { return this.upsert('ml_features', ML_COLUMNS, [f]); }
  upsertMlFeaturesBatch(rows: MlFeatureRecord[]) { return this.upsert('ml_features', ML_COLUMNS, rows); }
  upsertApproval(a: ApprovalRecord) { return this.upsert('approvals', APPROVAL_COLUMNS, [a]); }

  async setBotState(s: BotState): Promise<void> {
    const row = { id: true, mode: s.mode, paused: s.paused, daily_loss_lock: s.daily_loss_lock, updated_at: s.updated_at };
    check('upsert bot_state', await this.client.from('bot_state').upsert(row, { onConflict: 'id' }));
  }

  async getBotState(): Promise<BotState | null> {
    const rows = check('read bot_state', await this.client.from('bot_state').select('*').eq('id', true));
    return rows?.length ? toBotState(rows[0]) : null;
  }

  async orderByLinkId(orderLinkId: string): Promise<OrderRecord | null> {
    const rows = check('read orders', await this.client.from('orders').select('*').eq('order_link_id', orderLinkId));
    return rows?.length ? toOrder(rows[0]) : null;
  }

  async openOrders(): Promise<OrderRecord[]> {
    const rows = await this.all('read orders', () => this.client.from('orders').select('*')
      .not('status', 'in', `(${FINAL_ORDER_STATES.join(',')})`).order('created_at').order('id') as unknown as Query);
    return rows.map(toOrder);
  }

  async openTrades(source?: string): Promise<TradeRecord[]> {
    const rows = await this.all('read trades', () => {
      let q = this.client.from('trades').select('*').is('exit_time', null);
      if (source !== undefined) q = q.eq('source', source);
      return q.order('entry_time').order('id') as unknown as Query;
    });
    return rows.map(toTrade);
  }

  async tradesBetween(from: Date, to: Date, source?: string): Promise<TradeRecord[]> {
    const rows = await this.all('read trades', () => {
      let q = this.client.from('trades').select('*').gte('entry_time', from.toISOString()).lt('entry_time', to.toISOString());
      if (source !== undefined) q = q.eq('source', source);
      return q.order('entry_time').order('id') as unknown as Query;
    });
    return rows.map(toTrade);
  }

  async mlFeatures(filter: MlFeatureFilter = {}): Promise<MlFeatureRecord[]> {
    const rows = await this.all('read ml_features', () => {
      let q = this.client.from('ml_features').select('*');
      if (filter.source !== undefined) q = q.eq('source', filter.source);
      if (filter.run !== undefined) q = q.eq('run_id', filter.run);
      return q.order('created_at').order('id') as unknown as Query;
    });
    return rows.map(toMlFeatures);
  }

  async getApproval(id: string): Promise<ApprovalRecord | null> {
    const rows = check('read approvals', await this.client.from('approvals').select('*').eq('id', id));
    return rows?.length ? toApproval(rows[0]) : null;
  }

  async pendingApprovals(): Promise<ApprovalRecord[]> {
    const rows = await this.all('read approvals', () => this.client.from('approvals').select('*').eq('status', 'pending').order('created_at').order('id') as unknown as Query);
    return rows.map(toApproval);
  }

  private async rpcBool(fn: string, args: Record<string, unknown>): Promise<boolean> {
    return check(`rpc ${fn}`, await this.client.rpc(fn, args)) === true;
  }

  decideApproval(id: string, fromStatus: ApprovalRecord['status'], toStatus: ApprovalRecord['status'], by: string) {
    return this.rpcBool('decide_approval', { p_id: id, p_from: fromStatus, p_to: toStatus, p_by: by });
  }
  acquireLease(holder: string, ttlMs: number, account = DEFAULT_ACCOUNT) {
    return this.rpcBool('acquire_lease', { p_account: account, p_holder: holder, p_ttl_ms: Math.round(ttlMs) });
  }
  renewLease(holder: string, ttlMs: number, account = DEFAULT_ACCOUNT) {
    return this.rpcBool('renew_lease', { p_account: account, p_holder: holder, p_ttl_ms: Math.round(ttlMs) });
  }
  async releaseLease(holder: string, account = DEFAULT_ACCOUNT): Promise<void> {
    await this.rpcBool('release_lease', { p_account: account, p_holder: holder });
  }

  async dailyStats(from: string, to: string, source?: string, run?: string): Promise<DailyStatsRow[]> {
    const rows = await this.all('read daily_stats_by_run', () => {
      let q = this.client.from('daily_stats_by_run').select('*').gte('date', from).lte('date', to);
      if (source !== undefined) q = q.eq('source', source);
      if (run !== undefined) q = q.eq('run_id', run);
      return q.order('date').order('source').order('run_id', { nullsFirst: true }) as unknown as Query;
    });
    return rows.map(toDailyStats);
  }

  async computeDailyStats(dayIso: string): Promise<DailyStatsRow[]> {
    const rows = check('rpc compute_daily_stats', await this.client.rpc('compute_daily_stats', { day: dayIso })) as Row[];
    return rows.map(toDailyStats).sort((a, b) => a.source.localeCompare(b.source));
  }

  /** A view's rows of one source and/or run; runtime rows (no run) first within a source. */
  private view(name: string, source: string | undefined, run: string | undefined, order: (q: any) => any): Promise<Row[]> {
    return this.all(`read ${name}`, () => {
      let q = this.client.from(name).select('*');
      if (source !== undefined) q = q.eq('source', source);
      if (run !== undefined) q = q.eq('run_id', run);
      return order(q.order('source').order('run_id', { nullsFirst: true })) as Query;
    });
  }

  async coinPerformance(source?: string, run?: string): Promise<CoinPerformanceRow[]> {
    return (await this.view('coin_performance_by_run', source, run, (q) => q.order('symbol'))).map(toCoinPerformance);
  }

  async winRateByConfidence(source?: string, run?: string): Promise<ConfidenceBucketRow[]> {
    return (await this.view('win_rate_by_confidence_by_run', source, run, (q) => q.order('bucket_min', { ascending: false }))).map(toConfidenceBucket);
  }

  async performanceByFactor(source?: string, run?: string): Promise<FactorPerformanceRow[]> {
    const rank = { 'Order Block': 1, FVG: 2, 'Liquidity Sweep': 3 } as Record<string, number>;
    const rows = (await this.view('performance_by_factor_by_run', source, run, (q) => q.order('factor'))).map(toFactorPerformance);
    // Sorted here as SQL does: the view's rank is not a column PostgREST can order by.
    const runKey = (r: FactorPerformanceRow) => r.run_id ?? '';
    return rows.sort((a, b) => a.source.localeCompare(b.source) || runKey(a).localeCompare(runKey(b)) || rank[a.factor] - rank[b.factor]);
  }

  queueLength(): number { return 0; }
  async flush(): Promise<void> {}

  async close(): Promise<void> {
    await this.client.removeAllChannels();
  }
}
