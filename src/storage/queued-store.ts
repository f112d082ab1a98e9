// Wraps any Store so that writes survive an unreachable database: each write goes to the
// journal (fsync'd) first, then one drainer applies the entries in order. A failing write is
// retried with back-off while new writes keep queueing; nothing behind it overtakes it. Reads
// go straight to the database.
import type {
  ApprovalRecord, BotState, CoinPerformanceRow, ConfidenceBucketRow, DailyStatsRow, FactorPerformanceRow,
  MlFeatureFilter, MlFeatureRecord, OrderRecord, SignalRecord, Store, StoreInfo, TradeRecord,
} from './store.js';
import { Journal, type JournalEntry } from './journal.js';
import { FINAL_ORDER_STATES, nonFiniteField } from './rows.js';

/** The writes that go through the journal, by name; each is an idempotent upsert. */
const WRITES = {
  upsertTrade: (s: Store, a: unknown) => s.upsertTrade(a as TradeRecord),
  upsertTrades: (s: Store, a: unknown) => s.upsertTrades(a as TradeRecord[]),
  upsertSignal: (s: Store, a: unknown) => s.upsertSignal(a as SignalRecord),
  upsertSignals: (s: Store, a: unknown) => s.upsertSignals(a as SignalRecord[]),
  upsertOrder: (s: Store, a: unknown) => s.upsertOrder(a as OrderRecord),
  upsertMlFeatures: (s: Store, a: unknown) => s.upsertMlFeatures(a as MlFeatureRecord),
  upsertMlFeaturesBatch: (s: Store, a: unknown) => s.upsertMlFeaturesBatch(a as MlFeatureRecord[]),
  upsertApproval: (s: Store, a: unknown) => s.upsertApproval(a as ApprovalRecord),
  setBotState: (s: Store, a: unknown) => s.setBotState(a as BotState),
} as const;
type WriteOp = keyof typeof WRITES;

/**
 * Errors the database will give again on every retry (SQLSTATE class 22 data exception, 23
 * integrity violation): the entry goes to journal/rejected.jsonl instead of blocking the queue.
 */
export function isPermanentError(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && /^(22|23)[0-9A-Z]{3}$/.test(code);
}

export interface QueuedStoreOptions {
  /** First retry delay; doubles up to retryMaxMs. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** How long close() waits for the queue to drain before leaving the rest for the next start. */
  closeTimeoutMs?: number;
  /** How long decideApproval() waits for queued writes to reach the database. */
  decideTimeoutMs?: number;
  onError?: (message: string, error: Error) => void;
  /** Runs (and is retried) before the first write is applied, e.g. migrations that failed at start. */
  prepare?: () => Promise<unknown>;
}

export class QueuedStore implements Store {
  readonly kind: Store['kind'];
  private readonly queue: JournalEntry[] = [];
  private journal!: Journal;
  private draining = false;
  private ready = false;
  private closed = false;
  private failures = 0;
  private lastError: Error | null = null;
  private wake: (() => void) | null = null;
  private waiters: (() => void)[] = [];
  private readonly o: Required<Omit<QueuedStoreOptions, 'onError' | 'prepare'>> & Pick<QueuedStoreOptions, 'onError'>;
  private prepare: (() => Promise<unknown>) | null;

  private constructor(readonly inner: Store, opts: QueuedStoreOptions) {
    this.kind = inner.kind;
    const { prepare, ...rest } = opts;
    this.o = { retryBaseMs: 250, retryMaxMs: 30_000, closeTimeoutMs: 5_000, decideTimeoutMs: 10_000, ...rest };
    this.prepare = prepare ?? null;
  }

  /** Opens the journal in `dir`, queues its un-acknowledged tail and starts draining it. */
  static async open(inner: Store, dir: string, opts: QueuedStoreOptions = {}): Promise<QueuedStore> {
    const s = new QueuedStore(inner, opts);
    s.journal = await Journal.open(dir, (e) => {
      s.queue.push(e);
      s.kick();
    });
    s.ready = true; // the replayed tail starts draining only now that the journal can be acked
    s.kick();
    return s;
  }

  queueLength(): number { return this.queue.length; }

  /** Consecutive failed attempts of the entry at the head of the queue and the last error. */
  health(): { failures: number; lastError: string | null } {
    return { failures: this.failures, lastError: this.lastError?.message ?? null };
  }

  private async write(op: WriteOp, args: unknown): Promise<void> {
    if (this.closed) throw new Error('store is closed');
    // JSON would turn NaN into null silently; refuse it here, where the caller can still see it.
    const bad = nonFiniteField(args);
    if (bad) throw new Error(`${op}: ${bad} is not a finite number`);
    await this.journal.append(op, args);
  }

  private kick(): void {
    if (this.wake) this.wake();
    if (this.ready && !this.draining && !this.closed) void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length && !this.closed) {
        const e = this.queue[0];
        try {
          if (this.prepare) {
            await this.prepare();
            this.prepare = null;
          }
          const apply = WRITES[e.op as WriteOp];
          if (!apply) throw Object.assign(new Error(`unknown journal operation ${e.op}`), { code: '22000' });
          await apply(this.inner, e.args);
        } catch (err) {
          if (isPermanentError(err)) {
            try {
              this.journal.reject(e, (err as Error).message);
            } catch (writeErr) {
              // Cannot set it aside (disk): keep it at the head of the queue rather than lose it.
              this.o.onError?.('could not write journal/rejected.jsonl', writeErr as Error);
              await this.sleep(this.o.retryMaxMs);
              continue;
            }
            this.o.onError?.(`store refused ${e.op} #${e.seq}; kept in journal/rejected.jsonl`, err as Error);
          } else {
            this.failures++;
            this.lastError = err as Error;
            if (this.failures === 1) this.o.onError?.(`store write failed, retrying (queue ${this.queue.length})`, err as Error);
            await this.sleep(Math.min(this.o.retryMaxMs, this.o.retryBaseMs * 2 ** Math.min(this.failures - 1, 20)));
            continue;
          }
        }
        this.queue.shift();
        this.failures = 0;
        this.lastError = null;
        try {
          this.journal.ack(e.seq);
        } catch (err) {
          // Not fatal: without the ack the entry is applied again after a restart (an upsert).
          this.o.onError?.('could not record journal progress', err as Error);
        }
      }
    } finally {
      this.draining = false;
      if (!this.queue.length) for (const w of this.waiters.splice(0)) w();
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      // close() wakes the drainer so it stops at once; new writes do not shorten the back-off.
      this.wake = () => { if (this.closed) done(); };
      function done() { clearTimeout(t); resolve(); }
    }).then(() => { this.wake = null; });
  }

  /** Resolves when the queue is empty; rejects after `timeoutMs` if given. */
  flush(timeoutMs?: number): Promise<void> {
    if (!this.queue.length) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = () => { if (t) clearTimeout(t); resolve(); };
      this.waiters.push(waiter);
      const t = timeoutMs === undefined ? null : setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`store did not drain within ${timeoutMs} ms (${this.queue.length} writes queued${this.lastError ? `; last error: ${this.lastError.message}` : ''})`));
      }, timeoutMs);
      this.kick();
    });
  }

  // ---- journaled writes ----
  upsertTrade(t: TradeRecord) { return this.write('upsertTrade', t); }
  upsertTrades(rows: TradeRecord[]) { return this.write('upsertTrades', rows); }
  upsertSignal(s: SignalRecord) { return this.write('upsertSignal', s); }
  upsertSignals(rows: SignalRecord[]) { return this.write('upsertSignals', rows); }
  upsertOrder(o: OrderRecord) { return this.write('upsertOrder', o); }
  upsertMlFeatures(f: MlFeatureRecord) { return this.write('upsertMlFeatures', f); }
  upsertMlFeaturesBatch(rows: MlFeatureRecord[]) { return this.write('upsertMlFeaturesBatch', rows); }
  upsertApproval(a: ApprovalRecord) { return this.write('upsertApproval', a); }
  setBotState(s: BotState) { return this.write('setBotState', s); }

  // ---- orders: the queued intent is newer than the database, so reads see it first ----

  private queuedOrders(): OrderRecord[] {
    return this.queue.filter((e) => e.op === 'upsertOrder').map((e) => e.args as OrderRecord);
  }

  async orderByLinkId(orderLinkId: string): Promise<OrderRecord | null> {
    const queued = this.queuedOrders().filter((o) => o.order_link_id === orderLinkId);
    if (queued.length) return queued[queued.length - 1];
    return this.inner.orderByLinkId(orderLinkId);
  }

  async openOrders(): Promise<OrderRecord[]> {
    const byId = new Map((await this.inner.openOrders()).map((o) => [o.id, o]));
    for (const o of this.queuedOrders()) byId.set(o.id, o);
    const final: readonly string[] = FINAL_ORDER_STATES;
    return [...byId.values()]
      .filter((o) => !final.includes(o.status))
      .sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || a.id.localeCompare(b.id));
  }

  // ---- direct ----

  /**
   * While the database was unreachable at start the migrations wait for the drainer; a migrate()
   * that fails for the same reason is not fatal then (the bot keeps trading on the journal).
   */
  async migrate(): Promise<string[]> {
    try {
      const applied = await this.inner.migrate();
      this.prepare = null;
      return applied;
    } catch (e) {
      if (this.prepare && !/^(22|23|42)[0-9A-Z]{3}$/.test(String((e as { code?: unknown }).code))) {
        this.o.onError?.('database still unreachable; migrations will run when it returns', e as Error);
        return [];
      }
      throw e;
    }
  }
  appliedMigrations() { return this.inner.appliedMigrations(); }
  async info(): Promise<StoreInfo> {
    const i = await this.inner.info();
    const error = i.error ?? (this.lastError ? `queued writes failing: ${this.lastError.message}` : undefined);
    return { ...i, queueLength: this.queue.length, ...(error ? { error } : {}) };
  }
  openTrades(source?: string) { return this.inner.openTrades(source); }
  tradesBetween(from: Date, to: Date, source?: string) { return this.inner.tradesBetween(from, to, source); }
  mlFeatures(filter?: MlFeatureFilter) { return this.inner.mlFeatures(filter); }
  getBotState() { return this.inner.getBotState(); }
  getApproval(id: string) { return this.inner.getApproval(id); }
  pendingApprovals() { return this.inner.pendingApprovals(); }

  /** The compare-and-set needs the database: queued writes (the approval itself) go first. */
  async decideApproval(id: string, fromStatus: ApprovalRecord['status'], toStatus: ApprovalRecord['status'], by: string): Promise<boolean> {
    await this.flush(this.o.decideTimeoutMs);
    return this.inner.decideApproval(id, fromStatus, toStatus, by);
  }

  acquireLease(holder: string, ttlMs: number, account?: string) { return this.inner.acquireLease(holder, ttlMs, account); }
  renewLease(holder: string, ttlMs: number, account?: string) { return this.inner.renewLease(holder, ttlMs, account); }
  releaseLease(holder: string, account?: string) { return this.inner.releaseLease(holder, account); }
  dailyStats(from: string, to: string, source?: string, run?: string): Promise<DailyStatsRow[]> { return this.inner.dailyStats(from, to, source, run); }
  coinPerformance(source?: string, run?: string): Promise<CoinPerformanceRow[]> { return this.inner.coinPerformance(source, run); }
  computeDailyStats(day: string): Promise<DailyStatsRow[]> { return this.inner.computeDailyStats(day); }
  winRateByConfidence(source?: string, run?: string): Promise<ConfidenceBucketRow[]> { return this.inner.winRateByConfidence(source, run); }
  performanceByFactor(source?: string, run?: string): Promise<FactorPerformanceRow[]> { return this.inner.performanceByFactor(source, run); }

  /**
   * Waits up to closeTimeoutMs for the queue to drain, then stops; what is left stays in the
   * journal and is replayed by the next start.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush(this.o.closeTimeoutMs).catch(() => {});
    this.closed = true;
    this.wake?.();
    while (this.draining) await new Promise((r) => setTimeout(r, 10));
    await this.journal.close();
    await this.inner.close();
  }

  /** Stops without draining (tests: simulates a crash after the journal write). */
  async abandon(): Promise<void> {
    this.closed = true;
    this.wake?.();
    while (this.draining) await new Promise((r) => setTimeout(r, 10));
    await this.journal.close();
  }
}
