// The live runtime: market data in, orders out. Closed base candles (and the venue's fills) drive
// the trading session; its commands go to the exchange port; signals are executed at once (auto)
// or after an Approve (approve). The same class runs replay, paper, testnet, demo and live.
import { randomUUID } from 'node:crypto';
import { TradingSession, type InstrumentSpec, type SessionCommand, type SessionEvent, type VenueFill } from '../../engine/session.js';
import { TF_MS, type Timeframe } from '../../engine/timeframe.js';
import { coinConfig, type CoinConfig, type EngineParams } from '../../engine/params.js';
import type { Signal, SignalFate } from '../../engine/types.js';
import type { ExchangeEvent, ExchangePort, Fill, FundingEvent, Instrument } from '../exchange/port.js';
import type { SymbolStreamer } from './universe.js';
import type { ApprovalRecord, Store } from '../storage/store.js';
import type { BotControl, BotEvent, ExecutionMode } from '../../handlers/control.js';
import type { Logger } from '../log.js';
import { closedTradeRecord, openTradeRecord, signalRecord, uuidFor } from './records.js';
import { mlFeatureRecord, type MlSignalScoring } from '../ml/signal-scoring.js';
import { RuntimeControl } from './control.js';
import { OrderExecutor, memoryJournal, storeJournal, type OrderExecutorOptions } from '../exchange/order-executor.js';
import type { TradeRecord } from '../storage/store.js';
import type { Fill as ExchangeFill, Position } from '../exchange/port.js';
import { ExchangeError } from '../exchange/errors.js';

const DAY_MS = 86_400_000;

export interface Publisher {
  publish(e: BotEvent): Promise<void>;
}

export interface RuntimeOptions {
  exchange: ExchangePort;
  store: Store | null;
  publisher: Publisher;
  logger: Logger;
  params: EngineParams;
  coins: Record<string, CoinConfig>;
  symbols: string[];
  baseTf: Timeframe;
  /** replay, paper, testnet, demo, live — also the `source` of stored rows. */
  tradingMode: string;
  executionMode: ExecutionMode;
  approvalTimeoutSeconds: number;
  maxDailyLossPercent: number;
  mlMinConfidence: number;
  mlScore?: ConstructorParameters<typeof TradingSession>[0]['mlScore'];
  /** ML features (+ model): fed every closed candle before the session, scores every signal, labels trades (replaces mlScore). */
  ml?: MlSignalScoring;
  modelVersion?: string | null;
  /** Fetch REST history to warm up the indicators before streaming (not for replay). */
  backfill: boolean;
  /** Wall clock; replaced in tests. */
  clock?: () => number;
  /** Tuning of the order executor (lookup back-off, stop retries); tests shorten the waits. */
  executor?: Partial<Pick<OrderExecutorOptions, 'lookupAttempts' | 'lookupBackoffMs' | 'maxSends' | 'stopAttempts' | 'sleep'>>;
  /** How long start() waits for the store's write journal to drain before reading orders and trades. */
  storeFlushTimeoutMs?: number;
}

export class Runtime {
  readonly session: TradingSession;
  readonly control: BotControl;
  executionMode: ExecutionMode;
  connected = false;
  lastCandleAt: number | null = null;
  lastCandleTime: number | null = null;
  readonly startedAt: number;
  private pending = new Map<number, Map<string, import('../../engine/types.js').Candle>>();
  private instruments = new Map<string, Instrument>();
  /**
   * The same instruments as the session sees them (filled at start and when coins are added): it
   * sizes entries to the exchange's qty step and limits, so its target is exactly what is sent.
   */
  private readonly sessionInstruments: Record<string, InstrumentSpec> = {};
  /** Timed-out limit entries just cancelled: what they filled in the end, for the chase that follows. */
  private readonly cancelledEntries = new Map<string, { qty: number; final: boolean }>();
  /** Funding executions already booked (the stream may repeat one after a reconnect); the latest 256. */
  private readonly fundingSeen = new Set<string>();
  private approvals = new Map<string, { record: ApprovalRecord; signal: Signal; timer: NodeJS.Timeout | null }>();
  private chain: Promise<void> = Promise.resolve();
  private readonly clock: () => number;
  private stopping = false;
  readonly lastPrice = new Map<string, number>();
  /** Observer of every closed trade (replay output, tests). */
  onTradeClosed: ((t: import('../../engine/session.js').TradeResult) => void) | null = null;
  /** Every order goes through here: intent journaled before sending, lookups instead of blind resends. */
  readonly executor: OrderExecutor;
  /** Session trade id → the store row of a trade resumed after a restart (closed under its own id). */
  private readonly resumed = new Map<string, TradeRecord>();

  constructor(readonly opts: RuntimeOptions) {
    this.clock = opts.clock ?? Date.now;
    this.startedAt = this.clock();
    this.executionMode = opts.executionMode;
    this.session = new TradingSession({
      params: opts.params, coins: opts.coins, symbols: opts.symbols, baseTf: opts.baseTf,
      autoExecute: false, maxDailyLossPercent: opts.maxDailyLossPercent, mlMinConfidence: opts.mlMinConfidence,
      mlScore: opts.ml ? opts.ml.score : opts.mlScore, instruments: this.sessionInstruments,
    });
    for (const w of this.session.warnings) opts.logger.warn(w);
    this.control = new RuntimeControl(this);
    this.executor = new OrderExecutor({
      exchange: opts.exchange, journal: opts.store ? storeJournal(opts.store) : memoryJournal(), logger: opts.logger, ...opts.executor,
    });
  }

  get log(): Logger {
    return this.opts.logger;
  }

  /** Restores state, warms up, then streams. Resolves once streaming has started. */
  async start(): Promise<void> {
    const { exchange, store, logger } = this.opts;
    const state = await store?.getBotState().catch(() => null);
    if (state) {
      this.executionMode = state.mode;
      this.session.paused = state.paused;
    }
    for (const i of await exchange.instruments(this.opts.symbols)) this.setInstrument(i);
    // A venue that can be in the wrong position mode (Bybit hedge mode) is checked before anything is sent.
    const account = exchange as ExchangePort & { prepareAccount?: (symbols: string[]) => Promise<void> };
    if (typeof account.prepareAccount === 'function') await account.prepareAccount(this.opts.symbols);
    const bal = await exchange.balance();
    this.session.equity = bal.equity;
    await this.reconcile();
    await this.resumeDailyLoss();
    if (this.opts.backfill) await this.warmUp();
    await this.restoreApprovals();
    logger.info({ symbols: this.opts.symbols, mode: this.opts.tradingMode, execution: this.executionMode }, 'streaming market data');
    await exchange.subscribe(this.opts.symbols, this.opts.baseTf, (e) => this.enqueue(e));
    this.connected = true;
  }

  /**
   * The daily loss limit survives a restart (a crash loop or a redeploy must not reset it): the UTC
   * day's realised PnL so far comes from the store's trades closed today.
   */
  private async resumeDailyLoss(): Promise<void> {
    const { store } = this.opts;
    if (!store || !(this.opts.maxDailyLossPercent > 0)) return;
    const now = this.clock();
    const dayStart = Math.floor((now - 1) / DAY_MS) * DAY_MS;
    const rows = await store.tradesBetween(new Date(dayStart - 7 * DAY_MS), new Date(now + 1), this.opts.tradingMode).catch((err: Error) => {
      this.log.warn({ err: err.message }, "daily loss limit: could not read today's trades; counting from now");
      return [];
    });
    const realised = rows.reduce((sum, r) => (r.exit_time && r.exit_time.getTime() >= dayStart ? sum + (r.pnl_usd ?? 0) : sum), 0);
    this.session.resumeDay(now, this.session.equity - realised);
    if (this.session.dailyLossLocked) {
      this.log.warn({ realised }, 'daily loss limit already reached today: no new entries until 00:00 UTC');
      await this.opts.publisher.publish({ type: 'error', message: `daily loss limit already reached today (${realised.toFixed(2)} USDT realised): no new entries until 00:00 UTC` });
    }
  }

  /** Events are handled strictly one after another (fills before the candles that follow them). */
  private enqueue(e: ExchangeEvent): Promise<void> {
    const next = this.chain.then(() => this.handle(e)).catch((err) => {
      this.log.error({ err: String(err?.message ?? err) }, 'event handling failed');
    });
    this.chain = next;
    return next;
  }

  /** Runs `fn` between two events, so chat actions never interleave with candle handling. */
  runExclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.then(() => undefined, () => undefined);
    return run;
  }

  async processDrained(): Promise<void> {
    await this.process(this.session.drain());
  }

  async recordSignalFate(signal: Signal, fate: SignalFate): Promise<void> {
    await this.opts.store?.upsertSignal(signalRecord(signal, fate, null, this.opts.tradingMode));
  }

  /** Waits until every event received so far has been handled. */
  idle(): Promise<void> {
    return this.chain;
  }

  private async handle(e: ExchangeEvent): Promise<void> {
    switch (e.type) {
      case 'connection':
        this.connected = e.connected;
        if (!e.connected) this.log.warn({ reason: e.reason }, 'exchange connection lost');
        if (!e.connected && /^reconnect storm/.test(e.reason ?? '')) await this.opts.publisher.publish({ type: 'error', message: `exchange ${e.reason}` });
        return;
      case 'funding':
        if (e.execId !== undefined && !this.markFundingSeen(e.execId)) return;
        this.session.onFunding(e.symbol, e.amount);
        this.log.info({ symbol: e.symbol, amount: e.amount }, e.amount >= 0 ? 'funding paid' : 'funding received');
        return;
      case 'fill':
        // Counted once: repeats (stream + REST resync, or fills already in a position adopted at start) stop here.
        if (!this.executor.acceptFill(e.fill)) return;
        this.session.onFill(toVenueFill(e.fill));
        await this.process(this.session.drain());
        return;
      case 'candle': {
        const closeT = e.candle.ts + TF_MS[this.opts.baseTf];
        // A candle of a later step means the earlier step is complete.
        for (const t of [...this.pending.keys()].sort((a, b) => a - b)) if (t < closeT) await this.flush(t);
        let step = this.pending.get(closeT);
        if (!step) this.pending.set(closeT, (step = new Map()));
        step.set(e.symbol, e.candle);
        this.lastCandleAt = this.clock();
        this.lastCandleTime = closeT;
        this.lastPrice.set(e.symbol, e.candle.close);
        if (step.size === this.opts.symbols.length) await this.flush(closeT);
        return;
      }
      case 'step_end':
        if (this.pending.has(e.time)) await this.flush(e.time);
        return;
      case 'order':
        await this.executor.applyOrderUpdate(e.order);
        return;
      default:
        return;
    }
  }

  /**
   * The market chase after a timed-out limit, sized from what the limit really filled: a fill can race
   * the cancel (or be invisible to the session when it sized the chase), and chasing the session's
   * remainder on top of it would enlarge the position up to twice its size. qty 0 = send nothing. A limit
   * whose final state is unknown is not chased at all (it may have filled unseen): that throws, so the
   * trader is alerted.
   */
  private chaseQty(symbol: string, qty: number, replaces: { orderId: string; filledQty: number }): { qty: number; limitFilled: number } {
    const limit = this.cancelledEntries.get(replaces.orderId);
    this.cancelledEntries.delete(replaces.orderId);
    if (!limit || !limit.final) {
      throw new Error(`the timed-out limit entry ${replaces.orderId} may still be filling (its final state is unknown after the cancel); not chasing with a market order so the position cannot exceed its size — check the position and open orders on Bybit`);
    }
    const limitFilled = Math.max(limit.qty, replaces.filledQty);
    const late = limitFilled - replaces.filledQty;
    if (late <= 1e-12) return { qty, limitFilled };
    const inst = this.instruments.get(symbol);
    const step = inst?.qtyStep ?? 0;
    const rest = qty - late;
    const rounded = step > 0 ? Math.floor(rest / step + 1e-9) * step : rest;
    const chase = rounded > 1e-12 && rounded >= (inst?.minQty ?? 0) ? rounded : 0;
    this.log.warn({ symbol, limit: replaces.orderId, lateFill: late, chase }, 'limit entry filled while it was cancelled; market chase reduced to the remainder');
    return { qty: chase, limitFilled };
  }

  private async flush(time: number): Promise<void> {
    const step = this.pending.get(time);
    this.pending.delete(time);
    if (!step) return;
    for (const symbol of this.opts.symbols) {
      const c = step.get(symbol);
      if (c) {
        this.opts.ml?.observe(symbol, c);
        this.session.onCandle(symbol, c);
      }
    }
    await this.process(this.session.endStep(time));
  }

  private async process(out: { commands: SessionCommand[]; events: SessionEvent[] }): Promise<void> {
    for (const cmd of out.commands) await this.execute(cmd);
    for (const ev of out.events) await this.onSessionEvent(ev);
  }

  /**
   * Every session command goes through the OrderExecutor, so every mode (replay, paper, testnet,
   * live) places orders the same way: the session's order id is the orderLinkId (fills map back by
   * it), its intent is in the journal before it is sent, and a timeout is resolved by lookup.
   */
  private async execute(cmd: SessionCommand): Promise<void> {
    const mode = this.opts.tradingMode;
    const tradeId = uuidFor('trade', cmd.tradeId, mode);
    try {
      switch (cmd.type) {
        case 'place_entry': {
          const chase = cmd.replaces ? this.chaseQty(cmd.symbol, cmd.qty, cmd.replaces) : null;
          const qty = chase ? chase.qty : cmd.qty;
          if (qty === 0) return;
          let sent = false;
          try {
            await this.opts.exchange.setLeverage(cmd.symbol, cmd.leverage);
            sent = true;
            await this.executor.place({
              symbol: cmd.symbol, side: cmd.direction === 'long' ? 'Buy' : 'Sell', type: cmd.orderType, qty,
              price: cmd.orderType === 'limit' ? cmd.price : undefined, takeProfit: cmd.takeProfit, stopLoss: cmd.stopLoss,
              purpose: 'entry', tradeId, orderLinkId: cmd.orderId, recordId: uuidFor('order', cmd.orderId, mode),
            });
          } catch (err) {
            // Refused or never sent: the trade must not wait for it (it would hold a slot and its coin
            // for good). One that may have reached Bybit (unknown outcome) is kept: its fill may come.
            if (!sent || !isMaybePlaced(err)) {
              this.session.entryNotPlaced(cmd.orderId, this.lastCandleTime ?? this.clock(), chase?.limitFilled ?? 0);
              await this.process(this.session.drain());
            }
            throw err;
          }
          return;
        }
        case 'cancel_entry': {
          const state = await this.executor.cancel(cmd.symbol, cmd.orderId).catch((err: unknown) => {
            this.cancelledEntries.set(cmd.orderId, { qty: 0, final: false });
            throw err;
          });
          this.cancelledEntries.set(cmd.orderId, this.executor.filledSoFar(cmd.orderId, state));
          // Only the chase right after needs it; cancels without a chase must not pile up.
          if (this.cancelledEntries.size > 64) this.cancelledEntries.delete(this.cancelledEntries.keys().next().value!);
          return;
        }
        case 'move_stop':
          await this.executor.moveStop(cmd.symbol, cmd.stopLoss);
          return;
        case 'close_position':
          try {
            await this.executor.closePosition(cmd.symbol, { orderLinkId: cmd.orderId, recordId: uuidFor('order', cmd.orderId, mode), tradeId });
          } catch (err) {
            // Not placed: the position stays open with its exchange stop; the close is asked again.
            if (!isMaybePlaced(err)) this.session.exitNotPlaced(cmd.orderId);
            throw err;
          }
          return;
      }
    } catch (err) {
      const why = cmd.type === 'move_stop' ? ' — the previous stop stays on the exchange; check the position' : '';
      const msg = `${cmd.type} ${cmd.symbol} failed: ${(err as Error).message}${why}`;
      this.log.error({ cmd: cmd.type, symbol: cmd.symbol, err: (err as Error).message }, 'exchange command failed');
      await this.opts.publisher.publish({ type: 'error', message: msg });
    }
  }

  /** A trade resumed after a restart is closed under its original row (same id, signal and entry). */
  private closedRecord(t: import('../../engine/session.js').TradeResult): TradeRecord {
    const rec = closedTradeRecord(t, this.opts.tradingMode);
    const row = this.resumed.get(t.id);
    if (!row) return rec;
    this.resumed.delete(t.id);
    return {
      ...row, exit_price: rec.exit_price, exit_time: rec.exit_time, exit_reason: rec.exit_reason, pnl_usd: rec.pnl_usd,
      pnl_percent: rec.pnl_percent, fees_usd: rec.fees_usd, funding_usd: rec.funding_usd,
      duration_minutes: Math.round((t.exitTime - row.entry_time.getTime()) / 60_000),
      max_drawdown_percent: rec.max_drawdown_percent, max_profit_percent: rec.max_profit_percent,
    };
  }

  private async onSessionEvent(ev: SessionEvent): Promise<void> {
    const { store, publisher } = this.opts;
    const source = this.opts.tradingMode;
    switch (ev.type) {
      case 'signal': {
        await this.recordMlFeatures(ev.signal, null);
        if (ev.fate === 'awaiting_approval') {
          if (this.executionMode === 'auto') {
            await this.executeSignal(ev.signal, null);
          } else {
            await this.askApproval(ev.signal);
          }
          return;
        }
        await store?.upsertSignal(signalRecord(ev.signal, ev.fate, ev.tradeId, source));
        return;
      }
      case 'trade_opened': {
        const t = this.session.openTrades().get(ev.symbol);
        if (t) await store?.upsertTrade(openTradeRecord({ tradeId: ev.tradeId, signal: t.signal, price: ev.price, qty: ev.qty, leverage: ev.leverage, time: ev.time, orderType: 'limit' }, source));
        await publisher.publish({ type: 'trade_opened', tradeId: ev.tradeId, symbol: ev.symbol, direction: ev.direction, price: ev.price, qty: ev.qty, leverage: ev.leverage, stopLoss: ev.stopLoss, takeProfit: ev.takeProfit });
        return;
      }
      case 'stop_moved':
        await publisher.publish({ type: 'stop_moved', tradeId: ev.tradeId, symbol: ev.symbol, direction: ev.direction, stopLoss: ev.stopLoss, reason: ev.reason });
        return;
      case 'entry_missed':
        await store?.upsertSignal(signalRecord(ev.signal, 'entry_missed', null, source));
        return;
      case 'trade_closed': {
        const t = ev.trade;
        this.onTradeClosed?.(t);
        await store?.upsertTrade(this.closedRecord(t));
        this.opts.ml?.onTradeClosed(t);
        await this.recordMlFeatures(t.signal, t);
        await publisher.publish({ type: 'trade_closed', tradeId: t.id, symbol: t.symbol, direction: t.direction, exitPrice: t.exitPrice, pnlUsd: t.netPnl, pnlPercent: t.pnlPercent, reason: t.exitReason });
        return;
      }
      default:
        return;
    }
  }

  /** The signal's ml_features row: at the signal without an outcome, again with it when its trade closes. */
  private async recordMlFeatures(signal: Signal, closed: import('../../engine/session.js').TradeResult | null): Promise<void> {
    const f = this.opts.ml?.knownFeatures(signal.id);
    if (!f || !this.opts.store) return;
    const source = this.opts.tradingMode;
    await this.opts.store.upsertMlFeatures(mlFeatureRecord(
      uuidFor('ml_features', signal.id, source), closed ? uuidFor('trade', closed.id, source) : null, signal, f, closed, source,
    ));
  }

  /** Auto mode, or an approved signal: re-check and place the entry. */
  async executeSignal(signal: Signal, currentPrice: number | null): Promise<{ ok: true; tradeId: string } | { ok: false; fate: SignalFate; detail: string }> {
    const r = this.session.openEntry(signal, this.lastCandleTime ?? signal.time, currentPrice ?? undefined);
    const out = this.session.drain();
    await this.opts.store?.upsertSignal(signalRecord(signal, r.ok ? 'executed' : r.fate, r.ok ? r.tradeId : null, this.opts.tradingMode));
    const size = out.events.find((e) => e.type === 'entry_placed');
    if (this.executionMode === 'auto' && r.ok) {
      await this.opts.publisher.publish({
        type: 'signal', signal, approval: null, sizeQty: size && size.type === 'entry_placed' ? size.qty : 0,
        riskUsd: this.session.equity * this.opts.params.risk_per_trade_percent / 100, modelLoaded: this.opts.ml ? this.opts.ml.model.loaded : Boolean(this.opts.mlScore),
      });
    }
    await this.process(out);
    return r;
  }

  private async askApproval(signal: Signal): Promise<void> {
    const now = this.clock();
    const id = randomUUID();
    const record: ApprovalRecord = {
      id, signal_id: uuidFor('signal', signal.id, this.opts.tradingMode), payload: signal, status: 'pending', decided_by: null,
      messages: [], expires_at: new Date(now + this.opts.approvalTimeoutSeconds * 1000), created_at: new Date(now), updated_at: new Date(now),
    };
    await this.opts.store?.upsertApproval(record);
    await this.opts.store?.upsertSignal(signalRecord(signal, null, null, this.opts.tradingMode));
    this.track(record, signal);
    await this.opts.publisher.publish({
      type: 'signal', signal, approval: { id, expiresAt: record.expires_at.getTime() },
      // The size it would get now; re-sized at execution (equity and free margin may change meanwhile).
      sizeQty: this.session.entryPlan(signal).size.qty, riskUsd: this.session.equity * this.opts.params.risk_per_trade_percent / 100, modelLoaded: this.opts.ml ? this.opts.ml.model.loaded : Boolean(this.opts.mlScore),
    });
  }

  private track(record: ApprovalRecord, signal: Signal): void {
    const ms = Math.max(0, record.expires_at.getTime() - this.clock());
    const timer = setTimeout(() => void this.expire(record.id), ms);
    timer.unref?.();
    this.approvals.set(record.id, { record, signal, timer });
  }

  private async expire(id: string): Promise<void> {
    const a = this.approvals.get(id);
    if (!a) return;
    const won = await this.decide(id, 'expired', 'system');
    if (!won) return;
    await this.opts.store?.upsertSignal(signalRecord(a.signal, 'approval_expired', null, this.opts.tradingMode));
    await this.opts.publisher.publish({ type: 'approval_decided', approvalId: id, outcome: { kind: 'expired' }, by: null });
  }

  /** First decision wins: the store's compare-and-set when there is a store, else this process. */
  async decide(id: string, to: ApprovalRecord['status'], by: string): Promise<boolean> {
    const a = this.approvals.get(id);
    if (!a || a.record.status !== 'pending') return false;
    if (this.opts.store) {
      const won = await this.opts.store.decideApproval(id, 'pending', to, by);
      if (!won) return false;
    }
    a.record.status = to;
    a.record.decided_by = by;
    if (a.timer) clearTimeout(a.timer);
    return true;
  }

  approval(id: string) {
    return this.approvals.get(id) ?? null;
  }

  pendingApprovalCount(): number {
    let n = 0;
    for (const a of this.approvals.values()) if (a.record.status === 'pending') n++;
    return n;
  }

  private async restoreApprovals(): Promise<void> {
    const store = this.opts.store;
    if (!store) return;
    for (const rec of await store.pendingApprovals()) {
      const signal = rec.payload as Signal;
      if (rec.expires_at.getTime() <= this.clock()) {
        if (await store.decideApproval(rec.id, 'pending', 'expired', 'restart')) {
          await store.upsertSignal(signalRecord(signal, 'approval_expired', null, this.opts.tradingMode));
        }
        continue;
      }
      this.track(rec, signal);
    }
  }

  /**
   * Start-up reconciliation, before any trading. The store's write journal is drained; the
   * executor's memory is rebuilt from the store's order rows (each looked up on the exchange by
   * orderLinkId: adopted, or marked never-sent) and from the exchange's executions (so a fill
   * delivered again later is not counted twice); entry orders the previous process left resting
   * are cancelled (the session that managed them is gone). Then positions against the store's open
   * trades: a trade the exchange still holds is resumed under its own row; one the exchange no
   * longer holds is closed from its executions; an unknown position is adopted. Every position
   * leaves here with a stop on the exchange.
   */
  private async reconcile(): Promise<void> {
    const { exchange, store, logger } = this.opts;
    const mode = this.opts.tradingMode;
    if (store) {
      await store.flush(this.opts.storeFlushTimeoutMs ?? 10_000).catch((err) =>
        logger.warn({ err: String((err as Error)?.message ?? err), queued: store.queueLength() }, 'reconcile: store journal not drained yet; the exchange is the truth'));
    }
    const rows = store ? await store.openOrders().catch((err) => {
      logger.warn({ err: String((err as Error)?.message ?? err) }, 'reconcile: could not read open orders from the store');
      return [];
    }) : [];
    // Only rows this mode wrote (a replay's rows in the same database are not Bybit's business).
    const mine = rows.filter((r) => r.id === uuidFor('order', r.order_link_id, mode));
    // A simulated venue (paper, replay) starts empty: one look each, no waiting for Bybit's visibility lag.
    const report = await this.executor.recoverOrders(mine, exchange.name === 'bybit' ? {} : { lookupAttempts: 1 });
    for (const r of report.adopted) {
      if (r.purpose !== 'entry' || (r.status !== 'new' && r.status !== 'partially_filled')) continue;
      const final = await this.executor.cancel(r.symbol, r.order_link_id);
      logger.warn({ orderLinkId: r.order_link_id, symbol: r.symbol, filledQty: final?.filledQty ?? r.filled_qty }, 'reconcile: cancelled an entry order left resting by the previous process');
    }
    // Sent before the restart, outcome unknown, still invisible on Bybit: it may rest or fill later
    // (its fill is still taken by orderLinkId). The trader should know before anything else happens.
    for (const r of report.unresolved) {
      await this.opts.publisher.publish({
        type: 'error',
        message: `${r.symbol} ${r.purpose} order ${r.order_link_id} (${r.side} ${r.qty}) was sent before the restart but Bybit does not show it yet: its state is unknown — check open orders and the position on Bybit (/pause stops new entries meanwhile)`,
      });
    }
    const openTrades = store ? await store.openTrades(mode).catch((err) => {
      logger.warn({ err: String((err as Error)?.message ?? err) }, 'reconcile: could not read open trades from the store');
      return [] as TradeRecord[];
    }) : [];
    // Positions before executions: a reduce fill landing between the two reads is in the
    // executions (marked seen) but not in the position read; splitExits applies it as a fill.
    const positions = (await exchange.positions()).filter((p) => p.size > 0);
    const earliest = Math.min(this.clock() - 10 * 60_000, ...openTrades.map((t) => t.entry_time.getTime() - 60_000));
    const { fills, funding } = await this.executor.learnExecutions(Math.max(earliest, this.clock() - 7 * 86_400_000 + 60_000));
    // Settlements already in the history count once: here, in the trade they belong to, not again from the stream.
    for (const f of funding) if (f.execId !== undefined) this.markFundingSeen(f.execId);
    const held = new Map(positions.map((p) => [p.symbol, p]));
    for (const t of openTrades) {
      const p = held.get(t.symbol);
      if (p && p.direction === t.direction) continue;
      await this.closeOutTrade(t, fills, funding);
    }
    for (const p of positions) {
      const row = openTrades.find((t) => t.symbol === p.symbol && t.direction === p.direction) ?? null;
      // A coin this bot does not trade and never traded: the trader's own business (a manual trade on
      // the same account). No stop placed, not managed, not counted against max_concurrent_trades.
      if (!row && !this.session.tracks(p.symbol)) {
        logger.warn({ symbol: p.symbol, size: p.size }, 'reconcile: open position on a coin this bot does not trade; left alone');
        continue;
      }
      const stop = await this.ensureStop(p, row);
      const exits = row ? splitExits(fills, p, row.entry_time.getTime()) : { before: [], after: [] };
      this.session.adoptPosition({
        symbol: p.symbol, direction: p.direction, qty: p.size, entryPrice: p.entryPrice, leverage: row?.leverage ?? (p.leverage || 1),
        stopLoss: stop, takeProfit: p.takeProfit ?? row?.take_profit_price ?? null, time: row ? row.entry_time.getTime() : this.clock(),
        initialStop: row?.stop_loss_price,
        // The entry fills' fees were paid before the restart; the trade's PnL must still carry them.
        fees: row ? entryFees(fills, p.symbol, p.direction, row.entry_time.getTime()) : 0,
        // Reductions made while the bot was down (by hand on Bybit) are part of the trade's PnL.
        exitsBefore: exits.before,
        // So is the funding settled on it so far (before the restart, or while the bot was down).
        funding: row ? fundingOf(funding, p.symbol, row.entry_time.getTime()) : 0,
      });
      const adopted = this.session.openTrades().get(p.symbol);
      if (row && adopted) this.resumed.set(adopted.id, row);
      // Reductions after the position was read (already marked seen, so the stream drops them) apply now.
      for (const f of exits.after) this.session.onFill(toVenueFill(f));
      logger.warn({ symbol: p.symbol, size: p.size, stop, trade: row?.id ?? null, closedBefore: exits.before.length, closedSince: exits.after.length },
        row ? 'reconcile: resumed the open trade from the store' : 'reconcile: adopted an open position the store did not know');
      if (!row) {
        // One-way mode nets a bot entry into it anyway, so the bot takes it over — and says so.
        await this.opts.publisher.publish({
          type: 'error',
          message: `${p.symbol}: found an open ${p.direction} of ${p.size} @ ${p.entryPrice} on Bybit that the bot has no record of; the bot now manages it (stop ${stop}, time exit). If it is yours, close it with /close ${p.symbol} or on Bybit.`,
        });
      }
    }
    await this.process(this.session.drain());
  }

  private setInstrument(i: Instrument): void {
    this.instruments.set(i.symbol, i);
    this.sessionInstruments[i.symbol] = { qtyStep: i.qtyStep, minQty: i.minQty, maxQty: i.maxQty, tickSize: i.tickSize, maxLeverage: i.maxLeverage };
  }

  /** Remembers a funding execution; false when it was already counted. */
  private markFundingSeen(execId: string): boolean {
    if (this.fundingSeen.has(execId)) return false;
    this.fundingSeen.add(execId);
    if (this.fundingSeen.size > 256) this.fundingSeen.delete(this.fundingSeen.keys().next().value!);
    return true;
  }

  /** The position's stop on the exchange; places one (the trade's own, else 2 % adverse) when missing. */
  private async ensureStop(p: Position, row: TradeRecord | null): Promise<number> {
    if (p.stopLoss !== null && p.stopLoss !== 0) return p.stopLoss;
    const fallback = p.direction === 'long' ? p.entryPrice * 0.98 : p.entryPrice * 1.02;
    const stop = row?.stop_loss_price ?? fallback;
    try {
      await this.executor.moveStop(p.symbol, stop);
      this.log.warn({ symbol: p.symbol, stop }, 'reconcile: position had no stop; placed one');
    } catch (err) {
      this.log.error({ symbol: p.symbol, stop, err: (err as Error).message }, 'reconcile: could not place a stop on an unprotected position');
      await this.opts.publisher.publish({ type: 'error', message: `${p.symbol} position has NO stop on the exchange: placing ${stop} failed: ${(err as Error).message}` });
    }
    return stop;
  }

  /**
   * A trade the exchange no longer holds (stop or target hit, or closed by hand, while down): closed
   * from its executions. Net PnL = all exits vs the entry − every fee (entry and exits) − the funding
   * settled on it, as the exchange booked them; closed by a fill of no order of ours → 'manual'.
   */
  private async closeOutTrade(t: TradeRecord, fills: ExchangeFill[], funding: FundingEvent[]): Promise<void> {
    const exits = exitFills(fills, t.symbol, t.entry_time.getTime());
    const qty = exits.reduce((s, f) => s + f.qty, 0);
    const now = new Date(this.clock());
    let patch: Partial<TradeRecord> = { exit_time: now, exit_reason: 'reconciled' };
    if (qty > 0) {
      const price = exits.reduce((s, f) => s + f.qty * f.price, 0) / qty;
      const fees = entryFees(fills, t.symbol, t.direction, t.entry_time.getTime()) + exits.reduce((s, f) => s + f.fee, 0);
      const paid = fundingOf(funding, t.symbol, t.entry_time.getTime(), exits[exits.length - 1].time);
      const gross = (t.direction === 'long' ? 1 : -1) * (price - t.entry_price) * qty;
      const net = gross - fees - paid;
      const margin = (t.entry_price * qty) / (t.leverage || 1);
      const last = exits[exits.length - 1];
      const reason = last.trigger === 'stop_loss' ? 'stop_loss' : last.trigger === 'take_profit' ? 'take_profit'
        : (await this.isOwnOrder(last.orderLinkId)) ? 'reconciled' : 'manual';
      patch = {
        exit_time: new Date(last.time), exit_price: price, fees_usd: fees, funding_usd: paid, pnl_usd: net,
        pnl_percent: margin > 0 ? Math.round((net / margin) * 1e6) / 1e4 : null,
        exit_reason: reason, duration_minutes: Math.round((last.time - t.entry_time.getTime()) / 60_000),
      };
    }
    this.log.warn({ symbol: t.symbol, trade: t.id, exitReason: patch.exit_reason, exitPrice: patch.exit_price ?? null }, 'reconcile: store had an open trade the exchange does not; closing it out');
    await this.opts.store?.upsertTrade({ ...t, ...patch });
  }

  /** Whether an orderLinkId is one this bot placed (journal); Bybit's app and web orders carry none. */
  private async isOwnOrder(orderLinkId: string): Promise<boolean> {
    if (!orderLinkId) return false;
    if (this.executor.record(orderLinkId)) return true;
    const row = await this.opts.store?.orderByLinkId(orderLinkId).catch(() => undefined);
    // Unreadable journal: not provably manual, so it stays 'reconciled'.
    return row === undefined || (row !== null && row.id === uuidFor('order', orderLinkId, this.opts.tradingMode));
  }

  private async warmUp(symbols: string[] = this.opts.symbols): Promise<void> {
    const p = this.opts.params;
    const base = TF_MS[this.opts.baseTf];
    let need = 0;
    for (const s of symbols) {
      const c = coinConfig(s, this.opts.coins);
      need = Math.max(need, TF_MS[c.htf_timeframe] * (p.ema_slow + 5), TF_MS[c.mtf_timeframe] * (p.correlation_bars + 20), 3_600_000 * (p.correlation_bars + 2));
    }
    const to = Math.floor(this.clock() / base) * base;
    const from = to - need;
    for (const symbol of symbols) {
      const candles = await this.opts.exchange.klines(symbol, this.opts.baseTf, from, to);
      for (const c of candles) {
        this.opts.ml?.observe(symbol, c);
        this.session.warmUp(symbol, c);
      }
      if (candles.length) {
        this.lastPrice.set(symbol, candles[candles.length - 1].close);
        this.lastCandleAt = this.clock();
        this.lastCandleTime = candles[candles.length - 1].ts + base;
      }
      this.log.info({ symbol, candles: candles.length }, 'warm-up done');
    }
  }

  /**
   * Coin universe: adds coins to the running bot — each gets `coins[symbol]` or the default coin
   * config, is warmed up by REST like at start (when backfilling), then streamed. Coins already
   * traded are skipped; returns the ones added. The venue must support adding symbols mid-stream.
   */
  async addSymbols(symbols: string[], coins: Record<string, CoinConfig> = {}): Promise<string[]> {
    const fresh = [...new Set(symbols)].filter((s) => !this.opts.symbols.includes(s));
    if (!fresh.length || this.stopping) return [];
    const ex = this.opts.exchange as ExchangePort & Partial<SymbolStreamer>;
    if (typeof ex.addSymbols !== 'function') throw new Error(`the ${ex.name} venue cannot add coins while streaming`);
    for (const i of await ex.instruments(fresh)) this.setInstrument(i);
    const configs = Object.fromEntries(fresh.map((s) => [s, coins[s] ?? coinConfig(s, this.opts.coins)]));
    this.opts.coins = { ...this.opts.coins, ...configs };
    // Not yet in `symbols`, so no candle of these coins reaches the session before its warm-up.
    // A coin the session already has (an earlier attempt failed to subscribe) is not fed twice.
    const known = this.session.warnings.length;
    const cold = fresh.filter((s) => this.session.addSymbol(s, configs[s]));
    for (const w of this.session.warnings.slice(known)) this.log.warn(w);
    if (this.opts.backfill && cold.length) await this.warmUp(cold);
    this.opts.symbols = [...this.opts.symbols, ...fresh];
    try {
      await ex.addSymbols(fresh);
    } catch (err) {
      this.opts.symbols = this.opts.symbols.filter((s) => !fresh.includes(s));
      throw err;
    }
    this.log.info({ symbols: fresh }, 'coin universe: streaming added coins');
    return fresh;
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const a of this.approvals.values()) if (a.timer) clearTimeout(a.timer);
    await this.opts.exchange.close();
    await this.chain;
    // Bounded: with the database down the journal keeps the rest for the next start.
    await this.opts.store?.flush(this.opts.storeFlushTimeoutMs ?? 10_000).catch(() => undefined);
  }
}

/** The fills that reduced a symbol's position from a trade's entry on (before now: the list is the exchange's so far). */
function exitFills(fills: Fill[], symbol: string, entryTime: number): Fill[] {
  return fills.filter((f) => f.symbol === symbol && f.reduceOnly && f.time >= entryTime);
}

/**
 * A resumed trade's reduce fills, split at the position read: those the read size already shows
 * (entered − read size, oldest first) and those that landed between the position and execution
 * reads. Without the whole entry in the history, all count as before.
 */
function splitExits(fills: Fill[], p: Position, entryTime: number): { before: Fill[]; after: Fill[] } {
  const exits = exitFills(fills, p.symbol, entryTime);
  const side = p.direction === 'long' ? 'Buy' : 'Sell';
  const entered = fills.reduce((s, f) => (f.symbol === p.symbol && f.side === side && !f.reduceOnly && f.time >= entryTime - 60_000 ? s + f.qty : s), 0);
  if (entered < p.size - 1e-9) return { before: exits, after: [] };
  let room = entered - p.size;
  let i = 0;
  for (; i < exits.length && exits[i].qty <= room + 1e-9; i++) room -= exits[i].qty;
  return { before: exits.slice(0, i), after: exits.slice(i) };
}

/** Fees of the fills that opened a position (same side as the position, from its entry on). */
/** Funding a position on `symbol` paid (> 0) or received (< 0) from `since` up to `until`. */
function fundingOf(funding: FundingEvent[], symbol: string, since: number, until = Infinity): number {
  let paid = 0;
  for (const f of funding) if (f.symbol === symbol && f.time >= since && f.time <= until) paid += f.amount;
  return paid;
}

function entryFees(fills: Fill[], symbol: string, direction: 'long' | 'short', since: number): number {
  const side = direction === 'long' ? 'Buy' : 'Sell';
  let fees = 0;
  for (const f of fills) if (f.symbol === symbol && f.side === side && !f.reduceOnly && f.time >= since - 60_000) fees += f.fee;
  return fees;
}

/** An order request that failed this way may still have reached Bybit (look it up; do not forget it). */
function isMaybePlaced(err: unknown): boolean {
  return err instanceof ExchangeError && (err.outcome === 'unknown' || err.outcome === 'duplicate');
}

function toVenueFill(f: Fill): VenueFill {
  const reduce = f.reduceOnly ?? false;
  return {
    execId: f.execId, orderId: f.orderLinkId || f.orderId, symbol: f.symbol, reduce, qty: f.qty, price: f.price, fee: f.fee,
    isMaker: f.isMaker, time: f.time,
    trigger: f.trigger ?? (reduce ? 'close' : f.isMaker ? 'limit' : 'market'),
  };
}
