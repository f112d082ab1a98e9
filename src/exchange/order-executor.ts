// Places orders so that none is lost or doubled (reliability.md §2.4):
//   1. an intent row with a fresh orderLinkId is journaled BEFORE anything is sent — if the journal
//      (store) cannot take it, nothing is sent (an order the store never heard of is worse than a
//      missed entry);
//   2. a timeout / 5xx / dropped connection is never answered by a blind resend: the order is looked
//      up by orderLinkId (with back-off) and adopted; only when the exchange definitively does not
//      have it is it re-sent, with the SAME orderLinkId, so a late arrival is rejected as 110072;
//   3. 110072 means "it exists": look it up and link it;
//   4. fills are counted by execId (deduplicated); the order's own cumulative fill is a floor.
// It works on any ExchangePort. Clock and sleep are injected so tests run without real waiting.
import type { Logger } from 'pino';
import pino from 'pino';
import type { Direction } from '../../engine/types.js';
import type { OrderRecord, Store } from '../storage/store.js';
import { ExchangeError } from './errors.js';
import { newOrderLinkId, type OrderPurpose } from './order-link-id.js';
import type { ExchangeEvent, ExchangePort, Fill, FundingEvent, OrderRequest, OrderState } from './port.js';
import { scrubError } from './scrub.js';

/** What the executor needs from the store; Store.upsertOrder satisfies both. */
export interface OrderJournal {
  saveIntent(rec: OrderRecord): Promise<void>;
  update(rec: OrderRecord): Promise<void>;
}

/**
 * The store as a journal. Store.upsertOrder queues locally while the database is down, so an
 * intent it accepted is durable; only when it throws is the order not sent.
 */
export function storeJournal(store: Pick<Store, 'upsertOrder'>): OrderJournal {
  return { saveIntent: (r) => store.upsertOrder(r), update: (r) => store.upsertOrder(r) };
}

/**
 * For a runtime without a store (replay without a database): the executor's own memory is the
 * only record, so nothing more is kept here.
 */
export function memoryJournal(): OrderJournal {
  return { saveIntent: async () => undefined, update: async () => undefined };
}

/** The journal refused the intent; no order was sent. */
export class JournalUnavailableError extends Error {
  constructor(readonly orderLinkId: string, cause: unknown) {
    super(`order not sent: the store could not record its intent (${String((cause as Error)?.message ?? cause)})`);
    this.name = 'JournalUnavailableError';
  }
}

export interface OrderExecutorOptions {
  exchange: ExchangePort;
  journal: OrderJournal;
  logger?: Logger;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** 1-6 letters/digits at the start of every orderLinkId (e.g. "smc"). */
  linkPrefix?: string;
  newUuid?: () => string;
  /** Lookups by orderLinkId before an order is taken as "never arrived" (Bybit may show it late). */
  lookupAttempts?: number;
  lookupBackoffMs?: number;
  /** Sends of one orderLinkId at most (the first plus re-sends after confirmed absence). */
  maxSends?: number;
  /** How often the hybrid entry checks its limit order. */
  pollMs?: number;
  /** Attempts to set a stop before giving up (transient failures only). */
  stopAttempts?: number;
}

export interface PlaceRequest {
  symbol: string;
  side: 'Buy' | 'Sell';
  type: 'limit' | 'market';
  qty: number;
  price?: number;
  reduceOnly?: boolean;
  takeProfit?: number;
  stopLoss?: number;
  purpose: OrderPurpose;
  tradeId?: string | null;
  /** Use this client id instead of a fresh one (the runtime's session ids map fills back by it). */
  orderLinkId?: string;
  /** The journal row's id (the store's orders.id is a UUID); defaults to the orderLinkId. */
  recordId?: string;
}

/** Venues that can list past executions (Bybit); used to rebuild the execId memory after a restart. */
export interface ExecutionHistory {
  executions(since: number, symbol?: string): Promise<Fill[]>;
  /** The same history with its funding settlements (one read); venues without funding rows omit it. */
  executionHistory?(since: number, symbol?: string): Promise<{ fills: Fill[]; funding: FundingEvent[] }>;
}

export interface RecoveryReport {
  /** Journal rows the exchange knows: adopted with its current state. */
  adopted: OrderRecord[];
  /** Intents the exchange never received: marked rejected, nothing sent. */
  neverSent: OrderRecord[];
  /** Rows the journal thought open but the exchange does not know at all: marked cancelled. */
  vanished: OrderRecord[];
  /**
   * Rows whose send had an unknown outcome and that no lookup shows yet: they were sent, so
   * absence may be Bybit's visibility lag. Left 'unknown' (still open in the journal) for the
   * next reconciliation; a fill arriving later is still taken by its orderLinkId.
   */
  unresolved: OrderRecord[];
}

export interface PlacedOrder {
  record: OrderRecord;
  state: OrderState;
}

export interface HybridEntryRequest {
  symbol: string;
  direction: Direction;
  qty: number;
  /** The signal's reference price. */
  signalPrice: number;
  takeProfit: number;
  stopLoss: number;
  /** |takeProfit - entry|: the unit of the chase rule. */
  targetDistance: number;
  /** Limit this fraction better than the signal price (SPEC: 0.001). */
  limitOffset: number;
  limitTimeoutSeconds: number;
  /** Chase with market only if price moved in the trade's direction by less than this × target. */
  chaseMaxTargetFraction: number;
  tradeId?: string | null;
}

export interface HybridEntryResult {
  /**
   * filled: whole qty; partial: some filled, remainder not chased; entry_missed: nothing filled;
   * unknown: the limit's final state could not be read after the cancel, so nothing was chased
   * (it may have filled unseen) and the position must be reconciled from the exchange.
   */
  outcome: 'filled' | 'partial' | 'entry_missed' | 'unknown';
  filledQty: number;
  avgPrice: number | null;
  /** 'limit' when only the limit filled, else 'market' (the chase took part). */
  entryOrderType: 'limit' | 'market';
  orders: OrderRecord[];
}

export class OrderExecutor {
  private readonly ex: ExchangePort;
  private readonly journal: OrderJournal;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly prefix: string;
  private readonly newUuid?: () => string;
  private readonly lookupAttempts: number;
  private readonly lookupBackoffMs: number;
  private readonly maxSends: number;
  private readonly pollMs: number;
  private readonly stopAttempts: number;
  private readonly fillsByLink = new Map<string, Map<string, Fill>>();
  private readonly seenExecIds = new Set<string>();
  private readonly records = new Map<string, OrderRecord>();
  /** Journal updates that failed; retried by flushJournal() and on the next update. */
  private readonly unsynced = new Map<string, OrderRecord>();

  constructor(o: OrderExecutorOptions) {
    this.ex = o.exchange;
    this.journal = o.journal;
    this.log = o.logger ?? pino({ level: 'silent' });
    this.now = o.now ?? Date.now;
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.prefix = o.linkPrefix ?? 'smc';
    this.newUuid = o.newUuid;
    this.lookupAttempts = o.lookupAttempts ?? 5;
    this.lookupBackoffMs = o.lookupBackoffMs ?? 500;
    this.maxSends = o.maxSends ?? 2;
    this.pollMs = o.pollMs ?? 1_000;
    this.stopAttempts = o.stopAttempts ?? 4;
  }

  /** Feed every exchange event here; fills are deduplicated by execId. */
  onEvent(e: ExchangeEvent): void {
    if (e.type === 'fill') this.recordFill(e.fill);
    else if (e.type === 'order') {
      const rec = this.records.get(e.order.orderLinkId);
      if (rec) void this.apply(rec, e.order);
    }
  }

  /** An order update from the stream for an order this executor placed or recovered. */
  async applyOrderUpdate(o: OrderState): Promise<void> {
    const rec = this.records.get(o.orderLinkId);
    if (rec) await this.apply(rec, o);
  }

  /** Fills of one order, one per execId. */
  fills(orderLinkId: string): Fill[] {
    return [...(this.fillsByLink.get(orderLinkId)?.values() ?? [])];
  }

  /** Retries journal updates that failed while the store was down. */
  async flushJournal(): Promise<number> {
    let n = 0;
    for (const [id, rec] of [...this.unsynced]) {
      try {
        await this.journal.update(rec);
        this.unsynced.delete(id);
        n++;
      } catch {
        break;
      }
    }
    return n;
  }

  get pendingJournalWrites(): number {
    return this.unsynced.size;
  }

  async place(req: PlaceRequest): Promise<PlacedOrder> {
    const orderLinkId = req.orderLinkId ?? newOrderLinkId(this.prefix, req.purpose, this.newUuid?.());
    const t = new Date(this.now());
    const rec: OrderRecord = {
      id: req.recordId ?? orderLinkId, order_link_id: orderLinkId, trade_id: req.tradeId ?? null, symbol: req.symbol, side: req.side, order_type: req.type,
      purpose: req.purpose, qty: req.qty, price: req.price ?? null, reduce_only: Boolean(req.reduceOnly), status: 'intent',
      exchange_order_id: null, filled_qty: 0, avg_price: null, created_at: t, updated_at: t,
    };
    try {
      await this.journal.saveIntent(rec);
    } catch (err) {
      this.log.error({ orderLinkId, symbol: req.symbol, err: scrubError(err) }, 'store refused the order intent; order NOT sent');
      throw new JournalUnavailableError(orderLinkId, err);
    }
    this.records.set(orderLinkId, rec);
    const order: OrderRequest = {
      orderLinkId, symbol: req.symbol, side: req.side, type: req.type, qty: req.qty, price: req.price,
      reduceOnly: req.reduceOnly, takeProfit: req.takeProfit, stopLoss: req.stopLoss,
    };
    const state = await this.send(order, rec);
    return { record: rec, state };
  }

  private async send(order: OrderRequest, rec: OrderRecord): Promise<OrderState> {
    for (let sends = 1; ; sends++) {
      try {
        const state = await this.ex.placeOrder(order);
        await this.apply(rec, state);
        return state;
      } catch (err) {
        if (err instanceof ExchangeError && (err.outcome === 'unknown' || err.outcome === 'duplicate')) {
          this.log.warn({ orderLinkId: order.orderLinkId, retCode: err.retCode, retMsg: err.retMsg, outcome: err.outcome }, 'order outcome unknown; looking it up');
          const found = await this.lookup(order.symbol, order.orderLinkId);
          if (found && found !== 'unreachable') {
            await this.apply(rec, found);
            return found;
          }
          // The private stream showed it while REST lookups lag behind: it exists; adopt what the stream said.
          if (rec.exchange_order_id) {
            this.log.info({ orderLinkId: order.orderLinkId, status: rec.status }, 'order not visible by lookup yet but seen on the stream; adopted');
            return stateOf(rec);
          }
          if (found === 'unreachable') {
            await this.setStatus(rec, 'unknown');
            throw new ExchangeError(err.retCode, `order ${order.orderLinkId} state unknown: exchange unreachable for lookup (${err.retMsg})`, err.endpoint, 'unknown');
          }
          if (err.outcome === 'duplicate') {
            // The id is taken but not visible yet: it exists; reconciliation will pick it up.
            await this.setStatus(rec, 'unknown');
            throw new ExchangeError(err.retCode, `order ${order.orderLinkId} was received (${err.retMsg}) but is not visible yet: state unknown until reconciled`, err.endpoint, 'unknown');
          }
          if (sends >= this.maxSends) {
            await this.setStatus(rec, 'unknown');
            throw new ExchangeError(err.retCode, `order ${order.orderLinkId} not confirmed after ${sends} sends`, err.endpoint, 'unknown');
          }
          this.log.warn({ orderLinkId: order.orderLinkId }, 'exchange confirmed the order never arrived; re-sending with the same orderLinkId');
          continue;
        }
        await this.setStatus(rec, 'rejected');
        throw err;
      }
    }
  }

  /** The order by orderLinkId; null only when every attempt answered "not there". */
  private async lookup(symbol: string, orderLinkId: string, attempts = this.lookupAttempts): Promise<OrderState | null | 'unreachable'> {
    let answered = false;
    for (let i = 0; i < attempts; i++) {
      if (i > 0) await this.sleep(this.lookupBackoffMs * 2 ** (i - 1));
      try {
        const o = await this.ex.getOrder(symbol, orderLinkId);
        answered = true;
        if (o) return o;
      } catch (err) {
        this.log.warn({ orderLinkId, err: scrubError(err) }, 'order lookup failed');
      }
    }
    return answered ? null : 'unreachable';
  }

  /**
   * Records a fill; true when its execId is new (the caller applies it), false for a repeat
   * (WebSocket duplicate, REST resync, or a fill already in the position adopted after a restart).
   */
  acceptFill(f: Fill): boolean {
    if (this.seenExecIds.has(f.execId)) return false;
    this.recordFill(f);
    return true;
  }

  /** Whether this process (or the recovery after a restart) has already counted the execution. */
  hasSeen(execId: string): boolean {
    return this.seenExecIds.has(execId);
  }

  /** The journal row of an order this executor placed or recovered. */
  record(orderLinkId: string): OrderRecord | undefined {
    return this.records.get(orderLinkId);
  }

  /**
   * Cancels by client id, then reads the final state once: a fill may have raced the cancel, and
   * "cancelled" never means "nothing filled" (Bybit keeps cumExecQty on cancelled orders).
   */
  async cancel(symbol: string, orderLinkId: string): Promise<OrderState | null> {
    try {
      await this.ex.cancelOrder(symbol, orderLinkId);
    } catch (err) {
      if (!(err instanceof ExchangeError && err.outcome === 'unknown')) throw err;
      this.log.warn({ orderLinkId, retCode: err.retCode }, 'cancel outcome unknown; reading the order');
    }
    const state = await this.ex.getOrder(symbol, orderLinkId).catch(() => null);
    const rec = this.records.get(orderLinkId);
    if (state && rec) await this.apply(rec, state);
    return state;
  }

  /**
   * Moves the position's stop on the exchange. Setting a stop is idempotent (a repeat answers
   * "not modified", which the adapter checks against the position), so transient failures —
   * unknown outcome, rate limit — are retried; a definitive refusal or the last failure throws
   * and the caller must alert: a position must never be left without its stop.
   */
  async moveStop(symbol: string, stopLoss: number, takeProfit?: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.ex.setTradingStop(symbol, stopLoss, takeProfit);
        return;
      } catch (err) {
        const transient = err instanceof ExchangeError && (err.outcome === 'unknown' || err.outcome === 'rate_limited');
        if (!transient || attempt >= this.stopAttempts) throw err;
        this.log.warn({ symbol, stopLoss, attempt, err: scrubError(err) }, 'moving the stop failed; retrying');
        await this.sleep(this.lookupBackoffMs * 2 ** (attempt - 1));
      }
    }
  }

  /** Closes the whole position with a reduce-only market order; null when there is no position. */
  async closePosition(symbol: string, opts: { orderLinkId?: string; recordId?: string; tradeId?: string | null } = {}): Promise<PlacedOrder | null> {
    const pos = (await this.ex.positions(symbol)).find((p) => p.symbol === symbol && p.size > 0);
    if (!pos) return null;
    return this.place({
      symbol, side: pos.direction === 'long' ? 'Sell' : 'Buy', type: 'market', qty: pos.size, reduceOnly: true,
      purpose: 'exit', orderLinkId: opts.orderLinkId, recordId: opts.recordId, tradeId: opts.tradeId,
    });
  }

  /**
   * After a restart: takes the journal's unfinished rows back into memory and asks the exchange
   * about each by orderLinkId. Known there → adopted with its current state; an intent the
   * exchange never saw → rejected (it was never sent, and nothing is sent now); a sent order whose
   * outcome was unknown and that is still invisible → left unknown (unresolved, maybe Bybit's lag);
   * an order the journal thought live that the exchange does not know → cancelled. Throws when the exchange
   * cannot be asked (state unknown: do not trade on it).
   */
  async recoverOrders(rows: OrderRecord[], opts: { lookupAttempts?: number } = {}): Promise<RecoveryReport> {
    const report: RecoveryReport = { adopted: [], neverSent: [], vanished: [], unresolved: [] };
    for (const row of rows) {
      const rec: OrderRecord = { ...row };
      this.records.set(rec.order_link_id, rec);
      if (rec.status !== 'intent' && rec.status !== 'unknown' && rec.status !== 'new' && rec.status !== 'partially_filled') continue;
      const found = await this.lookup(rec.symbol, rec.order_link_id, opts.lookupAttempts);
      if (found === 'unreachable') {
        throw new ExchangeError(-1, `recovery: order ${rec.order_link_id} could not be looked up (exchange unreachable)`, 'order/realtime', 'unknown');
      }
      if (found) {
        await this.apply(rec, found);
        report.adopted.push(rec);
        this.log.info({ orderLinkId: rec.order_link_id, status: rec.status, filledQty: rec.filled_qty }, 'recovery: journal order found on the exchange; adopted');
      } else if (rec.status === 'unknown') {
        report.unresolved.push(rec);
        this.log.warn({ orderLinkId: rec.order_link_id, symbol: rec.symbol }, 'recovery: order sent with an unknown outcome is still not visible; left unknown for reconciliation, not re-sent');
      } else if (rec.status === 'intent') {
        await this.setStatus(rec, 'rejected');
        report.neverSent.push(rec);
        this.log.warn({ orderLinkId: rec.order_link_id, symbol: rec.symbol }, 'recovery: intent never reached the exchange; marked failed (never sent), not re-sent');
      } else {
        await this.setStatus(rec, 'cancelled');
        report.vanished.push(rec);
        this.log.warn({ orderLinkId: rec.order_link_id, symbol: rec.symbol }, 'recovery: journal order unknown to the exchange; marked cancelled');
      }
    }
    return report;
  }

  /**
   * After a restart: every execution the exchange lists since `since` is marked as seen, so a
   * repeat delivered later (stream resync) is not counted again on top of the adopted position.
   * Returns the fills and the funding settlements (oldest first); none for a venue without an
   * execution history.
   */
  async learnExecutions(since: number): Promise<{ fills: Fill[]; funding: FundingEvent[] }> {
    const hist = this.ex as ExchangePort & Partial<ExecutionHistory>;
    if (typeof hist.executionHistory === 'function') {
      const h = await hist.executionHistory(since);
      for (const f of h.fills) this.recordFill(f);
      return h;
    }
    if (typeof hist.executions !== 'function') return { fills: [], funding: [] };
    const fills = await hist.executions(since);
    for (const f of fills) this.recordFill(f);
    return { fills, funding: [] };
  }

  // ---------- hybrid entry (SPEC §3 "Entry execution") ----------

  async enterHybrid(r: HybridEntryRequest): Promise<HybridEntryResult> {
    const long = r.direction === 'long';
    const side = long ? 'Buy' : 'Sell';
    const limitPrice = long ? r.signalPrice * (1 - r.limitOffset) : r.signalPrice * (1 + r.limitOffset);
    const limit = await this.place({ symbol: r.symbol, side, type: 'limit', qty: r.qty, price: limitPrice, takeProfit: r.takeProfit, stopLoss: r.stopLoss, purpose: 'entry', tradeId: r.tradeId });
    const orders = [limit.record];
    const link = limit.record.order_link_id;
    const deadline = this.now() + r.limitTimeoutSeconds * 1000;
    let filled = this.filledQty(link, limit.state);
    while (filled < r.qty - 1e-12 && this.now() < deadline) {
      await this.sleep(Math.min(this.pollMs, Math.max(1, deadline - this.now())));
      filled = await this.refreshFilled(r.symbol, link);
    }
    let settled = true;
    if (filled < r.qty - 1e-12) {
      await this.ex.cancelOrder(r.symbol, link);
      // A fill may race the cancel: read the final state before deciding anything.
      const found = await this.lookup(r.symbol, link);
      const final = found && found !== 'unreachable' ? found : undefined;
      if (final) await this.apply(limit.record, final);
      filled = this.filledQty(link, final);
      // Not visible (Bybit's lag) or still open: it may have filled unseen, so a chase could double it.
      settled = final !== undefined && final.status !== 'new' && final.status !== 'partially_filled';
    }
    if (!settled && filled < r.qty - 1e-12) {
      this.log.warn({ symbol: r.symbol, orderLinkId: link, knownFilled: filled }, 'limit entry: final state not visible after the cancel; not chasing, reconcile the position');
      return { outcome: 'unknown', filledQty: filled, avgPrice: this.avgPrice([link]), entryOrderType: 'limit', orders };
    }
    let entryOrderType: 'limit' | 'market' = 'limit';
    const remainder = r.qty - filled;
    if (remainder > 1e-12) {
      const last = (await this.ex.tickers([r.symbol]))[0]?.lastPrice;
      const moved = last === undefined ? Infinity : long ? last - r.signalPrice : r.signalPrice - last;
      const inst = (await this.ex.instruments([r.symbol]))[0];
      const chaseQty = inst ? Math.floor(remainder / inst.qtyStep + 1e-9) * inst.qtyStep : remainder;
      if (moved < r.chaseMaxTargetFraction * r.targetDistance && (!inst || chaseQty >= inst.minQty)) {
        // Only the remainder; the limit's partial fill is kept.
        const mkt = await this.place({ symbol: r.symbol, side, type: 'market', qty: chaseQty, takeProfit: r.takeProfit, stopLoss: r.stopLoss, purpose: 'entry', tradeId: r.tradeId });
        orders.push(mkt.record);
        entryOrderType = 'market';
        filled += await this.refreshFilled(r.symbol, mkt.record.order_link_id);
      } else {
        this.log.info({ symbol: r.symbol, moved, limitFilled: filled }, 'limit entry timed out and price ran: no chase');
      }
    }
    const avgPrice = this.avgPrice(orders.map((o) => o.order_link_id));
    const outcome = filled >= r.qty - 1e-9 ? 'filled' : filled > 0 ? 'partial' : 'entry_missed';
    return { outcome, filledQty: filled, avgPrice, entryOrderType, orders };
  }

  private async refreshFilled(symbol: string, link: string): Promise<number> {
    const found = await this.lookup(symbol, link);
    const state = found && found !== 'unreachable' ? found : undefined;
    const rec = this.records.get(link);
    if (state && rec) await this.apply(rec, state);
    return this.filledQty(link, state);
  }

  /**
   * What an order has filled as far as anything shows (fills seen, its last known state, the journal), and
   * whether that is final: the order is done (filled, cancelled, rejected), so no fill can follow.
   */
  filledSoFar(link: string, state?: OrderState | null): { qty: number; final: boolean } {
    const done = state?.status === 'filled' || state?.status === 'cancelled' || state?.status === 'rejected';
    return { qty: this.filledQty(link, state ?? undefined), final: done };
  }

  /** Fills by execId are the truth; the order's cumulative fill covers fills whose events are late. */
  private filledQty(link: string, state?: OrderState): number {
    const byFills = this.fills(link).reduce((s, f) => s + f.qty, 0);
    return Math.max(byFills, state?.filledQty ?? 0, this.records.get(link)?.filled_qty ?? 0);
  }

  private avgPrice(links: string[]): number | null {
    let qty = 0;
    let value = 0;
    for (const l of links) {
      const fills = this.fills(l);
      const rec = this.records.get(l);
      const fq = fills.reduce((s, f) => s + f.qty, 0);
      if (rec && rec.filled_qty > fq + 1e-12 && rec.avg_price) { qty += rec.filled_qty; value += rec.filled_qty * rec.avg_price; continue; }
      for (const f of fills) { qty += f.qty; value += f.qty * f.price; }
    }
    return qty > 0 ? value / qty : null;
  }

  private recordFill(f: Fill): void {
    if (this.seenExecIds.has(f.execId)) return;
    this.seenExecIds.add(f.execId);
    if (this.seenExecIds.size > 200_000) this.forgetOldest();
    if (!this.fillsByLink.has(f.orderLinkId)) this.fillsByLink.set(f.orderLinkId, new Map());
    this.fillsByLink.get(f.orderLinkId)!.set(f.execId, f);
  }

  /** Long runs (months of replay): keep memory bounded; old execIds cannot come back from Bybit (7-day window). */
  private forgetOldest(): void {
    const drop = new Set([...this.seenExecIds].slice(0, 100_000));
    for (const id of drop) this.seenExecIds.delete(id);
    for (const [link, fills] of this.fillsByLink) {
      for (const id of [...fills.keys()]) if (drop.has(id)) fills.delete(id);
      if (!fills.size) this.fillsByLink.delete(link);
    }
  }

  private async apply(rec: OrderRecord, s: OrderState): Promise<void> {
    rec.exchange_order_id = s.orderId || rec.exchange_order_id;
    // A late stream message must not reopen an order already seen final.
    const final = rec.status === 'filled' || rec.status === 'cancelled' || rec.status === 'rejected';
    if (!(final && (s.status === 'new' || s.status === 'partially_filled'))) rec.status = s.status;
    rec.filled_qty = Math.max(rec.filled_qty, s.filledQty);
    rec.avg_price = s.avgPrice || rec.avg_price;
    rec.updated_at = new Date(this.now());
    await this.write(rec);
  }

  private async setStatus(rec: OrderRecord, status: OrderRecord['status']): Promise<void> {
    rec.status = status;
    rec.updated_at = new Date(this.now());
    await this.write(rec);
  }

  /** A failed update never loses the order: it stays queued and the exchange stays the truth. */
  private async write(rec: OrderRecord): Promise<void> {
    try {
      await this.journal.update({ ...rec });
      this.unsynced.delete(rec.order_link_id);
    } catch (err) {
      this.unsynced.set(rec.order_link_id, { ...rec });
      this.log.error({ orderLinkId: rec.order_link_id, err: scrubError(err) }, 'store update failed; kept for retry');
    }
  }
}

/** An order's state as the executor last learned it (from the stream), for callers of place(). */
function stateOf(rec: OrderRecord): OrderState {
  return {
    orderId: rec.exchange_order_id ?? '', orderLinkId: rec.order_link_id, symbol: rec.symbol, side: rec.side, type: rec.order_type,
    status: rec.status === 'intent' || rec.status === 'unknown' ? 'new' : rec.status, qty: rec.qty, filledQty: rec.filled_qty,
    avgPrice: rec.avg_price ?? 0, price: rec.price ?? 0, reduceOnly: rec.reduce_only, updatedAt: rec.updated_at.getTime(),
  };
}
